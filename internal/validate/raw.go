package validate

import (
	"slices"

	"github.com/keaops/keaops/internal/model"
)

// rawOwned are the keys of each scope that the model owns outright: raw
// Kea JSON may not set them even where the model leaves them unset, or
// the model — and every diff, check and plan made from it — would not see
// what the config does. Settings and lifetimes are owned wherever they
// apply.
var rawOwned = map[string][]string{
	"global": {"subnet4", "shared-networks", "reservations", "option-def", "valid-lifetime", "renew-timer", "rebind-timer",
		"lease-database", "hosts-database", "hosts-databases", "loggers", "hooks-libraries"},
	"shared network": {"subnet4", "name", "valid-lifetime", "renew-timer", "rebind-timer", "interface", "relay", "client-class", "client-classes"},
	"subnet":         {"id", "subnet", "pools", "reservations", "valid-lifetime", "renew-timer", "rebind-timer", "interface", "relay", "client-class", "client-classes"},
	"pool":           {"pool", "client-class", "client-classes"},
	"reservation":    {"ip-address", "hostname", "hw-address", "client-id", "duid", "circuit-id", "flex-id", "client-classes"},
	"client class":   {"name", "test", "valid-lifetime", "only-if-required", "only-in-additional-list"},
	"ddns":           {"ip-address", "port", "tsig-keys", "forward-ddns", "reverse-ddns", "control-socket", "control-sockets", "loggers"},
}

// checkRaw: the escape hatch holds only what the model does not express.
func checkRaw(s *model.Site, _ []int, report func(model.Finding)) {
	check := func(raw model.Raw, scope string, settings model.Scope) {
		for _, k := range model.SortedKeys(raw.Fields) {
			if d, ok := model.SettingDefOf(k); ok && d.Scopes&settings != 0 {
				report(model.Errorf(raw.Pos, "kea", "kea.%s: %s is a setting keaops models; write it here as %s:, not under kea", k, k, k))
			} else if slices.Contains(rawOwned[scope], k) {
				report(model.Errorf(raw.Pos, "kea", "kea.%s: keaops renders %s of a %s from the model; set it there, not under kea", k, k, scope))
			}
		}
	}
	check(s.Raw, "global", model.ScopeGlobal)
	for _, n := range s.Networks {
		check(n.Raw, "shared network", model.ScopeNetwork)
	}
	for _, sn := range s.Subnets {
		check(sn.Raw, "subnet", model.ScopeSubnet)
		for _, p := range sn.Pools {
			check(p.Raw, "pool", model.ScopePool)
		}
	}
	for _, c := range s.Classes {
		check(c.Raw, "client class", model.ScopeClass)
	}
	for _, r := range s.Reservations {
		check(r.Raw, "reservation", model.ScopeReservation)
	}
	if s.DDNS != nil {
		check(s.DDNS.Raw, "ddns", 0)
	}
}
