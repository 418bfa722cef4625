// Package leases reads the live leases of a site's nodes, each node paged
// through lease_cmds, merges them into one list by address, and says of
// each which nodes hold it and whether a reservation in the site covers it.
// A node that does not answer is reported, and the others' leases are
// still shown: the day-2 view must work while a node is down.
package leases

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/keaops/keaops/internal/keaapi"
	"github.com/keaops/keaops/internal/model"
)

// PageSize is how many leases one lease4-get-page asks for.
const PageSize = 1000

// Lease is one address's lease across the nodes.
type Lease struct {
	IP       netip.Addr `json:"ip-address"`
	HW       string     `json:"hw-address,omitempty"`
	ClientID string     `json:"client-id,omitempty"`
	Hostname string     `json:"hostname,omitempty"`
	Expires  time.Time  `json:"expires"`
	// State: assigned, expired (not yet reclaimed), declined,
	// expired-reclaimed or released.
	State    string `json:"state"`
	SubnetID uint32 `json:"subnet-id"`
	Subnet   string `json:"subnet,omitempty"`
	// Nodes hold this lease (HA keeps them the same).
	Nodes []string `json:"nodes"`
	// Reserved names the site's reservation for this address, or for
	// this client: "printer-3" (or its identifier).
	Reserved string `json:"reserved,omitempty"`
	// Differs lists nodes that hold the address for another client.
	Differs []string `json:"differs,omitempty"`
}

// Node says how reading one node went.
type Node struct {
	Name   string `json:"node"`
	Leases int    `json:"leases"`
	Error  string `json:"error,omitempty"`
}

// Result is every node's leases, merged.
type Result struct {
	Leases []Lease `json:"leases"`
	Nodes  []Node  `json:"nodes"`
}

// Source is one node to read.
type Source struct {
	Name   string
	Client *keaapi.Client
}

// Read reads every node at once and merges their leases. It fails only
// when no node answers.
func Read(ctx context.Context, site *model.Site, sources []Source, now time.Time) (Result, error) {
	per := make([][]keaapi.Lease4, len(sources))
	res := Result{Nodes: make([]Node, len(sources))}
	var wg sync.WaitGroup
	for i, s := range sources {
		wg.Go(func() {
			res.Nodes[i].Name = s.Name
			err := s.Client.Leases4(ctx, PageSize, func(page []keaapi.Lease4) error {
				per[i] = append(per[i], page...)
				return nil
			})
			if err != nil {
				res.Nodes[i].Error = err.Error()
				per[i] = nil
			}
			res.Nodes[i].Leases = len(per[i])
		})
	}
	wg.Wait()
	if !slices.ContainsFunc(res.Nodes, func(n Node) bool { return n.Error == "" }) {
		var errs []string
		for _, n := range res.Nodes {
			errs = append(errs, n.Name+": "+n.Error)
		}
		return res, fmt.Errorf("no node answered: %s", strings.Join(errs, "; "))
	}
	res.Leases = merge(site, sources, per, now)
	return res, nil
}

func merge(site *model.Site, sources []Source, per [][]keaapi.Lease4, now time.Time) []Lease {
	subnets := map[uint32]string{}
	for _, sn := range site.Subnets {
		subnets[sn.ID] = cmp.Or(sn.Name, sn.Prefix.String())
	}
	reserved := reservedBy(site)
	byIP := map[netip.Addr]*Lease{}
	for i, leases := range per {
		for _, l := range leases {
			ip, err := netip.ParseAddr(l.IP)
			if err != nil {
				continue
			}
			hw, _ := model.ParseMAC(l.HW)
			cid, _ := model.ParseClientID(l.ClientID)
			cur, ok := byIP[ip]
			switch {
			case !ok:
				cur = &Lease{IP: ip, HW: hw, ClientID: cid, Hostname: l.Hostname, Expires: l.Expires(), SubnetID: l.Subnet,
					Subnet: subnets[l.Subnet], State: state(l, now)}
				byIP[ip] = cur
			case cur.HW != hw || cur.ClientID != cid:
				cur.Differs = append(cur.Differs, sources[i].Name)
				continue
			case l.Expires().After(cur.Expires):
				// The node that saw the client last knows best.
				cur.Expires, cur.State, cur.Hostname = l.Expires(), state(l, now), cmp.Or(l.Hostname, cur.Hostname)
			}
			cur.Nodes = append(cur.Nodes, sources[i].Name)
		}
	}
	out := make([]Lease, 0, len(byIP))
	for _, l := range byIP {
		l.Reserved = reserved.of(l)
		out = append(out, *l)
	}
	slices.SortFunc(out, func(a, b Lease) int { return a.IP.Compare(b.IP) })
	return out
}

func state(l keaapi.Lease4, now time.Time) string {
	switch l.State {
	case 0:
		if !l.Expires().After(now) {
			return "expired"
		}
		return "assigned"
	case 1:
		return "declined"
	case 2:
		return "expired-reclaimed"
	case 3:
		return "released"
	}
	return fmt.Sprintf("state-%d", l.State)
}

// reservations index the site's reservations by address and identifier.
type reservations struct {
	byIP, byID map[string]string
}

func reservedBy(site *model.Site) reservations {
	r := reservations{byIP: map[string]string{}, byID: map[string]string{}}
	for _, res := range site.Reservations {
		kind, id := res.Identifier()
		name := cmp.Or(res.Hostname, kind+" "+id)
		if res.IP.IsValid() {
			r.byIP[res.IP.String()] = name
		}
		r.byID[kind+"="+id] = name
	}
	return r
}

// of names the reservation that covers a lease: the address's, else the
// client's (a reserved client holding another address until it renews).
func (r reservations) of(l *Lease) string {
	if n := r.byIP[l.IP.String()]; n != "" {
		return n
	}
	if l.HW != "" {
		if n := r.byID["hw-address="+l.HW]; n != "" {
			return n + " (reserved elsewhere)"
		}
	}
	if l.ClientID != "" {
		if n := r.byID["client-id="+l.ClientID]; n != "" {
			return n + " (reserved elsewhere)"
		}
	}
	return ""
}

// Filter is what keaops leases selects.
type Filter struct {
	// Subnet is a name or a prefix.
	Subnet string
	HW     string
	IP     netip.Addr
	State  string
}

// Apply keeps the leases the filter selects.
func (f Filter) Apply(site *model.Site, ls []Lease) ([]Lease, error) {
	var in *model.Subnet
	if f.Subnet != "" {
		for _, sn := range site.Subnets {
			if sn.Name == f.Subnet || sn.Prefix.String() == f.Subnet {
				in = sn
			}
		}
		if in == nil {
			return nil, fmt.Errorf("the site has no subnet %s (a name or a prefix from subnets.yaml)", f.Subnet)
		}
	}
	hw := ""
	if f.HW != "" {
		var err error
		if hw, err = model.ParseMAC(f.HW); err != nil {
			return nil, fmt.Errorf("--mac %s: %w", f.HW, err)
		}
	}
	var out []Lease
	for _, l := range ls {
		if in != nil && !in.Prefix.Contains(l.IP) || hw != "" && l.HW != hw || f.IP.IsValid() && l.IP != f.IP || f.State != "" && l.State != f.State {
			continue
		}
		out = append(out, l)
	}
	return out, nil
}
