package model

import (
	"net/netip"
	"time"
)

// Lease is an address a server handed to a client, and until when: what
// a cutover from another DHCP server must carry over, or every client
// gets a new address.
type Lease struct {
	IP netip.Addr
	// HWAddress and ClientID are normalised as a Reservation's; either may
	// be empty.
	HWAddress, ClientID string
	Hostname            string
	// Start and End bound the lease; End is when it expires.
	Start, End time.Time
	Pos        Pos
}
