package validate

import (
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// checkDDNS: the mistakes DDNS setups trip on — a forward zone without its
// trailing dot, a key named but not defined, a subnet whose updates no
// reverse zone takes, kea-dhcp4 not talking to kea-dhcp-ddns where it
// listens.
func checkDDNS(s *model.Site, _ []int, report func(model.Finding)) {
	d := s.DDNS
	if d == nil {
		return
	}
	keys := map[string]*model.TSIGKey{}
	for _, k := range d.Keys {
		if prev, dup := keys[k.Name]; dup {
			report(model.Errorf(k.Pos, "ddns", "TSIG key %s is already defined at %s", k.Name, prev.Pos.Short()))
		}
		keys[k.Name] = k
		if k.Secret == nil || (k.Secret.Env == "") == (k.Secret.File == "") {
			report(model.Errorf(k.Pos, "secret", "TSIG key %s: its secret takes exactly one of env or file", k.Name))
		}
	}
	key := func(name string, pos model.Pos, what string) {
		if name != "" && keys[name] == nil {
			report(model.Errorf(pos, "ddns", "%s names TSIG key %s, which tsig-keys does not define", what, name))
		}
	}
	for _, zones := range []struct {
		what string
		list []*model.DNSDomain
	}{{"forward zone", d.Forward}, {"reverse zone", d.Reverse}} {
		seen := map[string]bool{}
		for _, z := range zones.list {
			name := strings.ToLower(z.Name)
			if !strings.HasSuffix(z.Name, ".") {
				report(model.Errorf(z.Pos, "ddns", "%s %s needs its trailing dot (%s.): kea-dhcp-ddns matches fully qualified names, and without it no update ever finds the zone", zones.what, z.Name, z.Name))
			}
			if zones.what == "reverse zone" && !strings.HasSuffix(strings.TrimSuffix(name, "."), "in-addr.arpa") {
				report(model.Errorf(z.Pos, "ddns", "reverse zone %s is not under in-addr.arpa.", z.Name))
			}
			if seen[name] {
				report(model.Errorf(z.Pos, "ddns", "%s %s is listed twice", zones.what, z.Name))
			}
			seen[name] = true
			key(z.Key, z.Pos, zones.what+" "+z.Name)
			if len(z.Servers) == 0 {
				report(model.Errorf(z.Pos, "ddns", "%s %s has no DNS server", zones.what, z.Name))
			}
			for _, sv := range z.Servers {
				key(sv.Key, z.Pos, "a server of "+zones.what+" "+z.Name)
			}
		}
	}
	for _, sn := range s.Subnets {
		covered := false
		for _, z := range d.Reverse {
			covered = covered || model.Covers(z.Name, sn.Prefix)
		}
		if !covered && sendsUpdates(s, sn) {
			report(model.Warnf(sn.Pos, "ddns", "no reverse zone covers subnet %s (%s): its PTR updates will fail; add %s (or a zone above it) under ddns.reverse",
				sn.Name, sn.Prefix.Masked(), model.ReverseZone(sn.Prefix)))
		}
	}
	conn := effectiveMap(s.Settings, "dhcp-ddns")
	ip, port := d.Listen()
	switch {
	case conn["enable-updates"] != true:
		report(model.Errorf(d.Pos, "ddns", "ddns is set but kea-dhcp4 sends it nothing: set defaults: {dhcp-ddns: {enable-updates: true}}"))
	case conn["server-ip"] != ip.String() || conn["server-port"] != int64(port):
		report(model.Errorf(s.Settings["dhcp-ddns"].Pos, "ddns", "dhcp-ddns sends to %v:%v, but kea-dhcp-ddns listens on %s:%d", conn["server-ip"], conn["server-port"], ip, port))
	}
}

// sendsUpdates: the subnet's effective ddns-send-updates (Kea's default
// is true).
func sendsUpdates(s *model.Site, sn *model.Subnet) bool {
	v := true
	chain := []model.Settings{s.Settings}
	if n := s.Network(sn.Network); n != nil {
		chain = append(chain, n.Settings)
	}
	for _, set := range append(chain, sn.Settings) {
		if x, ok := set["ddns-send-updates"]; ok {
			v = x.Value == true
		}
	}
	return v
}

// effectiveMap is a map setting as Kea has it: set, or its default.
func effectiveMap(set model.Settings, key string) map[string]any {
	if v, ok := set[key].Value.(map[string]any); ok {
		return v
	}
	d, _ := model.SettingDefOf(key)
	m, _ := d.Default.(map[string]any)
	return m
}
