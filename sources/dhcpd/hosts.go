package dhcpd

import (
	"encoding/hex"
	"net/netip"
	"regexp"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// hostDecl is a host block, read, waiting for every subnet to be known:
// dhcpd's hosts are global, and an address places a host in its subnet.
type hostDecl struct {
	name  string
	pos   Pos
	res   *model.Reservation
	fixed []token
	// declaredIn is the subnet the block is written in, nil for none.
	declaredIn *model.Subnet
}

var hostnameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$`)

func (c *conv) host(st *stmt, parent *scope, groups []*scope) {
	if len(st.words) != 2 {
		c.wrong(st.pos, "%s: want host NAME", st.text())
		return
	}
	h := hostDecl{name: st.arg(1), pos: st.pos, res: &model.Reservation{Comment: st.comment, Pos: st.pos, IPPos: st.pos, IDPos: st.pos}}
	if parent.state != nil {
		h.declaredIn = parent.state.subnet
	}
	sc := &scope{kind: "host", pos: st.pos}
	for _, in := range st.block {
		if in.hasBlock {
			c.notConverted(in.pos, "%s in host %s not converted: Kea's reservations hold no statements", in.text(), h.name)
			continue
		}
		switch kw := in.keyword(); {
		case kw == "hardware":
			c.hardware(in, h.res)
		case kw == "fixed-address":
			for _, w := range in.words[1:] {
				if w.kind != tPunct {
					h.fixed = append(h.fixed, w)
				}
			}
		case kw == "uid":
			c.clientID(in, in.words[1:], h.res)
		case kw == "option" && strings.EqualFold(in.arg(1), "dhcp-client-identifier"):
			c.clientID(in, in.words[2:], h.res)
		case kw == "option" && strings.EqualFold(in.arg(1), "host-name") && len(in.words) == 3:
			if name := in.arg(2); hostnameRE.MatchString(name) {
				h.res.Hostname = name
			} else {
				c.notConverted(in.pos, "%s not converted: %q is not a host name Kea sends (letters, digits, '-')", in.text(), name)
			}
		case kw == "host-identifier":
			c.hostIdentifier(in, h.res)
		case kw == "deny" || kw == "ignore" || kw == "allow":
			c.notConverted(in.pos, "%s in host %s not converted: Kea serves every host it has a reservation for (a client class DROP drops clients)", in.text(), h.name)
		case c.param(in, sc):
		default:
			c.notConverted(in.pos, "%s in host %s not converted: Kea's reservations have no such field", in.text(), h.name)
		}
	}
	sc.inherit(groups)
	h.res.Options, h.res.Settings = sc.options, sc.settings
	if h.res.Identifiers() == 0 {
		c.notConverted(st.pos, "host %s not converted: it has no hardware ethernet, uid or host-identifier, so dhcpd never matches a client to it", h.name)
		return
	}
	c.hosts = append(c.hosts, h)
}

func (c *conv) hardware(st *stmt, res *model.Reservation) {
	if len(st.words) != 3 || !strings.EqualFold(st.arg(1), "ethernet") {
		c.notConverted(st.pos, "%s not converted: Kea reserves by Ethernet hardware address", st.text())
		return
	}
	mac, err := model.ParseIdentifier("hw-address", st.arg(2))
	if err != nil {
		c.wrong(st.words[2].pos, "hardware ethernet %s: %v", st.arg(2), err)
		return
	}
	res.HWAddress = mac
}

// clientID reads a client identifier: hex bytes, or a string (its bytes).
func (c *conv) clientID(st *stmt, ws []token, res *model.Reservation) {
	if len(ws) != 1 {
		c.notConverted(st.pos, "%s not converted: want one client identifier", st.text())
		return
	}
	text := ws[0].text
	if ws[0].kind == tString {
		text = hex.EncodeToString([]byte(text))
	}
	id, err := model.ParseIdentifier("client-id", text)
	if err != nil {
		c.wrong(ws[0].pos, "client identifier %s: %v", ws[0].text, err)
		return
	}
	res.ClientID = id
}

// hostIdentifier reads host-identifier option agent.circuit-id "…".
func (c *conv) hostIdentifier(st *stmt, res *model.Reservation) {
	if len(st.words) == 4 && strings.EqualFold(st.arg(1), "option") && strings.EqualFold(st.arg(2), "agent.circuit-id") {
		text := st.words[3].text
		if st.words[3].kind == tString {
			text = hex.EncodeToString([]byte(text))
		}
		if id, err := model.ParseIdentifier("circuit-id", text); err == nil {
			res.CircuitID = id
			return
		}
	}
	c.notConverted(st.pos, "%s not converted: Kea reserves by circuit-id, not by this identifier (its flex_id hook matches others)", st.text())
}

// placeHosts turns the hosts into reservations in the subnets their
// addresses are in. A host whose address is in no subnet, and an address
// reserved for two hosts, are the input's mistakes: reported, the one
// never converted, the other converted as it is (keaops check refuses it).
func (c *conv) placeHosts() {
	s := c.conf.Site
	lookup := inSubnets(s)
	owner := map[netip.Addr]hostDecl{}
	anyGlobal := false
	for _, h := range c.hosts {
		if h.res.Hostname == "" && c.useHostDeclNames {
			if hostnameRE.MatchString(h.name) {
				h.res.Hostname = h.name
			} else {
				c.notConverted(h.pos, "host %s: use-host-decl-names: %q is not a host name Kea sends, so it is left out", h.name, h.name)
			}
		}
		if h.res.Comment == "" && h.res.Hostname != h.name {
			h.res.Comment = "host " + h.name
		}
		if len(h.fixed) == 0 {
			// Known to dhcpd, with no address of its own: Kea's global
			// reservation, which the subnets look up.
			h.res.Global = true
			anyGlobal = true
			s.Reservations = append(s.Reservations, h.res)
			continue
		}
		placed := map[*model.Subnet]bool{}
		for i, w := range h.fixed {
			a, ok := addr(w)
			if !ok {
				c.notConverted(w.pos, "host %s: fixed-address %s not converted: a name dhcpd resolves when it starts; keaops never resolves names, give the address", h.name, w.text)
				continue
			}
			sn := lookup(a)
			switch {
			case sn == nil:
				c.wrong(w.pos, "host %s: fixed-address %s is in no subnet of the configuration: dhcpd never hands it out, so it is not converted", h.name, a)
				continue
			case placed[sn]:
				c.notConverted(w.pos, "host %s: fixed-address %s not converted: Kea reserves one address per host in a subnet (%s is reserved)", h.name, a, h.res.IP)
				continue
			}
			if prev, dup := owner[a]; dup {
				c.wrong(w.pos, "host %s: fixed-address %s is also host %s's (%s): two clients for one address; converted as it is, for you to decide", h.name, a, prev.name, prev.pos)
			} else {
				owner[a] = h
			}
			r := h.res
			if i > 0 {
				cp := *h.res
				r = &cp
			}
			r.IP, r.Subnet, r.Pos, r.IPPos = a, sn.Name, h.pos, w.pos
			if h.declaredIn != nil && h.declaredIn != sn {
				c.notConverted(h.pos, "host %s is written in subnet %s but its address is in %s: in Kea it gets %s's options, not those of the subnet it is written in", h.name, h.declaredIn.Prefix, sn.Prefix, sn.Prefix)
			}
			placed[sn] = true
			s.Reservations = append(s.Reservations, r)
		}
	}
	if anyGlobal {
		if _, set := s.Settings["reservations-global"]; !set {
			if s.Settings == nil {
				s.Settings = model.Settings{}
			}
			s.Settings["reservations-global"] = model.Setting{Value: true}
			c.conf.Notes = append(c.conf.Notes, "hosts without a fixed-address are Kea's global reservations: reservations-global is set, so that every subnet looks them up")
		}
	}
}
