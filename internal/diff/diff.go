// Package diff compares two site models — what runs (a live node parsed
// back, or the base revision) and what is wanted — and lists the changes a
// person has to approve, keyed by stable identity: a subnet by its prefix,
// a pool by its range, a reservation by its subnet and host identifier, an
// option by its scope and name. Values are compared as Kea uses them
// (inherited lifetimes resolved), so defaults Kea fills in are not changes.
package diff

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// Op is what happens to an entity.
type Op byte

// Ops, printed as the first character of a change.
const (
	Add    Op = '+'
	Remove Op = '-'
	Modify Op = '~'
)

// Change is one difference.
type Change struct {
	Op Op `json:"op"`
	// Kind of entity: global, class, subnet, pool, reservation, ha, peer.
	Kind string `json:"kind"`
	// What names the entity for a person.
	What string `json:"what"`
	// Field, Old and New detail a Modify.
	Field string `json:"field,omitempty"`
	Old   string `json:"old,omitempty"`
	New   string `json:"new,omitempty"`
	// Pos is where the wanted side comes from, when it exists.
	Pos model.Pos `json:"pos,omitempty"`
	// Subnet is the prefix the change belongs to, when it belongs to one.
	Subnet netip.Prefix `json:"-"`
	// Error, when set, says why this change must not be rolled out.
	Error string `json:"error,omitempty"`
}

// MarshalText prints an Op as its character.
func (o Op) MarshalText() ([]byte, error) { return []byte{byte(o)}, nil }

// UnmarshalText reads "+", "-" or "~".
func (o *Op) UnmarshalText(b []byte) error {
	if len(b) != 1 || !strings.ContainsRune("+-~", rune(b[0])) {
		return fmt.Errorf("change op %q: want +, - or ~", b)
	}
	*o = Op(b[0])
	return nil
}

func (c Change) String() string {
	var b strings.Builder
	b.WriteByte(byte(c.Op))
	b.WriteByte(' ')
	b.WriteString(c.What)
	if c.Field != "" {
		fmt.Fprintf(&b, " %s %s → %s", c.Field, orNone(c.Old), orNone(c.New))
	}
	if c.Pos.File != "" {
		b.WriteString("  ")
		b.WriteString(c.Pos.String())
	}
	if c.Error != "" {
		b.WriteString("  ERROR: ")
		b.WriteString(c.Error)
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// HasErrors reports whether any change must not be rolled out.
func HasErrors(cs []Change) bool {
	return slices.ContainsFunc(cs, func(c Change) bool { return c.Error != "" })
}

const keaDefaultValid = model.KeaDefaultValidLifetime

// Sites lists what changes from have to want.
func Sites(have, want *model.Site) []Change {
	d := &differ{}
	d.globals(have, want)
	d.classes(have, want)
	d.networks(have, want)
	d.subnets(have, want)
	d.globalReservations(have, want)
	d.ha(have, want)
	slices.SortStableFunc(d.out, func(a, b Change) int {
		return cmp.Or(
			a.Subnet.Addr().Compare(b.Subnet.Addr()),
			cmp.Compare(kindRank[a.Kind], kindRank[b.Kind]),
			strings.Compare(a.What, b.What),
			strings.Compare(a.Field, b.Field),
		)
	})
	return d.out
}

var kindRank = map[string]int{"global": 0, "ha": 1, "peer": 2, "class": 3, "network": 4, "subnet": 5, "pool": 6, "reservation": 7}

type differ struct {
	out    []Change
	global map[*model.Site][]*model.Reservation
}

func (d *differ) add(c Change) { d.out = append(d.out, c) }

// field records a Modify when old and new differ.
func (d *differ) field(base Change, field, old, new string, pos model.Pos) {
	if old == new {
		return
	}
	base.Op, base.Field, base.Old, base.New, base.Pos = Modify, field, old, new, pos
	d.add(base)
}

func intStr(i *model.Int) string {
	if i == nil {
		return ""
	}
	return strconv.FormatInt(i.Value, 10)
}

func posOf(i *model.Int, fallback model.Pos) model.Pos {
	if i != nil {
		return i.Pos
	}
	return fallback
}

// effective resolves a lifetime as Kea does: the subnet's own, else the
// global one, else Kea's default (valid-lifetime only).
func effective(own, global *model.Int, def int64) (string, *model.Int) {
	switch {
	case own != nil:
		return intStr(own), own
	case global != nil:
		return intStr(global), global
	case def > 0:
		return strconv.FormatInt(def, 10), nil
	}
	return "", nil
}

func (d *differ) lifetimes(base Change, have, want, haveG, wantG model.Lifetimes, pos model.Pos) {
	for _, f := range []struct {
		name         string
		h, w, hg, wg *model.Int
		def          int64
	}{
		{"valid-lifetime", have.Valid, want.Valid, haveG.Valid, wantG.Valid, keaDefaultValid},
		{"renew-timer", have.Renew, want.Renew, haveG.Renew, wantG.Renew, 0},
		{"rebind-timer", have.Rebind, want.Rebind, haveG.Rebind, wantG.Rebind, 0},
	} {
		o, _ := effective(f.h, f.hg, f.def)
		n, src := effective(f.w, f.wg, f.def)
		d.field(base, f.name, o, n, posOf(src, pos))
	}
}

func optionMap(opts []*model.Option) map[string]*model.Option {
	m := make(map[string]*model.Option, len(opts))
	for _, o := range opts {
		m[o.Key()] = o
	}
	return m
}

func optionValue(o *model.Option) string {
	if o == nil {
		return ""
	}
	vals := make([]string, len(o.Values))
	for i, v := range o.Values {
		vals[i] = strings.TrimSpace(v)
	}
	s := strings.Join(vals, ", ")
	if o.AlwaysSend {
		s += " (always-send)"
	}
	if o.NeverSend {
		s += " (never-send)"
	}
	return s
}

// options compares two option lists of one scope.
func (d *differ) options(base Change, have, want []*model.Option, pos model.Pos) {
	h, w := optionMap(have), optionMap(want)
	names := make([]string, 0, len(h)+len(w))
	for n := range h {
		names = append(names, n)
	}
	for n := range w {
		if _, ok := h[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		p := pos
		if o := w[n]; o != nil {
			p = o.Pos
		}
		d.field(base, "option "+n, optionValue(h[n]), optionValue(w[n]), p)
	}
}

func (d *differ) globals(have, want *model.Site) {
	base := Change{Kind: "global", What: "global"}
	d.lifetimes(base, have.Defaults.Lifetimes, want.Defaults.Lifetimes, model.Lifetimes{}, model.Lifetimes{}, want.Pos)
	d.options(base, have.Defaults.Options, want.Defaults.Options, want.Pos)
	valid := func(s *model.Site) int64 { return model.Valid(s.Defaults.Lifetimes, model.Lifetimes{}) }
	d.settings(base, nil, nil, valid(have), valid(want), []model.Settings{have.Settings}, []model.Settings{want.Settings}, want.Pos)
	d.raw(base, have.Raw, want.Raw)
	d.server(base, have, want)
}

// byName walks two lists matched by name: added (only in want), both, and
// removed (only in have), in list order.
func byName[T any](have, want []T, name func(T) string, added func(T), both func(o, w T), removed func(T)) {
	h := make(map[string]T, len(have))
	for _, x := range have {
		h[name(x)] = x
	}
	seen := make(map[string]bool, len(want))
	for _, w := range want {
		seen[name(w)] = true
		if o, ok := h[name(w)]; ok {
			both(o, w)
		} else {
			added(w)
		}
	}
	for _, o := range have {
		if !seen[name(o)] {
			removed(o)
		}
	}
}

func (d *differ) classes(have, want *model.Site) {
	byName(have.Classes, want.Classes, func(c *model.ClientClass) string { return c.Name },
		func(w *model.ClientClass) { d.add(Change{Op: Add, Kind: "class", What: "class " + w.Name, Pos: w.Pos}) },
		func(o, w *model.ClientClass) {
			base := Change{Kind: "class", What: "class " + w.Name}
			d.field(base, "test", o.Test, w.Test, w.Pos)
			d.field(base, "only-if-required", strconv.FormatBool(o.OnlyIfRequired), strconv.FormatBool(w.OnlyIfRequired), w.Pos)
			d.options(base, o.Options, w.Options, w.Pos)
			d.lifetimes(base, o.Lifetimes, w.Lifetimes, model.Lifetimes{}, model.Lifetimes{}, w.Pos)
			d.settings(base, nil, nil, 0, 0, []model.Settings{o.Settings}, []model.Settings{w.Settings}, w.Pos)
			d.raw(base, o.Raw, w.Raw)
		},
		func(o *model.ClientClass) { d.add(Change{Op: Remove, Kind: "class", What: "class " + o.Name}) })
}

func subnetLabel(s *model.Subnet) string {
	p := s.Prefix.Masked().String()
	if s.Name == "" || s.Name == p {
		return "subnet " + p
	}
	return "subnet " + s.Name + " " + p
}

func (d *differ) subnets(have, want *model.Site) {
	h := map[netip.Prefix]*model.Subnet{}
	for _, s := range have.Subnets {
		h[s.Prefix.Masked()] = s
	}
	hRes, wRes := bySubnet(have), bySubnet(want)
	seen := map[netip.Prefix]bool{}
	for _, w := range want.Subnets {
		p := w.Prefix.Masked()
		seen[p] = true
		base := Change{Kind: "subnet", What: subnetLabel(w), Subnet: p}
		o := h[p]
		if o == nil {
			c := base
			c.Op, c.Pos = Add, w.Pos
			c.What += fmt.Sprintf(" (id %d)", w.ID)
			d.add(c)
			d.pools(nil, w)
			d.reservations(nil, wRes[p], w)
			continue
		}
		if o.ID != w.ID {
			c := base
			c.Op, c.Field, c.Old, c.New, c.Pos = Modify, "id", strconv.FormatUint(uint64(o.ID), 10), strconv.FormatUint(uint64(w.ID), 10), w.IDPos
			c.Error = "changing the id of an existing subnet orphans its leases and breaks HA lease updates; keep the running id (set id: " + c.Old + ")"
			d.add(c)
		}
		d.field(base, "name", o.Name, w.Name, w.Pos)
		d.field(base, "vlan", itoaZero(o.VLAN), itoaZero(w.VLAN), w.Pos)
		d.field(base, "comment", o.Comment, w.Comment, w.Pos)
		d.field(base, "interface", o.Interface, w.Interface, w.Pos)
		d.field(base, "client-class", strings.Join(o.ClientClasses, ", "), strings.Join(w.ClientClasses, ", "), w.Pos)
		d.field(base, "relay", addrs(o.Relay), addrs(w.Relay), w.Pos)
		d.lifetimes(base, o.Lifetimes, w.Lifetimes, have.Inherited(o), want.Inherited(w), w.Pos)
		d.options(base, o.Options, w.Options, w.Pos)
		d.subnetSettings(base, have, want, o, w, hRes[p], wRes[p])
		d.pools(o, w)
		d.reservations(hRes[p], wRes[p], w)
	}
	for _, o := range have.Subnets {
		p := o.Prefix.Masked()
		if seen[p] {
			continue
		}
		d.add(Change{Op: Remove, Kind: "subnet", What: subnetLabel(o) + fmt.Sprintf(" (id %d)", o.ID), Subnet: p})
		d.reservations(hRes[p], nil, o)
	}
}

func itoaZero(i int) string {
	if i == 0 {
		return ""
	}
	return strconv.Itoa(i)
}

func addrs(a []netip.Addr) string {
	s := make([]string, len(a))
	for i, x := range a {
		s[i] = x.String()
	}
	return strings.Join(s, ", ")
}

func poolLabel(p *model.Pool) string { return "pool " + p.From.String() + "-" + p.To.String() }

// pools compares a subnet's pools by range; have is nil for a new subnet.
func (d *differ) pools(have, want *model.Subnet) {
	h := map[[2]netip.Addr]*model.Pool{}
	if have != nil {
		for _, p := range have.Pools {
			h[[2]netip.Addr{p.From, p.To}] = p
		}
	}
	prefix := want.Prefix.Masked()
	seen := map[[2]netip.Addr]bool{}
	for _, w := range want.Pools {
		k := [2]netip.Addr{w.From, w.To}
		seen[k] = true
		base := Change{Kind: "pool", What: poolLabel(w) + " (" + want.Name + ")", Subnet: prefix}
		o := h[k]
		if o == nil {
			base.Op, base.Pos = Add, w.Pos
			d.add(base)
			continue
		}
		d.field(base, "client-class", strings.Join(o.ClientClasses, ", "), strings.Join(w.ClientClasses, ", "), w.Pos)
		d.options(base, o.Options, w.Options, w.Pos)
		d.settings(base, nil, nil, 0, 0, []model.Settings{o.Settings}, []model.Settings{w.Settings}, w.Pos)
		d.raw(base, o.Raw, w.Raw)
	}
	if have != nil {
		for _, o := range have.Pools {
			if !seen[[2]netip.Addr{o.From, o.To}] {
				d.add(Change{Op: Remove, Kind: "pool", What: poolLabel(o) + " (" + want.Name + ")", Subnet: prefix})
			}
		}
	}
}

type resKey struct{ kind, id string }

// bySubnet groups a site's reservations by the prefix of the subnet that
// holds them (model.Place decides, as for rendering).
func bySubnet(s *model.Site) map[netip.Prefix]map[resKey]*model.Reservation {
	out := map[netip.Prefix]map[resKey]*model.Reservation{}
	for i, j := range model.Place(s) {
		if j < 0 || s.Reservations[i].Global {
			continue
		}
		p := s.Subnets[j].Prefix.Masked()
		if out[p] == nil {
			out[p] = map[resKey]*model.Reservation{}
		}
		r := s.Reservations[i]
		kind, id := r.Identifier()
		out[p][resKey{kind, id}] = r
	}
	return out
}

func resLabel(r *model.Reservation, subnet string) string {
	_, id := r.Identifier()
	host := r.Hostname
	if host != "" {
		host += " "
	}
	if !r.IP.IsValid() {
		return "reservation " + host + id + " (" + subnet + ")"
	}
	return "reservation " + host + id + " → " + r.IP.String() + " (" + subnet + ")"
}

func (d *differ) reservations(have, want map[resKey]*model.Reservation, sn *model.Subnet) {
	prefix := sn.Prefix.Masked()
	keys := make([]resKey, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b resKey) int { return cmp.Or(strings.Compare(a.kind, b.kind), strings.Compare(a.id, b.id)) })
	for _, k := range keys {
		w := want[k]
		o := have[k]
		if o == nil {
			d.add(Change{Op: Add, Kind: "reservation", What: resLabel(w, sn.Name), Pos: w.Pos, Subnet: prefix})
			continue
		}
		base := Change{Kind: "reservation", What: resLabel(w, sn.Name), Subnet: prefix}
		d.field(base, "ip-address", ipText(o.IP), ipText(w.IP), w.IPPos)
		d.field(base, "hostname", o.Hostname, w.Hostname, w.HostnamePos)
		d.field(base, "client-classes", strings.Join(o.ClientClasses, ", "), strings.Join(w.ClientClasses, ", "), w.Pos)
		d.field(base, "comment", o.Comment, w.Comment, w.Pos)
		d.options(base, o.Options, w.Options, w.Pos)
		d.reservationExtras(base, o, w)
	}
	gone := make([]resKey, 0)
	for k := range have {
		if _, ok := want[k]; !ok {
			gone = append(gone, k)
		}
	}
	slices.SortFunc(gone, func(a, b resKey) int { return strings.Compare(a.id, b.id) })
	for _, k := range gone {
		d.add(Change{Op: Remove, Kind: "reservation", What: resLabel(have[k], sn.Name), Subnet: prefix})
	}
}

func (d *differ) ha(have, want *model.Site) {
	base := Change{Kind: "ha", What: "ha"}
	h, w := have.HA, want.HA
	d.field(base, "mode", string(h.Mode), string(w.Mode), w.Pos)
	for _, f := range []struct {
		name string
		h, w *model.Int
	}{
		{"heartbeat-delay", h.HeartbeatDelay, w.HeartbeatDelay}, {"max-response-delay", h.MaxResponseDelay, w.MaxResponseDelay},
		{"max-ack-delay", h.MaxAckDelay, w.MaxAckDelay}, {"max-unacked-clients", h.MaxUnackedClients, w.MaxUnackedClients},
		{"sync-timeout", h.SyncTimeout, w.SyncTimeout},
	} {
		// Kea fills in defaults for timers a config leaves out; only a value
		// set on both sides is comparable.
		if f.h != nil && f.w != nil {
			d.field(base, f.name, intStr(f.h), intStr(f.w), posOf(f.w, w.Pos))
		}
	}
	if w.Mode == model.HANone || h.Mode == model.HANone {
		return
	}
	byName(have.Nodes, want.Nodes, func(n *model.Node) string { return n.Name },
		func(n *model.Node) { d.add(Change{Op: Add, Kind: "peer", What: "peer " + n.Name, Pos: n.Pos}) },
		func(o, n *model.Node) {
			base := Change{Kind: "peer", What: "peer " + n.Name}
			d.field(base, "role", string(o.Role), string(n.Role), n.RolePos)
			d.field(base, "url", urlStr(o), urlStr(n), n.HAURLPos)
			if o.Interfaces != nil && n.Interfaces != nil {
				d.field(base, "interfaces", strings.Join(o.Interfaces, ", "), strings.Join(n.Interfaces, ", "), n.Pos)
			}
		},
		func(o *model.Node) { d.add(Change{Op: Remove, Kind: "peer", What: "peer " + o.Name}) })
}

func urlStr(n *model.Node) string {
	if n.HAURL == nil {
		return ""
	}
	u := *n.HAURL
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String()
}
