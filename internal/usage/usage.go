// Package usage says how full a site's subnets and pools are on a node:
// from Kea's own statistics (per subnet, and per pool where the version
// keeps them: subnet[ID].pool[N].*), else counted from the node's leases,
// saying which.
package usage

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"

	"github.com/keaops/keaops/internal/leases"
	"github.com/keaops/keaops/internal/model"
)

// Count is assigned, declined and total addresses.
type Count struct {
	Assigned int64 `json:"assigned"`
	Declined int64 `json:"declined"`
	Total    int64 `json:"total"`
}

// Percent is the share assigned, 0 for an empty range.
func (c Count) Percent() float64 {
	if c.Total == 0 {
		return 0
	}
	return 100 * float64(c.Assigned) / float64(c.Total)
}

func (c Count) String() string {
	return fmt.Sprintf("%d/%d (%.0f %%)", c.Assigned, c.Total, c.Percent())
}

// Pool is one pool's use.
type Pool struct {
	Range string `json:"range"`
	Count
	// From: "statistics" or "leases".
	From string `json:"from"`
}

// Subnet is one subnet's use and its pools'.
type Subnet struct {
	Count
	Pools []Pool `json:"pools"`
}

// Of is a subnet's use on one node, from its statistics, else from the
// leases it holds (node names the node among each lease's Nodes).
func Of(sn *model.Subnet, stats map[string]int64, ls []leases.Lease, node string) Subnet {
	key := func(what string) string { return fmt.Sprintf("subnet[%d].%s", sn.ID, what) }
	var out Subnet
	if total, ok := stats[key("total-addresses")]; ok {
		out.Count = Count{Assigned: stats[key("assigned-addresses")], Declined: stats[key("declined-addresses")], Total: total}
	} else {
		// Only without statistics: a walk over every lease per subnet.
		out.Count = countLeases(sn.Prefix.Contains, ls, node)
		out.Total = poolTotal(sn)
	}
	for i, p := range sn.Pools {
		pool := Pool{Range: p.From.String() + "-" + p.To.String()}
		pk := func(what string) string { return key(fmt.Sprintf("pool[%d].%s", i, what)) }
		if total, ok := stats[pk("total-addresses")]; ok {
			pool.Count, pool.From = Count{Assigned: stats[pk("assigned-addresses")], Declined: stats[pk("declined-addresses")], Total: total}, "statistics"
		} else {
			in := func(a netip.Addr) bool { return p.From.Compare(a) <= 0 && a.Compare(p.To) <= 0 }
			pool.Count, pool.From = countLeases(in, ls, node), "leases"
			pool.Total = size(p.From, p.To)
		}
		out.Pools = append(out.Pools, pool)
	}
	return out
}

// countLeases counts the node's leases in a range as Kea does: assigned
// includes expired leases not yet reclaimed.
func countLeases(in func(netip.Addr) bool, ls []leases.Lease, node string) Count {
	var c Count
	for _, l := range ls {
		if !in(l.IP) || !holds(l, node) {
			continue
		}
		switch l.State {
		case "assigned", "expired":
			c.Assigned++
		case "declined":
			c.Declined++
		}
	}
	return c
}

func holds(l leases.Lease, node string) bool { return slices.Contains(l.Nodes, node) }

func poolTotal(sn *model.Subnet) int64 {
	var t int64
	for _, p := range sn.Pools {
		t += size(p.From, p.To)
	}
	return t
}

func size(from, to netip.Addr) int64 {
	if !from.Is4() || !to.Is4() || to.Less(from) {
		return 0
	}
	a, b := from.As4(), to.As4()
	return int64(binary.BigEndian.Uint32(b[:])) - int64(binary.BigEndian.Uint32(a[:])) + 1
}
