package netbox

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// Convert builds the site's NetBox subnets and reservations from a
// snapshot. Every finding names the NetBox object to edit
// (netbox:ipam/prefixes/12 and its display name); the checks shared with
// YAML (overlaps, duplicates, containment) run later over the merged site.
func Convert(s *Snapshot, cfg *model.NetBox, name string) ([]*model.Subnet, []*model.Reservation, model.Findings) {
	c := converter{cfg: cfg}
	if !SameNetBox(s.NetBox, cfg.URL) {
		c.add(model.Errorf(cfg.Pos, "netbox-snapshot", "%s was taken from %s, but keaops.yaml reads NetBox at %s: take a new one with keaops netbox snapshot", name, s.NetBox, cfg.URL))
		return nil, nil, c.findings
	}
	if diff := selectionDiff(s.Selection, SelectionOf(cfg)); diff != "" {
		c.add(model.Errorf(cfg.Pos, "netbox-snapshot", "%s was taken with another selection than keaops.yaml asks for (%s): take a new one with keaops netbox snapshot", name, diff))
		return nil, nil, c.findings
	}
	if len(s.Prefixes) == 0 {
		c.add(model.Warnf(cfg.Pos, "netbox", "the NetBox selection matched no prefixes (%s): check sources.netbox.prefixes", name))
	}
	subnets := c.subnets(s)
	c.pools(s, subnets)
	var res []*model.Reservation
	if cfg.Addresses != nil {
		res = c.reservations(s)
	}
	out := make([]*model.Subnet, 0, len(subnets))
	for _, sn := range subnets {
		out = append(out, sn.Subnet)
	}
	return out, res, c.findings
}

type converter struct {
	cfg      *model.NetBox
	findings model.Findings
}

func (c *converter) add(f model.Finding) { c.findings = append(c.findings, f) }

// origin is where a NetBox object's findings point.
func origin(endpoint string, id int32, display string) model.Pos {
	return model.Pos{File: fmt.Sprintf("netbox:%s/%d (%s)", endpoint, id, display)}
}

type subnet struct {
	*model.Subnet
	vrf int32
}

func vrfID(r *VRF) int32 {
	if r == nil {
		return 0
	}
	return r.ID
}

func (c *converter) subnets(s *Snapshot) []subnet {
	// A VLAN with several selected prefixes names each of them apart.
	perVLAN := map[string]int{}
	for _, p := range s.Prefixes {
		if p.VLAN != nil {
			perVLAN[p.VLAN.Name]++
		}
	}
	var out []subnet
	for _, p := range s.Prefixes {
		pos := origin("ipam/prefixes", p.ID, p.Display)
		pfx, err := netip.ParsePrefix(p.Prefix)
		if err != nil || !pfx.Addr().Is4() {
			c.add(model.Errorf(pos, "netbox-prefix", "prefix %q is not an IPv4 prefix", p.Prefix))
			continue
		}
		sn := &model.Subnet{Prefix: pfx, Comment: p.Description, Pos: pos, PrefixPos: pos, IDPos: pos}
		switch {
		case p.VLAN != nil && perVLAN[p.VLAN.Name] > 1:
			sn.Name = p.VLAN.Name + " " + pfx.String()
		case p.VLAN != nil:
			sn.Name = p.VLAN.Name
		case p.Description != "":
			sn.Name = p.Description
		default:
			sn.Name = pfx.String()
		}
		if p.VLAN != nil {
			sn.VLAN = int(p.VLAN.VID)
		}
		cf := fieldReader{c: c, pos: pos, values: p.CustomFields}
		if id, ok := cf.int(c.cfg.Field("subnet-id"), 1, math.MaxUint32-1); ok {
			sn.ID, sn.IDExplicit = uint32(id), true
		} else if id, err := model.SubnetID(pfx); err == nil {
			sn.ID = id
		} else {
			c.add(model.Errorf(pos, "subnet-id", "%v: set the %s custom field", err, c.cfg.Field("subnet-id")))
		}
		sn.Lifetimes = model.Lifetimes{
			Valid:  cf.seconds(c.cfg.Field("valid-lifetime")),
			Renew:  cf.seconds(c.cfg.Field("renew-timer")),
			Rebind: cf.seconds(c.cfg.Field("rebind-timer")),
		}
		sn.Relay = cf.addrs(c.cfg.Field("relay"))
		if class := cf.str(c.cfg.Field("client-class")); class != "" {
			sn.ClientClasses = []string{class}
		}
		sn.Options = cf.options()
		out = append(out, subnet{sn, vrfID(p.VRF)})
	}
	return out
}

// pools puts each range into the most specific selected prefix of its VRF
// that holds it whole: at most 33 lookups per range, however many prefixes.
func (c *converter) pools(s *Snapshot, subnets []subnet) {
	type key struct {
		vrf int32
		pfx netip.Prefix
	}
	byPrefix := make(map[key]*subnet, len(subnets))
	for i := range subnets {
		k := key{subnets[i].vrf, subnets[i].Prefix.Masked()}
		if _, dup := byPrefix[k]; !dup {
			byPrefix[k] = &subnets[i]
		}
	}
	for _, r := range s.IPRanges {
		pos := origin("ipam/ip-ranges", r.ID, r.Display)
		from, errF := netip.ParseAddr(r.Start)
		to, errT := netip.ParseAddr(r.End)
		if errF != nil || errT != nil || !from.Is4() || !to.Is4() {
			c.add(model.Errorf(pos, "netbox-ip-range", "range %s-%s is not a pair of IPv4 addresses", r.Start, r.End))
			continue
		}
		var best *subnet
		for bits := 32; bits >= 0 && best == nil; bits-- {
			p := netip.PrefixFrom(from, bits).Masked()
			if sn := byPrefix[key{vrfID(r.VRF), p}]; sn != nil && p.Contains(to) {
				best = sn
			}
		}
		if best == nil {
			c.add(model.Errorf(pos, "netbox-ip-range", "range %s-%s is not inside one selected prefix of its VRF: keaops cannot tell which subnet it is a pool of", from, to))
			continue
		}
		best.Pools = append(best.Pools, &model.Pool{From: from, To: to, Comment: r.Description, Pos: pos})
	}
}

func (c *converter) reservations(s *Snapshot) []*model.Reservation {
	var out []*model.Reservation
	for _, a := range s.Addresses {
		pos := origin("ipam/ip-addresses", a.ID, a.Display)
		ip, err := netip.ParseAddr(addrOnly(a.Address))
		if err != nil || !ip.Is4() {
			c.add(model.Errorf(pos, "netbox-ip-address", "address %q is not an IPv4 address", a.Address))
			continue
		}
		r := &model.Reservation{IP: ip, Comment: a.Description, Pos: pos, IPPos: pos, IDPos: pos, HostnamePos: pos, SubnetPos: pos}
		cf := fieldReader{c: c, pos: pos, values: a.CustomFields}
		hwField := c.cfg.Field("hw-address")
		mac := cf.str(hwField)
		ifc := a.Interface
		switch {
		case mac != "":
			if r.HWAddress, err = model.ParseMAC(mac); err != nil {
				c.add(model.Errorf(pos, "netbox-ip-address", "custom field %s: %q: %v", hwField, mac, err))
				continue
			}
		case ifc == nil:
			c.add(model.Warnf(pos, "netbox-ip-address", "no reservation for %s: it is assigned to no interface; assign it to one with a MAC address, or set the %s custom field", ip, hwField))
			continue
		case ifc.MAC == "" && len(ifc.MACs) > 1:
			c.add(model.Warnf(pos, "netbox-ip-address", "no reservation for %s: interface %s of %s has %d MAC addresses (%s) and no primary one; mark one primary in NetBox", ip, ifc.Name, ifc.Parent, len(ifc.MACs), strings.Join(ifc.MACs, ", ")))
			continue
		case ifc.MAC == "":
			c.add(model.Warnf(pos, "netbox-ip-address", "no reservation for %s: interface %s of %s has no MAC address", ip, ifc.Name, ifc.Parent))
			continue
		default:
			if r.HWAddress, err = model.ParseMAC(ifc.MAC); err != nil {
				c.add(model.Errorf(pos, "netbox-ip-address", "MAC address %q of interface %s: %v", ifc.MAC, ifc.Name, err))
				continue
			}
		}
		switch host, from := hostname(a); {
		case host == "":
		case hostnameRE.MatchString(host) && len(host) <= 253:
			r.Hostname = host
		default:
			c.add(model.Warnf(pos, "netbox-ip-address", "%s %q is not a host name, so the reservation for %s has none; set the address's DNS name", from, host, ip))
		}
		out = append(out, r)
	}
	return out
}

// hostname is the address's DNS name, else its device's or VM's name.
func hostname(a IPAddress) (name, from string) {
	if a.DNSName != "" {
		return a.DNSName, "DNS name"
	}
	if a.Interface != nil && a.Interface.Parent != "" {
		return a.Interface.Parent, "device name"
	}
	return "", ""
}

// hostnameRE is the schema's #Hostname: RFC 1123 labels, optionally fully
// qualified.
var hostnameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$`)

// fieldReader reads custom field values, reporting values of the wrong
// kind at the object with the field's name.
type fieldReader struct {
	c      *converter
	pos    model.Pos
	values map[string]any
}

func (f fieldReader) bad(field string, v any, want string) {
	f.c.add(model.Errorf(f.pos, "netbox-custom-field", "custom field %s: %s is not %s", field, show(v), want))
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func (f fieldReader) str(field string) string {
	v, ok := f.values[field]
	if !ok {
		return ""
	}
	if s, ok := v.(string); ok {
		return strings.TrimSpace(s)
	}
	f.bad(field, v, "text")
	return ""
}

func (f fieldReader) int(field string, lo, hi int64) (int64, bool) {
	v, ok := f.values[field]
	if !ok {
		return 0, false
	}
	var n int64
	var err error
	switch x := v.(type) {
	case json.Number:
		n, err = strconv.ParseInt(string(x), 10, 64)
	case float64:
		n = int64(x)
		if float64(n) != x {
			err = fmt.Errorf("not whole")
		}
	case string:
		n, err = strconv.ParseInt(strings.TrimSpace(x), 10, 64)
	default:
		err = fmt.Errorf("not a number")
	}
	if err != nil || n < lo || n > hi {
		f.bad(field, v, fmt.Sprintf("a whole number from %d to %d", lo, hi))
		return 0, false
	}
	return n, true
}

func (f fieldReader) seconds(field string) *model.Int {
	if n, ok := f.int(field, 0, math.MaxUint32); ok {
		return &model.Int{Value: n, Pos: f.pos}
	}
	return nil
}

// list reads a field holding one or more values: a JSON list, or text
// separated by commas or spaces (NetBox text fields are the common way).
func (f fieldReader) list(field string) []string {
	v, ok := f.values[field]
	if !ok {
		return nil
	}
	var out []string
	switch x := v.(type) {
	case string:
		out = strings.FieldsFunc(x, func(r rune) bool { return r == ',' || r == ' ' || r == ';' || r == '\n' || r == '\t' })
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				f.bad(field, v, "a list of addresses")
				return nil
			}
			out = append(out, strings.TrimSpace(s))
		}
	default:
		f.bad(field, v, "a list of addresses")
	}
	return out
}

// addrs reads IPv4 addresses; NetBox users often paste them with a mask.
func (f fieldReader) addrs(field string) []netip.Addr {
	var out []netip.Addr
	for _, s := range f.list(field) {
		a, err := netip.ParseAddr(addrOnly(s))
		if err != nil || !a.Is4() {
			f.bad(field, f.values[field], "a list of IPv4 addresses")
			return nil
		}
		out = append(out, a)
	}
	return out
}

// options reads the convenience fields and the options field (a JSON
// object of option name to value) into options, as subnets.yaml would.
func (f fieldReader) options() []*model.Option {
	var out []*model.Option
	byName := map[string]bool{}
	add := func(name string, values []string) {
		out = append(out, &model.Option{Name: name, Values: values, Pos: f.pos})
		byName[name] = true
	}
	for _, c := range []struct{ setting, option string }{{"gateway", "routers"}, {"dns", "domain-name-servers"}, {"ntp", "ntp-servers"}} {
		if as := f.addrs(f.c.cfg.Field(c.setting)); len(as) > 0 {
			vs := make([]string, len(as))
			for i, a := range as {
				vs[i] = a.String()
			}
			add(c.option, vs)
		}
	}
	if d := f.str(f.c.cfg.Field("domain")); d != "" {
		if !hostnameRE.MatchString(d) {
			f.bad(f.c.cfg.Field("domain"), d, "a domain name")
		} else {
			add("domain-name", []string{d})
		}
	}
	field := f.c.cfg.Field("options")
	v, ok := f.values[field]
	if !ok {
		return out
	}
	if s, isText := v.(string); isText { // a text field holding JSON
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			f.bad(field, s, "a JSON object of option names and values")
			return out
		}
	}
	opts, ok := v.(map[string]any)
	if !ok {
		f.bad(field, v, "a JSON object of option names and values")
		return out
	}
	for _, name := range slices.Sorted(maps.Keys(opts)) {
		if byName[name] {
			f.c.add(model.Errorf(f.pos, "option", "option %q is set both by custom field %s and by another custom field: set it once", name, field))
			continue
		}
		values, ok := optionValues(opts[name])
		if !ok {
			f.bad(field, opts[name], fmt.Sprintf("a value for option %q (text, a number, true/false, or a list of them)", name))
			continue
		}
		add(name, values)
	}
	return out
}

func optionValues(v any) ([]string, bool) {
	scalar := func(v any) (string, bool) {
		switch x := v.(type) {
		case string:
			return x, true
		case bool:
			return strconv.FormatBool(x), true
		case json.Number:
			return string(x), true
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64), true
		}
		return "", false
	}
	if l, ok := v.([]any); ok {
		out := make([]string, len(l))
		for i, e := range l {
			s, ok := scalar(e)
			if !ok {
				return nil, false
			}
			out[i] = s
		}
		return out, true
	}
	s, ok := scalar(v)
	return []string{s}, ok
}

// selectionDiff names the settings that differ, e.g.
// "prefixes.tag: [kea] in the snapshot, [kea ipv4] in keaops.yaml"; ""
// when none do. An empty list and an absent one are the same selection.
func selectionDiff(had, want Selection) string {
	var diffs []string
	cmp := func(what string, a, b []string) {
		if !slices.Equal(a, b) {
			diffs = append(diffs, fmt.Sprintf("%s: %s in the snapshot, %s in keaops.yaml", what, show(a), show(b)))
		}
	}
	filters := func(name string, a, b Filter) {
		cmp(name+".tag", a.Tag, b.Tag)
		cmp(name+".role", a.Role, b.Role)
		cmp(name+".site", a.Site, b.Site)
		cmp(name+".vrf", a.VRF, b.VRF)
		cmp(name+".status", a.Status, b.Status)
	}
	filters("prefixes", had.Prefixes, want.Prefixes)
	filters("ip-ranges", had.IPRanges, want.IPRanges)
	switch {
	case (had.Addresses == nil) != (want.Addresses == nil):
		diffs = append(diffs, fmt.Sprintf("ip-addresses: %s in the snapshot, %s in keaops.yaml", show(had.Addresses), show(want.Addresses)))
	case had.Addresses != nil:
		filters("ip-addresses", *had.Addresses, *want.Addresses)
	}
	cmp("custom-fields", had.Fields, want.Fields)
	return strings.Join(diffs, "; ")
}
