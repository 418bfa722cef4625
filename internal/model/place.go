package model

import (
	"net/netip"
	"slices"
)

// Place returns, for each reservation of s, the index in s.Subnets of the
// subnet that holds it, or -1 when there is none. A reservation that names
// its subnet (by name or prefix) goes there; otherwise it goes to the most
// specific subnet containing its address. A global reservation is in none. Validation reports the -1s and the
// mismatches; generators use the same function, so both agree by design.
func Place(s *Site) []int {
	byName := make(map[string]int, 2*len(s.Subnets))
	byPrefix := make(map[netip.Prefix]int, len(s.Subnets))
	var lengths []int
	for i, sn := range s.Subnets {
		if _, ok := byName[sn.Name]; !ok {
			byName[sn.Name] = i
		}
		p := sn.Prefix.Masked()
		if _, ok := byPrefix[p]; !ok {
			byPrefix[p] = i
			if !slices.Contains(lengths, p.Bits()) {
				lengths = append(lengths, p.Bits())
			}
		}
	}
	// Longest prefix first: at most 33 map look-ups per reservation.
	slices.Sort(lengths)
	slices.Reverse(lengths)

	out := make([]int, len(s.Reservations))
	for i, r := range s.Reservations {
		out[i] = -1
		if r.Global {
			continue // Kea's global reservations are in no subnet
		}
		if r.Subnet != "" {
			if j, ok := byName[r.Subnet]; ok {
				out[i] = j
			} else if p, err := netip.ParsePrefix(r.Subnet); err == nil {
				if j, ok := byPrefix[p.Masked()]; ok {
					out[i] = j
				}
			}
			continue
		}
		if !r.IP.Is4() {
			continue
		}
		for _, bits := range lengths {
			p, _ := r.IP.Prefix(bits)
			if j, ok := byPrefix[p]; ok {
				out[i] = j
				break
			}
		}
	}
	return out
}
