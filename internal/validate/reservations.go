package validate

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

type idKey struct {
	subnet int
	kind   string
	value  string
}

// checkReservations: every reservation lands in a subnet, inside it and off
// its network and broadcast addresses; reserved addresses are unique;
// identifiers are unique per subnet; host names should be unique; pools keep
// dynamic addresses.
func checkReservations(s *model.Site, placed []int, report func(model.Finding)) {
	byIP := make(map[netip.Addr]*model.Reservation, len(s.Reservations))
	byID := make(map[idKey]*model.Reservation, len(s.Reservations))
	byHost := make(map[string]*model.Reservation, len(s.Reservations))
	pools := newPoolIndex(s)
	dropped := newDroppedIndex(s.Dropped)
	inPool := map[*model.Pool]int{}
	var inPoolFirst = map[*model.Pool]*model.Reservation{}

	for i, r := range s.Reservations {
		hasIP := r.IP.IsValid()
		if prev, dup := byIP[r.IP]; dup && hasIP {
			report(model.Errorf(r.IPPos, "reservation-ip", "ip-address %s is already reserved for %s at %s", r.IP, who(prev), prev.IPPos))
		} else if hasIP {
			byIP[r.IP] = r
		}
		if r.Hostname != "" {
			h := strings.ToLower(strings.TrimSuffix(r.Hostname, "."))
			if prev, dup := byHost[h]; dup {
				report(model.Warnf(r.HostnamePos, "reservation-hostname", "hostname %q is also used by the reservation for %s at %s", r.Hostname, prev.IP, prev.HostnamePos))
			} else {
				byHost[h] = r
			}
		}

		kind, value := r.Identifier()
		if r.Global {
			// Kea's global reservations: one per identifier, whatever
			// subnet the client turns up in.
			key := idKey{-1, kind, value}
			if prev, dup := byID[key]; dup {
				report(model.Errorf(r.IDPos, "reservation-identifier", "%s %s already has a global reservation, for %s at %s", kind, value, who(prev), prev.IDPos))
			} else {
				byID[key] = r
			}
			if r.Subnet != "" {
				report(model.Errorf(r.SubnetPos, "reservation-subnet", "a global reservation belongs to no subnet: drop subnet, or global"))
			}
			continue
		}
		j := placed[i]
		if j < 0 {
			switch {
			case dropped.holds(r):
				continue // its subnet's own error says it all
			case r.Subnet != "":
				report(model.Errorf(r.SubnetPos, "reservation-subnet", "subnet %q does not exist", r.Subnet))
			case !hasIP:
				report(model.Errorf(r.Pos, "reservation-subnet", "reservation for %s has no ip-address: give one, or say where it applies — subnet: NAME, or global: true — for a host name, options or classes only", who(r)))
			default:
				report(model.Errorf(r.IPPos, "reservation-subnet", "ip-address %s is in no subnet", r.IP))
			}
			continue
		}
		sn := s.Subnets[j]
		if !hasIP {
			if prev, dup := byID[idKey{j, kind, value}]; dup {
				report(model.Errorf(r.IDPos, "reservation-identifier", "%s %s is already reserved in subnet %s for %s at %s", kind, value, sn.Name, who(prev), prev.IDPos))
			}
			byID[idKey{j, kind, value}] = r
			continue
		}
		if !sn.Prefix.Masked().Contains(r.IP) {
			report(model.Errorf(r.IPPos, "reservation-subnet", "ip-address %s is outside subnet %s (%s)", r.IP, sn.Name, sn.Prefix.Masked()))
			continue
		}
		if network, bcast, ok := netBcast(sn.Prefix); ok && (r.IP == network || r.IP == bcast) {
			what := "network"
			if r.IP == bcast {
				what = "broadcast"
			}
			report(model.Errorf(r.IPPos, "reservation-ip", "ip-address %s is the %s address of %s (%s)", r.IP, what, sn.Name, sn.Prefix.Masked()))
		}
		if kind == "hw-address" && (value == "ff:ff:ff:ff:ff:ff" || value == "00:00:00:00:00:00") {
			report(model.Warnf(r.IDPos, "reservation-identifier", "hw-address %s is no device's address (a placeholder?): no client will ever get this reservation", value))
		}
		checkRouters(r, sn, report)
		key := idKey{j, kind, value}
		if prev, dup := byID[key]; dup {
			report(model.Errorf(r.IDPos, "reservation-identifier", "%s %s is already reserved in subnet %s for %s at %s", kind, value, sn.Name, who(prev), prev.IDPos))
		} else {
			byID[key] = r
		}
		if p, ok := pools.find(r.IP); ok && p.subnet == sn {
			if inPool[p.pool] == 0 {
				inPoolFirst[p.pool] = r
			}
			inPool[p.pool]++
			report(model.Warnf(r.IPPos, "reservation-in-pool",
				"ip-address %s is inside the dynamic pool %s-%s of %s: Kea gives it only to this host, but the subnet cannot use reservations-out-of-pool (faster, and no conflicts with leases already handed out); move it out of the pool",
				r.IP, p.pool.From, p.pool.To, sn.Name))
		}
	}
	for p, n := range inPool {
		if uint64(n) >= poolSize(p) {
			report(model.Errorf(p.Pos, "pool-exhausted", "pool %s-%s is exhausted by reservations: all %s are reserved (first at %s), none is left for dynamic clients",
				p.From, p.To, plural(n, "address", "addresses"), inPoolFirst[p].IPPos))
		}
	}
}

func who(r *model.Reservation) string {
	if r.Hostname != "" {
		return r.Hostname
	}
	kind, v := r.Identifier()
	return kind + " " + v
}

// droppedIndex answers, in a few map look-ups, whether a reservation
// might belong to a subnet the sources left out (model.Dropped).
type droppedIndex struct {
	any      bool
	names    map[string]bool
	prefixes map[netip.Prefix]bool
	lengths  []int
}

func newDroppedIndex(d model.Dropped) droppedIndex {
	x := droppedIndex{any: d.AnySubnet, names: map[string]bool{}, prefixes: map[netip.Prefix]bool{}}
	for _, sn := range d.Subnets {
		if sn.Name != "" {
			x.names[sn.Name] = true
		}
		if p := sn.Prefix.Masked(); p.IsValid() {
			x.names[p.String()] = true
			if !x.prefixes[p] {
				x.prefixes[p] = true
				x.lengths = append(x.lengths, p.Bits())
			}
		}
	}
	slices.Sort(x.lengths)
	x.lengths = slices.Compact(x.lengths)
	return x
}

func (x droppedIndex) holds(r *model.Reservation) bool {
	if x.any {
		return true
	}
	if r.Subnet != "" {
		return x.names[r.Subnet]
	}
	for _, bits := range x.lengths {
		if p, err := r.IP.Prefix(bits); err == nil && x.prefixes[p] {
			return true
		}
	}
	return false
}

// checkRouters: a routers option on a reservation overrides its subnet's
// gateway for that host; one outside the subnet leaves the host with no
// route off its link.
func checkRouters(r *model.Reservation, sn *model.Subnet, report func(model.Finding)) {
	for _, o := range r.Options {
		if o.Name != "routers" {
			continue
		}
		for _, v := range o.Values {
			if gw, err := parseIPv4(v); err == nil && !sn.Prefix.Masked().Contains(gw) {
				report(model.Warnf(o.Pos, "gateway", "routers %s of the reservation for %s is outside its subnet %s (%s): the host could not reach it", gw, r.IP, sn.Name, sn.Prefix.Masked()))
			}
		}
	}
}
