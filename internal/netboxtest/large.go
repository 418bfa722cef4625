package netboxtest

import "fmt"

// FillLarge adds a large NetBox and freezes the server: prefixes /24s
// (10.100.0.0 upwards, site dc1, tag kea, subnet id and gateway custom
// fields), two dhcp-pool IP ranges in each, and perPrefix DHCP addresses
// in each on device interfaces with one MAC object apiece.
func FillLarge(s *Server, prefixes, perPrefix int) {
	for i := range prefixes {
		net := fmt.Sprintf("10.%d.%d", 100+i/256, i%256)
		s.Add("ipam/prefixes", s.Prefix(PrefixSpec{ID: i + 1, Prefix: net + ".0/24", VLAN: 2 + i%4000, VLANName: fmt.Sprintf("vlan-%d", i),
			Site: "dc1", Tags: []string{"kea"}, CustomFields: Obj{"kea_subnet_id": i + 1, "dhcp_gateway": net + ".1"}}))
		s.Add("ipam/ip-ranges",
			s.Range(RangeSpec{ID: 2*i + 1, Start: net + ".100/24", End: net + ".149/24", Role: "dhcp-pool"}),
			s.Range(RangeSpec{ID: 2*i + 2, Start: net + ".150/24", End: net + ".199/24", Role: "dhcp-pool"}))
		for j := range perPrefix {
			n := i*perPrefix + j
			iface, host := 100000+n, fmt.Sprintf("host-%d", n)
			s.Add("ipam/ip-addresses", s.Address(AddressSpec{ID: n + 1, Address: fmt.Sprintf("%s.%d/24", net, 10+j), Interface: iface, IfName: "eth0", Device: host}))
			s.Add("dcim/mac-addresses", s.MAC(n+1, fmt.Sprintf("02:00:00:%02X:%02X:%02X", n>>16, (n>>8)&0xff, n&0xff), iface, "eth0", host, false))
		}
	}
	s.Freeze()
}
