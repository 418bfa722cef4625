package validate

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"

	"go4.org/netipx"

	"github.com/keaops/keaops/internal/model"
)

// checkSubnets: canonical prefixes, no overlaps or duplicates, unique names
// and ids.
func checkSubnets(s *model.Site, _ []int, report func(model.Finding)) {
	names := make(map[string]*model.Subnet, len(s.Subnets))
	ids := make(map[uint32]*model.Subnet, len(s.Subnets))
	for _, sn := range s.Subnets {
		if m := sn.Prefix.Masked(); m != sn.Prefix {
			report(model.Errorf(sn.PrefixPos, "subnet-prefix", "prefix %s has host bits set: did you mean %s?", sn.Prefix, m))
		}
		if !sn.Prefix.Addr().Is4() {
			report(model.Errorf(sn.PrefixPos, "subnet-prefix", "prefix %s is not IPv4", sn.Prefix))
		}
		if prev, dup := names[sn.Name]; dup {
			report(model.Errorf(sn.Pos, "subnet-name", "subnet name %q is already used by %s at %s", sn.Name, prev.Prefix, prev.Pos))
		} else {
			names[sn.Name] = sn
		}
		for i, a := range sn.Relay {
			if slices.Contains(sn.Relay[:i], a) {
				report(model.Errorf(sn.Pos, "subnet-relay", "relay address %s of subnet %s is listed twice (Kea refuses the config)", a, sn.Name))
			}
		}
		if sn.ID == 0 {
			continue // the source already reported why there is no id
		}
		// Two derived ids collide only for the same network address, which
		// the overlap sweep reports as a duplicate prefix.
		if prev, dup := ids[sn.ID]; dup && (sn.IDExplicit || prev.IDExplicit) {
			report(model.Errorf(idPos(sn), "subnet-id", "subnet id %d of %s (%s) is already used by %s (%s) at %s%s",
				sn.ID, sn.Name, idOrigin(sn), prev.Name, idOrigin(prev), prev.Pos, idHint(sn, prev)))
		} else if !dup {
			ids[sn.ID] = sn
		}
	}

	// Sweep the subnets sorted by first address: any subnet starting before
	// the furthest end seen so far overlaps the subnet that reached it.
	sorted := slices.Clone(s.Subnets)
	slices.SortStableFunc(sorted, func(a, b *model.Subnet) int {
		return cmp.Or(a.Prefix.Masked().Addr().Compare(b.Prefix.Masked().Addr()), cmp.Compare(a.Prefix.Bits(), b.Prefix.Bits()))
	})
	var reach *model.Subnet
	for _, sn := range sorted {
		if reach != nil && netipx.PrefixLastIP(reach.Prefix.Masked()).Compare(sn.Prefix.Masked().Addr()) >= 0 {
			if reach.Prefix.Masked() == sn.Prefix.Masked() {
				report(model.Errorf(sn.PrefixPos, "subnet-overlap", "prefix %s is also subnet %s at %s", sn.Prefix.Masked(), reach.Name, reach.PrefixPos))
			} else {
				report(model.Errorf(sn.PrefixPos, "subnet-overlap", "subnet %s (%s) overlaps subnet %s (%s) at %s", sn.Name, sn.Prefix.Masked(), reach.Name, reach.Prefix.Masked(), reach.PrefixPos))
			}
		}
		if reach == nil || netipx.PrefixLastIP(sn.Prefix.Masked()).Compare(netipx.PrefixLastIP(reach.Prefix.Masked())) > 0 {
			reach = sn
		}
	}
}

func idPos(sn *model.Subnet) model.Pos {
	if sn.IDExplicit {
		return sn.IDPos
	}
	return sn.PrefixPos
}

func idOrigin(sn *model.Subnet) string {
	if sn.IDExplicit {
		return "explicit"
	}
	return "derived from " + sn.Prefix.Masked().Addr().String()
}

func idHint(a, b *model.Subnet) string {
	if a.IDExplicit && b.IDExplicit {
		return ""
	}
	return "; give one of them an explicit id"
}

// netBcast returns the network and broadcast addresses of p, and whether
// the prefix has them (a /31 or /32 does not).
func netBcast(p netip.Prefix) (network, broadcast netip.Addr, ok bool) {
	p = p.Masked()
	if p.Bits() > 30 {
		return netip.Addr{}, netip.Addr{}, false
	}
	return p.Addr(), netipx.PrefixLastIP(p), true
}

// poolRef is a pool with the subnet that holds it, for sweeps across subnets.
type poolRef struct {
	pool   *model.Pool
	subnet *model.Subnet
}

// checkPools: pools inside their subnet, not reversed, not overlapping any
// other pool, not covering the network or broadcast address.
func checkPools(s *model.Site, _ []int, report func(model.Finding)) {
	var all []poolRef
	for _, sn := range s.Subnets {
		network, bcast, hasNB := netBcast(sn.Prefix)
		for _, p := range sn.Pools {
			if p.From.Compare(p.To) > 0 {
				report(model.Errorf(p.Pos, "pool", "pool %s-%s is reversed: the first address is after the last", p.From, p.To))
				continue
			}
			if !sn.Prefix.Masked().Contains(p.From) || !sn.Prefix.Masked().Contains(p.To) {
				report(model.Errorf(p.Pos, "pool", "pool %s-%s is outside subnet %s (%s)", p.From, p.To, sn.Name, sn.Prefix.Masked()))
				continue
			}
			if hasNB && p.Range().Contains(network) {
				report(model.Errorf(p.Pos, "pool", "pool %s-%s includes the network address %s of %s", p.From, p.To, network, sn.Prefix.Masked()))
			}
			if hasNB && p.Range().Contains(bcast) {
				report(model.Errorf(p.Pos, "pool", "pool %s-%s includes the broadcast address %s of %s", p.From, p.To, bcast, sn.Prefix.Masked()))
			}
			all = append(all, poolRef{p, sn})
		}
	}
	slices.SortStableFunc(all, func(a, b poolRef) int { return a.pool.From.Compare(b.pool.From) })
	var reach *poolRef
	for i := range all {
		cur := &all[i]
		if reach != nil && cur.pool.From.Compare(reach.pool.To) <= 0 {
			report(model.Errorf(cur.pool.Pos, "pool-overlap", "pool %s-%s overlaps pool %s-%s of subnet %s at %s",
				cur.pool.From, cur.pool.To, reach.pool.From, reach.pool.To, reach.subnet.Name, reach.pool.Pos))
		}
		if reach == nil || cur.pool.To.Compare(reach.pool.To) > 0 {
			reach = cur
		}
	}
}

// poolIndex finds the pool holding an address: pools sorted by first
// address, binary search. Overlapping pools are already an error; the index
// then answers for one of them.
type poolIndex []poolRef

func newPoolIndex(s *model.Site) poolIndex {
	var idx poolIndex
	for _, sn := range s.Subnets {
		for _, p := range sn.Pools {
			if p.From.Compare(p.To) <= 0 {
				idx = append(idx, poolRef{p, sn})
			}
		}
	}
	slices.SortFunc(idx, func(a, b poolRef) int { return a.pool.From.Compare(b.pool.From) })
	return idx
}

func (idx poolIndex) find(ip netip.Addr) (poolRef, bool) {
	i, found := slices.BinarySearchFunc(idx, ip, func(p poolRef, ip netip.Addr) int { return p.pool.From.Compare(ip) })
	if !found {
		i--
	}
	if i >= 0 && idx[i].pool.To.Compare(ip) >= 0 {
		return idx[i], true
	}
	return poolRef{}, false
}

func poolSize(p *model.Pool) uint64 {
	a, b := p.From.As4(), p.To.As4()
	from := uint64(a[0])<<24 | uint64(a[1])<<16 | uint64(a[2])<<8 | uint64(a[3])
	to := uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
	return to - from + 1
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
