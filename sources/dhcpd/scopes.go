package dhcpd

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// The address scopes: shared networks, subnets, pools and their ranges.

// scopeState is what a subnet, network or pool scope collects while its
// block is read.
type scopeState struct {
	subnet  *model.Subnet
	network *model.SharedNetwork
	// pools of a shared network wait for its subnets to be read.
	pools []*model.Pool
	// classes a pool allows (allow members of).
	classes []string
}

func (c *conv) subnet(st *stmt, parent *scope, groups []*scope) {
	if len(st.words) != 4 || !strings.EqualFold(st.arg(2), "netmask") {
		c.wrong(st.pos, "%s: want subnet ADDRESS netmask MASK", st.text())
		return
	}
	a, ok1 := addr(st.words[1])
	m, ok2 := addr(st.words[3])
	bits, ok3 := maskBits(m)
	if !ok1 || !ok2 || !ok3 {
		c.wrong(st.pos, "%s: want an IPv4 address and a contiguous netmask", st.text())
		return
	}
	p := netip.PrefixFrom(a, bits)
	if p.Masked().Addr() != a {
		c.wrong(st.words[1].pos, "subnet %s has host bits set for netmask %s: did you mean %s?", a, m, p.Masked().Addr())
		return
	}
	id, _ := model.SubnetID(p)
	sn := &model.Subnet{Prefix: p, ID: id, IDExplicit: true, Comment: st.comment, Pos: st.pos, PrefixPos: st.pos, IDPos: st.pos}
	if v := vlanRE.FindStringSubmatch(st.comment); v != nil {
		if n, _ := strconv.Atoi(v[1]); n >= 1 && n <= 4094 {
			sn.VLAN = n
		}
	}
	sc := &scope{kind: "subnet", pos: st.pos, state: &scopeState{subnet: sn}}
	if parent.state != nil && parent.state.network != nil {
		sn.Network = parent.state.network.Name
		sn.NetworkPos = st.pos
	}
	c.block(st.block, sc, nil)
	sc.inherit(groups)
	sn.Options, sn.Lifetimes, sn.Settings = sc.options, sc.life, sc.settings
	if sc.known != "" {
		restrictPools(sn, sc.known)
	}
	c.conf.Site.Subnets = append(c.conf.Site.Subnets, sn)
}

func maskBits(m netip.Addr) (int, bool) {
	b := m.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n := 0
	for v&(1<<31) != 0 {
		n++
		v <<= 1
	}
	return n, v == 0
}

func (c *conv) network(st *stmt, parent *scope, groups []*scope) {
	if len(st.words) != 2 {
		c.wrong(st.pos, "%s: want shared-network NAME", st.text())
		return
	}
	n := &model.SharedNetwork{Name: st.arg(1), Comment: st.comment, Pos: st.pos}
	if parent.kind != "global" && parent.kind != "group" {
		c.wrong(st.pos, "a shared-network inside a %s: dhcpd takes them at the top level", parent.kind)
		return
	}
	sc := &scope{kind: "shared-network", pos: st.pos, state: &scopeState{network: n}}
	first := len(c.conf.Site.Subnets)
	c.block(st.block, sc, nil)
	sc.inherit(groups)
	n.Options, n.Lifetimes, n.Settings = sc.options, sc.life, sc.settings
	members := c.conf.Site.Subnets[first:]
	if len(members) == 0 {
		c.wrong(st.pos, "shared-network %s has no subnet", n.Name)
		return
	}
	// Pools written in the network belong to the subnet they are in.
	for _, p := range sc.state.pools {
		placed := false
		for _, sn := range members {
			if sn.Prefix.Contains(p.From) && sn.Prefix.Contains(p.To) {
				sn.Pools = append(sn.Pools, p)
				placed = true
				break
			}
		}
		if !placed {
			c.wrong(p.Pos, "range %s-%s of shared-network %s is in none of its subnets", p.From, p.To, n.Name)
		}
	}
	if sc.known != "" {
		for _, sn := range members {
			restrictPools(sn, sc.known)
		}
	}
	c.conf.Site.Networks = append(c.conf.Site.Networks, n)
}

// rangeStmt converts range [dynamic-bootp] FIRST [LAST].
func (c *conv) rangeStmt(st *stmt, sc *scope) {
	ws := st.words[1:]
	if len(ws) > 0 && strings.EqualFold(ws[0].text, "dynamic-bootp") {
		c.notConverted(st.pos, "%s: dynamic-bootp not converted: Kea answers BOOTP only with its bootp hook (libdhcp_bootp.so); the range is converted for DHCP", st.text())
		ws = ws[1:]
	}
	if len(ws) < 1 || len(ws) > 2 {
		c.wrong(st.pos, "%s: want range FIRST [LAST]", st.text())
		return
	}
	from, ok := addr(ws[0])
	to := from
	if len(ws) == 2 {
		to, ok = addr(ws[1])
	}
	if !ok || to.Less(from) {
		c.wrong(st.pos, "%s: want two IPv4 addresses, the first not after the last", st.text())
		return
	}
	p := &model.Pool{From: from, To: to, Pos: st.pos}
	c.conf.Counts["range"]++
	switch {
	case sc.kind == "subnet":
		if !sc.state.subnet.Prefix.Contains(from) || !sc.state.subnet.Prefix.Contains(to) {
			c.wrong(st.pos, "range %s-%s is not inside subnet %s", from, to, sc.state.subnet.Prefix)
			return
		}
		sc.state.subnet.Pools = append(sc.state.subnet.Pools, p)
	default: // a pool: placed by pool()
		sc.state.pools = append(sc.state.pools, p)
	}
}

// pool converts a pool block: each of its ranges is a Kea pool with the
// pool's classes and options.
func (c *conv) pool(st *stmt, parent *scope) {
	sc := &scope{kind: "pool", pos: st.pos, state: &scopeState{}}
	c.block(st.block, sc, nil)
	classes := sc.state.classes
	switch {
	case sc.known != "" && len(classes) > 0:
		c.notConverted(st.pos, "the pool's %s and its allow members of %s not converted together: a Kea pool takes clients of any one of its classes, not of several at once",
			map[string]string{"KNOWN": "deny unknown-clients", "UNKNOWN": "deny known-clients"}[sc.known], strings.Join(classes, ", "))
	case sc.known != "":
		classes = []string{sc.known}
	}
	if len(sc.state.pools) == 0 {
		c.wrong(st.pos, "a pool without a range")
	}
	if sc.life.Valid != nil || sc.life.Renew != nil || sc.life.Rebind != nil {
		c.notConverted(st.pos, "the pool's lease times not converted: Kea's pools have no lifetimes")
	}
	for _, p := range sc.state.pools {
		p.ClientClasses, p.Options, p.Settings, p.Comment = classes, sc.options, sc.settings, st.comment
		switch {
		case parent.state.subnet != nil:
			sn := parent.state.subnet
			if !sn.Prefix.Contains(p.From) || !sn.Prefix.Contains(p.To) {
				c.wrong(p.Pos, "range %s-%s is not inside subnet %s", p.From, p.To, sn.Prefix)
				continue
			}
			sn.Pools = append(sn.Pools, p)
		default:
			parent.state.pools = append(parent.state.pools, p)
		}
	}
}

// inherit flattens the parameters of the enclosing groups into sc: what
// sc sets itself wins, an inner group over an outer one.
func (sc *scope) inherit(groups []*scope) {
	for i := len(groups) - 1; i >= 0; i-- {
		g := groups[i]
		for _, o := range g.options {
			if !sc.hasOption(o.Key()) {
				sc.options = append(sc.options, o)
			}
		}
		if sc.life.Valid == nil {
			sc.life.Valid = g.life.Valid
		}
		if sc.life.Renew == nil {
			sc.life.Renew = g.life.Renew
		}
		if sc.life.Rebind == nil {
			sc.life.Rebind = g.life.Rebind
		}
		for k, v := range g.settings {
			if _, ok := sc.settings[k]; !ok {
				if sc.settings == nil {
					sc.settings = model.Settings{}
				}
				sc.settings[k] = v
			}
		}
		if sc.known == "" {
			sc.known = g.known
		}
	}
}

func (sc *scope) hasOption(key string) bool {
	for _, o := range sc.options {
		if o.Key() == key {
			return true
		}
	}
	return false
}

// nameSubnets names every subnet as a person would: from the comment
// above it, from its shared network, or by its prefix, each name once.
func (c *conv) nameSubnets() {
	s := c.conf.Site
	used := map[string]bool{}
	inNetwork := map[string]int{}
	for _, sn := range s.Subnets {
		inNetwork[sn.Network]++
	}
	seen := map[string]int{}
	for _, sn := range s.Subnets {
		var name string
		switch {
		case nameFrom(sn.Comment) != "" && !used[nameFrom(sn.Comment)]:
			name = nameFrom(sn.Comment)
		case sn.Network != "" && inNetwork[sn.Network] == 1 && !used[sn.Network]:
			name = sn.Network
		case sn.Network != "":
			seen[sn.Network]++
			name = fmt.Sprintf("%s-%d", sn.Network, seen[sn.Network])
		}
		if name == "" || used[name] {
			name = sn.Prefix.String()
		}
		used[name] = true
		sn.Name = name
	}
}

// inSubnets finds the subnet an address is in.
func inSubnets(s *model.Site) func(netip.Addr) *model.Subnet {
	byPrefix := map[netip.Prefix]*model.Subnet{}
	for _, sn := range s.Subnets {
		byPrefix[sn.Prefix] = sn
	}
	return func(a netip.Addr) *model.Subnet {
		for bits := 32; bits >= 0; bits-- {
			p, _ := a.Prefix(bits)
			if sn := byPrefix[p]; sn != nil {
				return sn
			}
		}
		return nil
	}
}
