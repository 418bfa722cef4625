package keaconfig

import (
	"net/netip"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// The scopes of a configuration: client classes, shared networks, subnets,
// pools, reservations, and what they share — options, lifetimes, settings.

func (r *reader) class(o *obj) *model.ClientClass {
	c := &model.ClientClass{Name: o.str("name"), Test: o.str("test"), Comment: r.comment(o), Options: r.options(o), Lifetimes: r.lifetimes(o), Pos: r.pos}
	c.OnlyIfRequired = o.flag("only-if-required") || o.flag("only-in-additional-list")
	c.Settings = r.settings(o, model.ScopeClass, 0)
	c.Raw = r.raw(o, "class")
	return c
}

func (r *reader) network(s *model.Site, o *obj) {
	n := &model.SharedNetwork{Name: o.str("name"), Interface: o.str("interface"), Relay: r.relay(o), ClientClasses: r.classes(o),
		Comment: r.comment(o), Options: r.options(o), Pos: r.pos}
	n.Lifetimes = r.lifetimesIn(o, s.Defaults.Lifetimes)
	n.Settings = r.settings(o, model.ScopeNetwork, model.Valid(n.Lifetimes, s.Defaults.Lifetimes), s.Settings)
	s.Networks = append(s.Networks, n)
	for _, sc := range o.list("subnet4") {
		r.subnet(s, sc, n)
	}
	r.later(func() { n.Raw = r.raw(o, "shared-network") })
}

func (r *reader) subnet(s *model.Site, o *obj, n *model.SharedNetwork) {
	p, err := netip.ParsePrefix(o.str("subnet"))
	if err != nil {
		r.p.errorf(o.path+".subnet", "%v", err)
		return
	}
	uc := o.child("user-context")
	name := uc.str("name")
	if name == "" {
		name = p.String()
	}
	sn := &model.Subnet{IDExplicit: true, Name: name, Prefix: p, Interface: o.str("interface"), ClientClasses: r.classes(o),
		Comment: r.comment(o), Options: r.options(o), Relay: r.relay(o), Recorded: r.record(o),
		Pos: r.pos, PrefixPos: r.pos, IDPos: r.pos, NetworkPos: r.pos}
	if id := o.intp("id"); id != nil {
		sn.ID = uint32(*id)
	}
	if vlan := uc.intp("vlan"); vlan != nil {
		sn.VLAN = int(*vlan)
	}
	var outer []model.Settings
	if n != nil {
		sn.Network = n.Name
		outer = append(outer, n.Settings)
	}
	inherited := s.Inherited(sn)
	sn.Lifetimes = r.lifetimesIn(o, inherited)
	sn.Settings = r.settings(o, model.ScopeSubnet, model.Valid(sn.Lifetimes, inherited), append([]model.Settings{s.Settings}, outer...)...)
	for _, po := range o.list("pools") {
		from, to, err := poolRange(po.str("pool"))
		if err != nil {
			r.p.errorf(po.path+".pool", "%v", err)
			continue
		}
		pl := &model.Pool{From: from, To: to, ClientClasses: r.classes(po), Comment: r.comment(po), Options: r.options(po), Pos: r.pos}
		pl.Settings = r.settings(po, model.ScopePool, 0)
		pl.Raw = r.raw(po, "pool")
		sn.Pools = append(sn.Pools, pl)
	}
	for _, rc := range o.list("reservations") {
		if rv := r.reservation(rc, sn); rv != nil {
			s.Reservations = append(s.Reservations, rv)
		}
	}
	s.Subnets = append(s.Subnets, sn)
	// The reservation flags need every reservation of the site read.
	r.pending = append(r.pending, pendingSubnet{sn, o})
}

type pendingSubnet struct {
	sn *model.Subnet
	o  *obj
}

func (r *reader) later(fn func()) { r.deferred = append(r.deferred, fn) }

// reservationFlags reads the reservations-* keys of every subnet: a value
// equal to what keaops derives (model.ReservationFlags) where no enclosing
// scope sets the key is keaops's rendering, not a setting. Then the
// subnets', the networks' raw.
func (r *reader) reservationFlags(s *model.Site) {
	bySubnet := map[*model.Subnet][]*model.Reservation{}
	for i, j := range model.Place(s) {
		if j >= 0 {
			bySubnet[s.Subnets[j]] = append(bySubnet[s.Subnets[j]], s.Reservations[i])
		}
	}
	globals := model.GlobalReservations(s)
	for _, ps := range r.pending {
		res := bySubnet[ps.sn]
		derived := model.SubnetBase(s, globals, ps.sn, res)
		outer := []model.Settings{s.Settings}
		if n := s.Network(ps.sn.Network); n != nil {
			outer = append(outer, n.Settings)
		}
		for _, k := range []string{"reservations-global", "reservations-in-subnet", "reservations-out-of-pool"} {
			v := ps.o.boolp(k)
			if v == nil {
				continue
			}
			want := derived[k]
			for _, o := range outer {
				if set, ok := o[k]; ok {
					want = set.Value
				}
			}
			if *v != want {
				if ps.sn.Settings == nil {
					ps.sn.Settings = model.Settings{}
				}
				ps.sn.Settings[k] = model.Setting{Value: *v, Pos: r.pos}
			}
		}
		ps.sn.Raw = r.raw(ps.o, "subnet")
	}
	for _, fn := range r.deferred {
		fn()
	}
}

func (r *reader) reservation(o *obj, sn *model.Subnet) *model.Reservation {
	rv := &model.Reservation{Hostname: o.str("hostname"), Options: r.options(o), ClientClasses: o.strs("client-classes"), Comment: r.comment(o),
		Pos: r.pos, IPPos: r.pos, IDPos: r.pos, HostnamePos: r.pos, SubnetPos: r.pos}
	for _, kind := range model.IdentifierKinds {
		if !o.has(kind) {
			continue
		}
		v, err := model.ParseIdentifier(kind, o.str(kind))
		if err != nil {
			r.p.errorf(o.path+"."+kind, "%v", err)
			return nil
		}
		rv.SetIdentifier(kind, v)
	}
	if ip := o.str("ip-address"); ip != "" {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			r.p.errorf(o.path+".ip-address", "%v", err)
			return nil
		}
		rv.IP = a
	}
	if sn != nil {
		rv.Subnet = sn.Prefix.String()
	}
	rv.Settings = r.settings(o, model.ScopeReservation, 0)
	rv.Raw = r.raw(o, "reservation")
	return rv
}

// classes reads client-class, or 3.0's client-classes list.
func (r *reader) classes(o *obj) []string {
	if c := o.str("client-class"); c != "" {
		return []string{c}
	}
	return o.strs("client-classes")
}

func (r *reader) relay(o *obj) []netip.Addr {
	rel := o.child("relay")
	var out []netip.Addr
	for _, s := range rel.strs("ip-addresses") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			r.p.errorf(rel.path+".ip-addresses", "%v", err)
			continue
		}
		out = append(out, a)
	}
	if a := rel.str("ip-address"); a != "" { // the pre-1.4 single form
		if addr, err := netip.ParseAddr(a); err == nil {
			out = append(out, addr)
		}
	}
	return out
}

// lifetimesIn reads a scope's lifetimes, leaving out those equal to what
// it inherits: config-get prints inherited lifetimes in every subnet.
func (r *reader) lifetimesIn(o *obj, inherited model.Lifetimes) model.Lifetimes {
	l := r.lifetimes(o)
	same := func(own, in *model.Int, def int64) *model.Int {
		switch {
		case own == nil:
			return nil
		case in != nil && in.Value == own.Value, in == nil && def > 0 && own.Value == def:
			return nil
		}
		return own
	}
	return model.Lifetimes{Valid: same(l.Valid, inherited.Valid, model.KeaDefaultValidLifetime), Renew: same(l.Renew, inherited.Renew, 0), Rebind: same(l.Rebind, inherited.Rebind, 0)}
}

func (r *reader) options(o *obj) []*model.Option {
	var out []*model.Option
	for _, oc := range o.list("option-data") {
		oc.claimed = true
		opt := &model.Option{Name: oc.str("name"), AlwaysSend: oc.flag("always-send"), NeverSend: oc.flag("never-send"), CSVFormat: oc.boolp("csv-format"), Pos: r.pos}
		if code := oc.intp("code"); code != nil && opt.Name == "" {
			opt.Code = int(*code)
		}
		if sp := oc.str("space"); sp != "dhcp4" {
			opt.Space = sp
		}
		for _, v := range splitData(oc.str("data")) {
			opt.Values = append(opt.Values, strings.TrimSpace(v))
		}
		out = append(out, opt)
		oc.report("option")
	}
	return out
}

// splitData splits option data at the commas Kea splits it at: not at an
// escaped one (\,), which is part of the value.
func splitData(data string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(data); i++ {
		switch {
		case data[i] == '\\' && i+1 < len(data) && data[i+1] == ',':
			cur.WriteString(`\,`)
			i++
		case data[i] == ',':
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(data[i])
		}
	}
	return append(out, cur.String())
}

// settings reads the settings of scope, leaving out those equal to what
// the scope inherits from outer (outermost first) or Kea's default.
// valid is the scope's effective valid-lifetime, 0 where none applies.
func (r *reader) settings(o *obj, scope model.Scope, valid int64, outer ...model.Settings) model.Settings {
	var out model.Settings
	for _, d := range model.SettingDefs {
		if d.Scopes&scope == 0 || !o.has(d.Key) || scope == model.ScopeSubnet && strings.HasPrefix(d.Key, "reservations-") {
			continue
		}
		raw, _ := o.get(d.Key)
		v, err := d.Value(raw)
		if err != nil {
			r.p.errorf(o.path+"."+d.Key, "%v", err)
			continue
		}
		var without any = d.Default
		if d.DefaultFrom != "" {
			without = nil
			if valid > 0 {
				without = valid
			}
		}
		for _, s := range outer {
			if set, ok := s[d.Key]; ok {
				without = set.Value
			}
		}
		if model.Text(v) == model.Text(without) {
			continue
		}
		if out == nil {
			out = model.Settings{}
		}
		out[d.Key] = model.Setting{Value: v, Pos: r.pos}
	}
	return out
}

func (r *reader) optionDefs(o *obj) []*model.OptionDef {
	var out []*model.OptionDef
	for _, d := range o.list("option-def") {
		def := &model.OptionDef{Name: d.str("name"), Space: d.str("space"), Type: d.str("type"), RecordTypes: d.str("record-types"),
			Array: d.flag("array"), Encapsulate: d.str("encapsulate"), Pos: r.pos}
		if def.Space == "dhcp4" {
			def.Space = ""
		}
		if c := d.intp("code"); c != nil {
			def.Code = int(*c)
		}
		out = append(out, def)
		d.report("option-def")
	}
	return out
}
