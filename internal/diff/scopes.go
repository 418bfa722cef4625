package diff

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// What the model grew for real configurations: shared networks, settings,
// the escape hatch and global reservations, compared as Kea uses them.

// settings compares the settings of one scope as Kea ends up with them
// (model.SettingLines): restating a default or an inherited value is no
// change.
func (d *differ) settings(base Change, hBase, wBase map[string]any, hValid, wValid int64, have, want []model.Settings, pos model.Pos) {
	h := model.SettingLines(hBase, hValid, have...)
	w := model.SettingLines(wBase, wValid, want...)
	keys := map[string]bool{}
	for k := range h {
		keys[k] = true
	}
	for k := range w {
		keys[k] = true
	}
	for _, k := range model.SortedKeys(keys) {
		p := pos
		if len(want) > 0 {
			if s, ok := want[len(want)-1][k]; ok {
				p = s.Pos
			}
		}
		d.field(base, k, h[k], w[k], p)
	}
}

// raw compares a scope's escape hatch key by key.
func (d *differ) raw(base Change, have, want model.Raw) {
	keys := map[string]bool{}
	for k := range have.Fields {
		keys[k] = true
	}
	for k := range want.Fields {
		keys[k] = true
	}
	for _, k := range model.SortedKeys(keys) {
		d.field(base, "kea."+k, have.KeyText(k), want.KeyText(k), want.Pos)
	}
}

// globalSettings are a site's global values over which shared networks
// are compared.
func globalSettings(s *model.Site) map[string]any {
	out := map[string]any{}
	for k, v := range s.Settings {
		out[k] = v.Value
	}
	return out
}

func (d *differ) networks(have, want *model.Site) {
	byName(have.Networks, want.Networks, func(n *model.SharedNetwork) string { return n.Name },
		func(w *model.SharedNetwork) {
			d.add(Change{Op: Add, Kind: "network", What: "shared network " + w.Name, Pos: w.Pos})
		},
		func(o, w *model.SharedNetwork) {
			base := Change{Kind: "network", What: "shared network " + w.Name}
			d.field(base, "interface", o.Interface, w.Interface, w.Pos)
			d.field(base, "relay", addrs(o.Relay), addrs(w.Relay), w.Pos)
			d.field(base, "client-class", strings.Join(o.ClientClasses, ", "), strings.Join(w.ClientClasses, ", "), w.Pos)
			d.field(base, "comment", o.Comment, w.Comment, w.Pos)
			d.lifetimes(base, o.Lifetimes, w.Lifetimes, have.Defaults.Lifetimes, want.Defaults.Lifetimes, w.Pos)
			d.options(base, o.Options, w.Options, w.Pos)
			d.settings(base, globalSettings(have), globalSettings(want),
				model.Valid(o.Lifetimes, have.Defaults.Lifetimes), model.Valid(w.Lifetimes, want.Defaults.Lifetimes),
				[]model.Settings{o.Settings}, []model.Settings{w.Settings}, w.Pos)
			d.raw(base, o.Raw, w.Raw)
		},
		func(o *model.SharedNetwork) {
			d.add(Change{Op: Remove, Kind: "network", What: "shared network " + o.Name})
		})
}

// subnetSettings compares what a subnet's own and its network's settings
// make of it, over the reservation flags keaops derives for it.
func (d *differ) subnetSettings(base Change, have, want *model.Site, o, w *model.Subnet, hRes, wRes map[resKey]*model.Reservation) {
	chain := func(s *model.Site, sn *model.Subnet) []model.Settings {
		var c []model.Settings
		if n := s.Network(sn.Network); n != nil {
			c = append(c, n.Settings)
		}
		return append(c, sn.Settings)
	}
	list := func(m map[resKey]*model.Reservation) []*model.Reservation {
		out := make([]*model.Reservation, 0, len(m))
		for _, r := range m {
			out = append(out, r)
		}
		return out
	}
	d.settings(base, model.SubnetBase(have, d.globalHosts(have), o, list(hRes)), model.SubnetBase(want, d.globalHosts(want), w, list(wRes)),
		model.Valid(o.Lifetimes, have.Inherited(o)), model.Valid(w.Lifetimes, want.Inherited(w)), chain(have, o), chain(want, w), w.Pos)
	d.field(base, "shared-network", o.Network, w.Network, w.NetworkPos)
	d.raw(base, o.Raw, w.Raw)
}

// globalReservations compares Kea's global reservations.
func (d *differ) globalReservations(have, want *model.Site) {
	d.reservations(globalHosts(have), globalHosts(want), &model.Subnet{Name: "global"})
}

func globalHosts(s *model.Site) map[resKey]*model.Reservation {
	out := map[resKey]*model.Reservation{}
	for _, r := range s.Reservations {
		if r.Global {
			kind, id := r.Identifier()
			out[resKey{kind, id}] = r
		}
	}
	return out
}

// reservationExtras compares what reservations grew: settings, raw.
func (d *differ) reservationExtras(base Change, o, w *model.Reservation) {
	d.settings(base, nil, nil, 0, 0, []model.Settings{o.Settings}, []model.Settings{w.Settings}, w.Pos)
	d.raw(base, o.Raw, w.Raw)
}

// ipText is a reservation's address, "(none)" for one without.
func ipText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// server compares what the servers run beside DHCP: option definitions,
// loggers, hook libraries, host databases.
func (d *differ) server(base Change, have, want *model.Site) {
	defs := func(s *model.Site) string {
		lines := make([]string, len(s.OptionDefs))
		for i, o := range s.OptionDefs {
			lines[i] = fmt.Sprintf("%s %s/%d %s", o.Name, o.Space, o.Code, o.Type)
		}
		slices.Sort(lines)
		return strings.Join(lines, "; ")
	}
	d.field(base, "option-def", defs(have), defs(want), want.Pos)
	hl, hh, hd := model.ServerText(have)
	wl, wh, wd := model.ServerText(want)
	d.field(base, "loggers", hl, wl, want.Pos)
	d.field(base, "hooks-libraries", hh, wh, want.Pos)
	d.field(base, "hosts-databases", hd, wd, want.Pos)
}

// DDNS lists what changes in the site's kea-dhcp-ddns: zones by name, and
// the listener and keys. Sites does not compare it: a live kea-dhcp4
// config does not hold it.
func DDNS(have, want *model.DDNS) []Change {
	d := &differ{}
	base := Change{Kind: "ddns", What: "ddns"}
	text := func(x *model.DDNS) (listen, keys string, zones map[string]string) {
		zones = map[string]string{}
		if x == nil {
			return "", "", zones
		}
		ip, port := x.Listen()
		listen = fmt.Sprintf("%s:%d", ip, port)
		var k []string
		for _, key := range x.Keys {
			ref := ""
			if key.Secret != nil {
				ref = key.Secret.Ref()
			}
			k = append(k, fmt.Sprintf("%s %s/%d %s", key.Name, key.Algorithm, key.DigestBits, ref))
		}
		keys = strings.Join(k, "; ")
		for dir, list := range map[string][]*model.DNSDomain{"forward": x.Forward, "reverse": x.Reverse} {
			for _, z := range list {
				var servers []string
				for _, sv := range z.Servers {
					servers = append(servers, fmt.Sprintf("%s:%d/%s", sv.IP, sv.Port, sv.Key))
				}
				zones[dir+" zone "+strings.ToLower(z.Name)] = "key " + z.Key + ", servers " + strings.Join(servers, ", ")
			}
		}
		return listen, keys, zones
	}
	hl, hk, hz := text(have)
	wl, wk, wz := text(want)
	pos := model.Pos{}
	if want != nil {
		pos = want.Pos
	}
	d.field(base, "listen", hl, wl, pos)
	d.field(base, "tsig-keys", hk, wk, pos)
	keys := map[string]bool{}
	for k := range hz {
		keys[k] = true
	}
	for k := range wz {
		keys[k] = true
	}
	for _, k := range model.SortedKeys(keys) {
		d.field(base, k, hz[k], wz[k], pos)
	}
	var hr, wr model.Raw
	if have != nil {
		hr = have.Raw
	}
	if want != nil {
		wr = want.Raw
	}
	d.raw(base, hr, wr)
	return d.out
}

// globalHosts are a site's global reservations, taken once per diff.
func (d *differ) globalHosts(s *model.Site) []*model.Reservation {
	if g, ok := d.global[s]; ok {
		return g
	}
	if d.global == nil {
		d.global = map[*model.Site][]*model.Reservation{}
	}
	d.global[s] = model.GlobalReservations(s)
	return d.global[s]
}
