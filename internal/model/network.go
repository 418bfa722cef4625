package model

import "net/netip"

// SharedNetwork is Kea's shared network: subnets on one link that serve
// one pool of clients together, with settings and options they inherit.
type SharedNetwork struct {
	Name          string
	Interface     string
	Relay         []netip.Addr
	ClientClasses []string
	Comment       string
	Lifetimes     Lifetimes
	Options       []*Option
	Settings      Settings
	Raw           Raw
	Pos           Pos
}

// Network returns the shared network named name, or nil.
func (s *Site) Network(name string) *SharedNetwork {
	for _, n := range s.Networks {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// Inherited are the lifetimes a subnet inherits: its shared network's over
// the global ones.
func (s *Site) Inherited(sn *Subnet) Lifetimes {
	g := s.Defaults.Lifetimes
	if n := s.Network(sn.Network); n != nil {
		if n.Lifetimes.Valid != nil {
			g.Valid = n.Lifetimes.Valid
		}
		if n.Lifetimes.Renew != nil {
			g.Renew = n.Lifetimes.Renew
		}
		if n.Lifetimes.Rebind != nil {
			g.Rebind = n.Lifetimes.Rebind
		}
	}
	return g
}

// Valid is the effective valid-lifetime of l over its inherited ones.
func Valid(l, inherited Lifetimes) int64 {
	switch {
	case l.Valid != nil:
		return l.Valid.Value
	case inherited.Valid != nil:
		return inherited.Valid.Value
	}
	return KeaDefaultValidLifetime
}
