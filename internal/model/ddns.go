package model

import (
	"net/netip"
	"strconv"
	"strings"
)

// DDNS is the site's kea-dhcp-ddns (D2): the daemon beside kea-dhcp4 on
// each node that turns its name change requests into DNS updates. The
// dhcp-ddns setting is kea-dhcp4's side of the connection, the ddns-*
// settings say which names are sent.
type DDNS struct {
	// IP and Port are where D2 listens for kea-dhcp4, on the node
	// itself (127.0.0.1 and 53001 when unset).
	IP   netip.Addr
	Port int
	// Forward and Reverse are the zones D2 updates and their servers.
	Forward, Reverse []*DNSDomain
	Keys             []*TSIGKey
	// Raw is Kea JSON for the DhcpDdns object the model does not express.
	Raw Raw
	Pos Pos
}

// Listen is where D2 listens, with Kea's defaults filled in.
func (d *DDNS) Listen() (netip.Addr, int) {
	ip, port := d.IP, d.Port
	if !ip.IsValid() {
		ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	if port == 0 {
		port = 53001
	}
	return ip, port
}

// DNSDomain is a zone D2 sends updates for.
type DNSDomain struct {
	// Name is the zone, fully qualified: it ends with a dot.
	Name string
	// Key names the TSIG key the zone's updates are signed with, "" for
	// none.
	Key     string
	Servers []DNSServer
	Pos     Pos
}

// DNSServer is a DNS server of a zone; Port 0 is 53, Key "" is the zone's.
type DNSServer struct {
	IP   netip.Addr
	Port int
	Key  string
}

// TSIGKey signs DNS updates; its secret is a reference, resolved when the
// config is applied.
type TSIGKey struct {
	Name      string
	Algorithm string
	// DigestBits truncates the digest (0: the whole).
	DigestBits int
	Secret     *SecretRef
	Pos        Pos
}

// ReverseZone is the in-addr.arpa zone of the octets a prefix fixes
// ("30.10.in-addr.arpa." for 10.30.0.0/16): the smallest zone that holds
// every PTR name of the prefix.
func ReverseZone(p netip.Prefix) string {
	a := p.Masked().Addr().As4()
	name := "in-addr.arpa."
	for i := 0; i < p.Bits()/8; i++ {
		name = strconv.Itoa(int(a[i])) + "." + name
	}
	return name
}

// Covers reports whether zone holds the PTR names of every address of p.
func Covers(zone string, p netip.Prefix) bool {
	zone = strings.ToLower(strings.TrimSuffix(zone, ".")) + "."
	own := ReverseZone(p)
	return own == zone || strings.HasSuffix(own, "."+zone)
}
