package importer

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/validate"
	"github.com/keaops/keaops/sources/dhcpd"
)

// FromDHCPD imports an ISC dhcpd.conf for Kea version v (relative
// includes from includeDir, see dhcpd.Read): one node, or
// the HA pair its failover peer describes. eps name the nodes (the
// primary first) and where keaops reaches them; without them a node is
// named after its address and reached on the Control Agent's port there.
func FromDHCPD(path, includeDir string, v model.Version, eps []Endpoint) (*Result, *dhcpd.Conf, error) {
	conf, err := dhcpd.Read(path, includeDir)
	if err != nil {
		return nil, nil, err
	}
	s := conf.Site
	s.KeaVersion = v
	res := &Result{Site: s, From: []string{path}}
	for _, f := range conf.NotConverted {
		res.report(f.Pos.String(), "%s", f.Text)
	}
	for _, f := range conf.Wrong {
		res.Wrong = append(res.Wrong, Item{Pos: f.Pos.String(), Text: f.Text})
	}
	res.Notes = append(res.Notes, conf.Notes...)
	if len(eps) > 2 {
		return nil, nil, fmt.Errorf("--endpoint: a dhcpd.conf describes one server or a failover pair, not %d", len(eps))
	}
	f := conf.Failover
	switch {
	case f == nil:
		s.Nodes = []*model.Node{res.dhcpdNode(v, eps, 0, "kea", netip4Loopback, "")}
	default:
		self, peer := f.Address, f.PeerAddress
		primary, other := self, peer
		if !f.Primary {
			primary, other = peer, self
		}
		second := model.RoleSecondary
		if f.Mode == model.HAHotStandby {
			second = model.RoleStandby
		}
		s.HA = model.HA{Mode: f.Mode, Pos: f.Pos}
		if f.MaxResponseDelay > 0 {
			s.HA.MaxResponseDelay = &model.Int{Value: f.MaxResponseDelay * 1000, Pos: f.Pos}
		}
		s.Nodes = []*model.Node{
			res.dhcpdNode(v, eps, 0, "kea-"+strings.ReplaceAll(primary.String(), ".", "-"), primary.String(), model.RolePrimary),
			res.dhcpdNode(v, eps, 1, "kea-"+strings.ReplaceAll(other.String(), ".", "-"), other.String(), second),
		}
		res.note("failover peer %s is an HA pair in %s mode: %s (primary) and %s (%s)", f.Name, f.Mode, s.Nodes[0].Name, s.Nodes[1].Name, second)
	}
	res.note("interfaces: dhcpd takes them on its command line (INTERFACESv4 in /etc/default/isc-dhcp-server): list them under each node's interfaces")
	validate.NameOptions(s)
	return res, conf, nil
}

const netip4Loopback = "127.0.0.1"

// dhcpdNode is node i of an imported dhcpd configuration.
func (res *Result) dhcpdNode(v model.Version, eps []Endpoint, i int, name, host string, role model.Role) *model.Node {
	n := &model.Node{Name: name, Role: role}
	if i < len(eps) {
		n.Name, n.ControlURL = eps[i].Name, eps[i].URL
	} else {
		n.ControlURL = &url.URL{Scheme: "http", Host: net.JoinHostPort(host, "8000"), Path: "/"}
		res.note("node %s: its control URL is assumed to be %s (the Control Agent's default port): check it, or import with --endpoint %s=URL", n.Name, n.ControlURL, n.Name)
	}
	if role != "" {
		haPort := "8000" // peers reach each other's Control Agent
		if v.AtLeast(2, 4) {
			haPort = "8001" // kea-dhcp4's own HA listener, Kea's default from 2.4
		}
		h := host
		if n.ControlURL != nil {
			h = n.ControlURL.Hostname()
		}
		n.HAURL = &url.URL{Scheme: "http", Host: net.JoinHostPort(h, haPort), Path: "/"}
	}
	return n
}
