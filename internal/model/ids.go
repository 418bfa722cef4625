package model

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// MaxSubnetID is the largest subnet id Kea accepts (0 means "assign one").
const MaxSubnetID = 4294967294

// SubnetID derives the subnet id of an IPv4 prefix that has no explicit id:
// the network address read as a 32-bit number (10.30.30.0/24 → 169745920).
//
// Leases point at subnets by id, so an id must never change while the
// subnet exists. Deriving it from the subnet's own network address, instead
// of its place in a list, means adding, removing or reordering other
// subnets cannot change it; non-overlapping subnets have distinct network
// addresses, so derived ids never collide with each other. An explicit id
// in the source always wins (and is how imported subnets keep theirs).
func SubnetID(p netip.Prefix) (uint32, error) {
	if !p.Addr().Is4() {
		return 0, fmt.Errorf("%s is not an IPv4 prefix", p)
	}
	b := p.Masked().Addr().As4()
	id := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	if id == 0 || id > MaxSubnetID {
		return 0, fmt.Errorf("no id can be derived from %s: set an explicit id", p)
	}
	return id, nil
}

// ParseMAC accepts aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF, aabb.ccdd.eeff and
// aabbccddeeff and returns the lower-case colon form Kea prints.
func ParseMAC(s string) (string, error) {
	var digits string
	switch {
	case len(s) == 17 && (s[2] == ':' || s[2] == '-'):
		sep := s[2]
		for i := 2; i < 17; i += 3 {
			if s[i] != sep {
				return "", errors.New("mixed separators")
			}
		}
		digits = strings.Map(func(r rune) rune {
			if r == rune(sep) {
				return -1
			}
			return r
		}, s)
	case len(s) == 14 && s[4] == '.' && s[9] == '.':
		digits = s[0:4] + s[5:9] + s[10:14]
	case len(s) == 12:
		digits = s
	default:
		return "", errors.New("want 6 bytes as aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF or aabb.ccdd.eeff")
	}
	return hexColon(digits, 6)
}

// ParseClientID accepts hex bytes separated by ':' or '-' or not at all and
// returns lower-case colon-separated hex. Kea limits identifiers to 128 bytes.
func ParseClientID(s string) (string, error) {
	// Not a strings.Replacer: building one per call cost 6 KB, which a
	// 100k-lease read paid 100k times.
	digits := strings.Map(func(r rune) rune {
		if r == ':' || r == '-' {
			return -1
		}
		return r
	}, s)
	if len(digits) < 4 || len(digits) > 256 {
		return "", errors.New("want 2 to 128 bytes of hex")
	}
	return hexColon(digits, len(digits)/2)
}

func hexColon(digits string, n int) (string, error) {
	b, err := hex.DecodeString(digits)
	if err != nil || len(b) != n {
		return "", errors.New("not hex")
	}
	var sb strings.Builder
	sb.Grow(3*n - 1)
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(':')
		}
		const h = "0123456789abcdef"
		sb.WriteByte(h[c>>4])
		sb.WriteByte(h[c&15])
	}
	return sb.String(), nil
}

// ParseIdentifier normalises a host identifier of kind (as Kea names it):
// a MAC for hw-address, hex for the others — and for circuit-id and
// flex-id, Kea's 'quoted text' as written.
func ParseIdentifier(kind, v string) (string, error) {
	switch {
	case kind == "hw-address":
		return ParseMAC(v)
	case (kind == "circuit-id" || kind == "flex-id") && strings.HasPrefix(v, "'") && strings.HasSuffix(v, "'") && len(v) > 2:
		return v, nil
	}
	return ParseClientID(v)
}
