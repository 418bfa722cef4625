package validate

import (
	"slices"

	"github.com/keaops/keaops/internal/model"
)

// checkNetworks: shared network names are unique, every subnet's network
// exists, and a subnet's interface and relay agree with its network's —
// kea-dhcp4 refuses a subnet whose interface differs from its network's.
func checkNetworks(s *model.Site, _ []int, report func(model.Finding)) {
	byName := map[string]*model.SharedNetwork{}
	for _, n := range s.Networks {
		if prev, dup := byName[n.Name]; dup {
			report(model.Errorf(n.Pos, "shared-network", "shared network %q is also defined at %s", n.Name, prev.Pos.Short()))
			continue
		}
		byName[n.Name] = n
	}
	members := map[string]int{}
	for _, sn := range s.Subnets {
		if sn.Network == "" {
			continue
		}
		n, ok := byName[sn.Network]
		if !ok {
			report(model.Errorf(sn.NetworkPos, "shared-network", "subnet %s: shared network %q does not exist", sn.Name, sn.Network))
			continue
		}
		members[n.Name]++
		if n.Interface != "" && sn.Interface != "" && n.Interface != sn.Interface {
			report(model.Errorf(sn.Pos, "shared-network", "subnet %s is on interface %s, its shared network %s on %s: Kea takes one interface per shared network", sn.Name, sn.Interface, n.Name, n.Interface))
		}
		if len(n.Relay) > 0 && len(sn.Relay) > 0 && !slices.Equal(n.Relay, sn.Relay) {
			report(model.Warnf(sn.Pos, "shared-network", "subnet %s names relays of its own beside its shared network %s's: the subnet's win for it", sn.Name, n.Name))
		}
	}
	for _, n := range s.Networks {
		if members[n.Name] == 0 && byName[n.Name] == n {
			report(model.Warnf(n.Pos, "shared-network", "shared network %s has no subnets (a subnet joins it with shared-network: %s)", n.Name, n.Name))
		}
	}
}

// checkSettings: each setting is one the target Kea version has.
func checkSettings(s *model.Site, _ []int, report func(model.Finding)) {
	check := func(set model.Settings) {
		for _, k := range model.SortedKeys(set) {
			d, _ := model.SettingDefOf(k)
			if d.Key != "" && !d.Known(s.KeaVersion) {
				switch {
				case d.Successor != "":
					report(model.Errorf(set[k].Pos, "setting", "%s was replaced by %s in Kea %s, which reads the old key as the new one and prints the new one back (a diff that never ends): write %s", k, d.Successor, d.Until, d.Successor))
				case d.Until != (model.Version{}) && s.KeaVersion.AtLeast(d.Until.Major, d.Until.Minor):
					report(model.Errorf(set[k].Pos, "setting", "%s is not known to Kea %s (it rejects the config): it was removed in %s", k, s.KeaVersion, d.Until))
				default:
					report(model.Errorf(set[k].Pos, "setting", "%s is not known to Kea %s (it rejects the config): it needs %s or later", k, s.KeaVersion, d.Since))
				}
			}
		}
	}
	check(s.Settings)
	for _, n := range s.Networks {
		check(n.Settings)
	}
	for _, sn := range s.Subnets {
		check(sn.Settings)
		for _, p := range sn.Pools {
			check(p.Settings)
		}
	}
	for _, c := range s.Classes {
		check(c.Settings)
	}
	for _, r := range s.Reservations {
		check(r.Settings)
	}
}

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

// checkClassLists: before 3.0 a subnet, pool or shared network takes one
// client class.
func checkClassLists(s *model.Site, _ []int, report func(model.Finding)) {
	if s.KeaVersion.AtLeast(3, 0) {
		return
	}
	check := func(classes []string, pos model.Pos, what string) {
		if len(classes) > 1 {
			report(model.Errorf(pos, "client-class", "%s: Kea %s takes one client class here, not %d (3.0 takes a list)", what, s.KeaVersion, len(classes)))
		}
	}
	for _, n := range s.Networks {
		check(n.ClientClasses, n.Pos, "shared network "+n.Name)
	}
	for _, sn := range s.Subnets {
		check(sn.ClientClasses, sn.Pos, "subnet "+sn.Name)
		for _, p := range sn.Pools {
			check(p.ClientClasses, p.Pos, "pool "+p.From.String()+"-"+p.To.String())
		}
	}
}
