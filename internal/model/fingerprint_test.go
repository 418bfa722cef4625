package model

import (
	"net/netip"
	"strings"
	"testing"
)

// recorded returns a two-subnet site carrying the records keaops would
// render into it.
func recorded() *Site {
	s := &Site{
		Subnets: []*Subnet{
			{ID: 1, Name: "a", Prefix: netip.MustParsePrefix("10.0.1.0/24")},
			{ID: 2, Name: "b", Prefix: netip.MustParsePrefix("10.0.2.0/24")},
		},
		Reservations: []*Reservation{{HWAddress: "02:00:00:00:00:01", IP: netip.MustParseAddr("10.0.1.10")}},
	}
	g, subnets := Fingerprints(s)
	s.Recorded = Record{Fingerprint: g, Render: "sha256:r"}
	for i, sn := range s.Subnets {
		sn.Recorded = Record{Fingerprint: subnets[i], Render: "sha256:r"}
	}
	return s
}

func TestDrift(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(s *Site)
		want []string // substrings, one per scope reported; nil: no drift
	}{
		{"as recorded", func(*Site) {}, nil},
		{"a reservation added by hand", func(s *Site) {
			s.Reservations = append(s.Reservations, &Reservation{HWAddress: "02:00:00:00:00:02", IP: netip.MustParseAddr("10.0.2.20")})
		}, []string{"subnet 10.0.2.0/24 (id 2): its settings"}},
		{"a reservation deleted by hand", func(s *Site) { s.Reservations = nil }, []string{"subnet 10.0.1.0/24 (id 1)"}},
		{"a reservation's address changed", func(s *Site) { s.Reservations[0].IP = netip.MustParseAddr("10.0.1.11") }, []string{"subnet 10.0.1.0/24"}},
		{"a subnet added by hand", func(s *Site) {
			s.Subnets = append(s.Subnets, &Subnet{ID: 3, Prefix: netip.MustParsePrefix("10.0.3.0/24")})
		}, []string{"global settings", "subnet 10.0.3.0/24 (id 3), which keaops did not add"}},
		{"a subnet removed by hand", func(s *Site) { s.Subnets = s.Subnets[:1] }, []string{"global settings"}},
		{"a global option", func(s *Site) { s.Defaults.Options = []*Option{{Name: "domain-name", Values: []string{"x"}}} }, []string{"global settings"}},
		{"never deployed by keaops", func(s *Site) {
			s.Recorded = Record{}
			s.Reservations = nil
		}, nil},
		{"recorded by a keaops without per-scope records", func(s *Site) {
			s.Recorded.Render = ""
			s.Reservations = nil
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := recorded()
			tc.edit(s)
			got := Drift(s)
			if len(got) != len(tc.want) {
				t.Fatalf("Drift = %q, want %d scopes like %q", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("scope %d: %q, want it to say %q", i, got[i], w)
				}
			}
			if Drifted(s) != (tc.want != nil) {
				t.Errorf("Drifted = %v", Drifted(s))
			}
		})
	}
}
