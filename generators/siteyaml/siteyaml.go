// Package siteyaml writes a model.Site as the site files a person keeps in
// Git — keaops.yaml, subnets.yaml, reservations.yaml — for keaops import:
// the generator half of an importer, after a source (a live pair, Kea's
// files, dhcpd.conf) has read the network into the model.
//
// Output is stable (the same site gives the same bytes), in the order a
// person reads it (a record's name first, subnets and their reservations
// in the site's order, reservations grouped under their subnet), and
// complete: what yamlsrc reads back is the same model, escape hatch and
// secret references included.
package siteyaml

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/keaops/keaops/internal/model"
)

// The files a site is written as, relative to its directory.
const (
	SiteFile         = "keaops.yaml"
	SubnetsFile      = "subnets.yaml"
	ReservationsFile = "reservations.yaml"
)

// Options shape the output.
type Options struct {
	// Header is a comment for the top of every file (what the site was
	// imported from), without the leading "# ".
	Header []string
	// Positions puts each record's source position above it as a comment.
	Positions bool
}

// Write renders s as the site's files, by name.
func Write(s *model.Site, o Options) (map[string][]byte, error) {
	w := &writer{o: o}
	docs := map[string]*yaml.Node{
		SiteFile:         w.site(s),
		SubnetsFile:      w.subnets(s),
		ReservationsFile: w.reservations(s),
	}
	out := make(map[string][]byte, len(docs))
	for name, root := range docs {
		var b bytes.Buffer
		for _, h := range o.Header {
			b.WriteString(strings.TrimRight("# "+h, " ") + "\n")
		}
		if err := encode(&b, root); err != nil {
			return nil, fmt.Errorf("writing %s: %w", name, err)
		}
		out[name] = b.Bytes()
	}
	return out, nil
}

// chunk is how many records of a long list are encoded at a time: yaml's
// emitter slows down on one document of 100,000 records (it moves its
// event queue again and again), and a list encoded piece by piece, each
// piece indented under its key, is the same text.
const chunk = 500

// encode writes a file's root mapping, its long lists in chunks.
func encode(b *bytes.Buffer, root *yaml.Node) error {
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if v.Kind != yaml.SequenceNode || len(v.Content) <= chunk || v.Style != 0 || k.HeadComment != "" {
			if err := encodeNode(b, &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{k, v}}, ""); err != nil {
				return err
			}
			continue
		}
		b.WriteString(k.Value + ":\n")
		for j := 0; j < len(v.Content); j += chunk {
			part := &yaml.Node{Kind: yaml.SequenceNode, Content: v.Content[j:min(j+chunk, len(v.Content))]}
			if err := encodeNode(b, part, "  "); err != nil {
				return err
			}
		}
	}
	return nil
}

// encodeNode writes n as YAML, each line indented by indent.
func encodeNode(b *bytes.Buffer, n *yaml.Node, indent string) error {
	var part bytes.Buffer
	enc := yaml.NewEncoder(&part)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{n}}); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	if indent == "" {
		b.Write(part.Bytes())
		return nil
	}
	for _, line := range strings.SplitAfter(part.String(), "\n") {
		if line != "" && line != "\n" {
			b.WriteString(indent)
		}
		b.WriteString(line)
	}
	return nil
}

type writer struct{ o Options }

// position comments a record with where it came from and the notes on it.
func (w *writer) position(n *yaml.Node, p model.Pos) {
	var lines []string
	if w.o.Positions && p.Line > 0 {
		lines = append(lines, "from "+p.String())
	}
	if len(lines) > 0 {
		n.HeadComment = strings.Join(lines, "\n")
	}
}

// subnets is subnets.yaml: the shared networks, then every subnet with
// its explicit id.
func (w *writer) subnets(s *model.Site) *yaml.Node {
	m := newMapping()
	if len(s.Networks) > 0 {
		list := seq()
		for _, n := range s.Networks {
			nm := newMapping()
			nm.set("name", str(n.Name))
			nm.set("interface", strOr(n.Interface))
			relay(nm, n.Relay)
			classes(nm, n.ClientClasses)
			nm.set("comment", strOr(n.Comment))
			lifetimes(nm, n.Lifetimes)
			options(nm, n.Options, commonShorthands)
			settings(nm, n.Settings)
			raw(nm, n.Raw)
			w.position(nm.n, n.Pos)
			list.Content = append(list.Content, nm.n)
		}
		m.set("shared-networks", list)
	}
	list := seq()
	for _, sn := range s.Subnets {
		list.Content = append(list.Content, w.subnet(sn))
	}
	m.set("subnets", list)
	return m.n
}

func (w *writer) subnet(sn *model.Subnet) *yaml.Node {
	m := newMapping()
	m.set("name", str(sn.Name))
	m.set("prefix", str(sn.Prefix.String()))
	// Always explicit: the id the running server uses, never one keaops
	// derives, or every lease is orphaned.
	m.set("id", integer(int64(sn.ID)))
	m.set("vlan", intOr(sn.VLAN))
	m.set("shared-network", strOr(sn.Network))
	m.set("interface", strOr(sn.Interface))
	relay(m, sn.Relay)
	classes(m, sn.ClientClasses)
	m.set("comment", strOr(sn.Comment))
	lifetimes(m, sn.Lifetimes)
	options(m, sn.Options, subnetShorthands)
	settings(m, sn.Settings)
	if len(sn.Pools) > 0 {
		pools := seq()
		for _, p := range sn.Pools {
			pools.Content = append(pools.Content, pool(p))
		}
		m.set("pools", pools)
	}
	raw(m, sn.Raw)
	w.position(m.n, sn.Pos)
	return m.n
}

func pool(p *model.Pool) *yaml.Node {
	text := str(p.From.String() + "-" + p.To.String())
	if len(p.ClientClasses) == 0 && p.Comment == "" && len(p.Options) == 0 && len(p.Settings) == 0 && p.Raw.Empty() {
		return text
	}
	m := newMapping()
	m.set("range", text)
	classes(m, p.ClientClasses)
	m.set("comment", strOr(p.Comment))
	options(m, p.Options, noShorthands)
	settings(m, p.Settings)
	raw(m, p.Raw)
	return m.n
}

// reservations is reservations.yaml: the global reservations first, then
// each subnet's under a comment naming it, in the site's order.
func (w *writer) reservations(s *model.Site) *yaml.Node {
	bySubnet := map[string][]*model.Reservation{}
	var global []*model.Reservation
	for _, r := range s.Reservations {
		if r.Global {
			global = append(global, r)
			continue
		}
		bySubnet[r.Subnet] = append(bySubnet[r.Subnet], r)
	}
	list := seq()
	add := func(head string, rs []*model.Reservation, sn *model.Subnet) {
		for i, r := range rs {
			n := w.reservation(r, sn)
			if i == 0 {
				n.HeadComment = strings.TrimSpace(head + "\n" + n.HeadComment)
			}
			list.Content = append(list.Content, n)
		}
	}
	add("Global reservations: for any subnet that looks them up", global, nil)
	for _, sn := range s.Subnets {
		rs := bySubnet[sn.Prefix.String()]
		if sn.Name != sn.Prefix.String() {
			rs = append(rs, bySubnet[sn.Name]...)
		}
		head := sn.Prefix.String()
		if sn.Name != head {
			head = sn.Name + " " + head
		}
		add(head, rs, sn)
	}
	m := newMapping()
	m.set("reservations", list)
	return m.n
}

func (w *writer) reservation(r *model.Reservation, sn *model.Subnet) *yaml.Node {
	m := newMapping()
	m.set("hostname", strOr(r.Hostname))
	kind, id := r.Identifier()
	m.set(kind, str(id))
	if r.IP.IsValid() {
		m.set("ip-address", str(r.IP.String()))
	}
	switch {
	case r.Global:
		m.set("global", boolean(true))
	case sn != nil && !inside(sn.Prefix, r.IP):
		// Without an address in it, the reservation names its subnet.
		m.set("subnet", str(sn.Name))
	}
	if len(r.ClientClasses) > 0 {
		m.set("client-classes", strs(r.ClientClasses))
	}
	m.set("comment", strOr(r.Comment))
	settings(m, r.Settings)
	options(m, r.Options, noShorthands)
	raw(m, r.Raw)
	w.position(m.n, r.Pos)
	return m.n
}

func inside(p netip.Prefix, a netip.Addr) bool { return a.IsValid() && p.Contains(a) }
