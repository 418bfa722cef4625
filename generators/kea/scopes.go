package kea

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// Shared networks, reservations, and what scopes share: settings and the
// link (interface, relay).

func network(r rules, c *clashes, n *model.SharedNetwork, subnets []any) map[string]any {
	m := map[string]any{"name": n.Name}
	if subnets == nil {
		subnets = []any{}
	}
	m["subnet4"] = subnets
	lifetimes(m, n.Lifetimes)
	settings(m, n.Settings)
	if o := optionData(n.Options); o != nil {
		m["option-data"] = o
	}
	classKey(r, m, n.ClientClasses)
	link(m, n.Interface, n.Relay)
	if n.Comment != "" {
		m["user-context"] = map[string]any{"comment": n.Comment}
	}
	c.mergeRaw(m, n.Raw, "shared network "+n.Name)
	return m
}

func link(m map[string]any, iface string, relay []netip.Addr) {
	if iface != "" {
		m["interface"] = iface
	}
	if len(relay) > 0 {
		ips := make([]any, len(relay))
		for i, a := range relay {
			ips[i] = a.String()
		}
		m["relay"] = map[string]any{"ip-addresses": ips}
	}
}

func settings(m map[string]any, set model.Settings) {
	for k, v := range set {
		m[k] = v.Value
	}
}

// reservations renders hosts sorted by address, those without one last
// by identifier: a stable order whatever order the sources gave.
func reservations(c *clashes, res []*model.Reservation) []any {
	res = slices.Clone(res)
	slices.SortStableFunc(res, func(a, b *model.Reservation) int {
		switch {
		case a.IP.IsValid() != b.IP.IsValid():
			if a.IP.IsValid() {
				return -1
			}
			return 1
		case a.IP.IsValid():
			return a.IP.Compare(b.IP)
		}
		ka, va := a.Identifier()
		kb, vb := b.Identifier()
		return strings.Compare(ka+va, kb+vb)
	})
	list := make([]any, len(res))
	for i, rv := range res {
		list[i] = reservation(c, rv)
	}
	return list
}

func reservation(c *clashes, rv *model.Reservation) map[string]any {
	kind, id := rv.Identifier()
	m := map[string]any{kind: id}
	if rv.IP.IsValid() {
		m["ip-address"] = rv.IP.String()
	}
	if rv.Hostname != "" {
		m["hostname"] = rv.Hostname
	}
	settings(m, rv.Settings)
	if o := optionData(rv.Options); o != nil {
		m["option-data"] = o
	}
	if len(rv.ClientClasses) > 0 {
		cl := make([]any, len(rv.ClientClasses))
		for i, c := range rv.ClientClasses {
			cl[i] = c
		}
		m["client-classes"] = cl
	}
	if rv.Comment != "" {
		m["user-context"] = map[string]any{"comment": rv.Comment}
	}
	c.mergeRaw(m, rv.Raw, "reservation "+kind+" "+id)
	return m
}

// optionDefs renders the site's option definitions, sorted by space and
// code; nil when there are none.
func optionDefs(defs []*model.OptionDef) []any {
	if len(defs) == 0 {
		return nil
	}
	sorted := slices.Clone(defs)
	slices.SortStableFunc(sorted, func(a, b *model.OptionDef) int {
		return cmp.Or(strings.Compare(a.Space, b.Space), cmp.Compare(a.Code, b.Code))
	})
	out := make([]any, len(sorted))
	for i, d := range sorted {
		m := map[string]any{"name": d.Name, "code": d.Code, "type": d.Type}
		if d.Space != "" {
			m["space"] = d.Space
		}
		if d.RecordTypes != "" {
			m["record-types"] = d.RecordTypes
		}
		if d.Array {
			m["array"] = true
		}
		if d.Encapsulate != "" {
			m["encapsulate"] = d.Encapsulate
		}
		out[i] = m
	}
	return out
}
