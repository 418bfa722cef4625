// Package memfile writes leases as Kea's memfile lease file (the CSV that
// kea-dhcp4 loads at start and kea-admin lease-upload reads), in the
// layout of the target Kea version, each lease under the id of the subnet
// it is in.
package memfile

import (
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// File is the name Kea's packages give the DHCPv4 lease file.
const File = "kea-leases4.csv"

// Skipped is a lease that could not be written, and why.
type Skipped struct {
	Lease model.Lease
	Why   string
}

// Write renders leases for site's Kea version. A lease whose address is
// in no subnet of the site is skipped (Kea would drop it at load: its
// subnet-id would match nothing); so is one that has expired by now.
func Write(site *model.Site, leases []model.Lease, now int64) ([]byte, []Skipped) {
	header := "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context"
	poolID := site.KeaVersion.AtLeast(2, 6)
	if poolID {
		header += ",pool_id"
	}
	byPrefix := map[netip.Prefix]uint32{}
	for _, sn := range site.Subnets {
		byPrefix[sn.Prefix.Masked()] = sn.ID
	}
	subnetOf := func(a netip.Addr) (uint32, bool) {
		for bits := 32; bits >= 0; bits-- {
			p, _ := a.Prefix(bits)
			if id, ok := byPrefix[p]; ok {
				return id, true
			}
		}
		return 0, false
	}
	var b bytes.Buffer
	b.WriteString(header + "\n")
	var skipped []Skipped
	for _, l := range leases {
		id, ok := subnetOf(l.IP)
		switch {
		case !ok:
			skipped = append(skipped, Skipped{l, fmt.Sprintf("%s is in no subnet of the site", l.IP)})
			continue
		case l.End.Unix() <= now:
			skipped = append(skipped, Skipped{l, "expired " + l.End.UTC().Format("2006-01-02 15:04:05") + " UTC"})
			continue
		case l.HWAddress == "" && l.ClientID == "":
			skipped = append(skipped, Skipped{l, "the lease names no client (no hardware address, no client id)"})
			continue
		}
		valid := l.End.Unix() - l.Start.Unix()
		if valid <= 0 {
			valid = l.End.Unix() - now
		}
		fields := []string{l.IP.String(), l.HWAddress, l.ClientID, strconv.FormatInt(valid, 10), strconv.FormatInt(l.End.Unix(), 10),
			strconv.FormatUint(uint64(id), 10), "0", "0", escape(l.Hostname), "0", ""}
		if poolID {
			fields = append(fields, "0")
		}
		b.WriteString(strings.Join(fields, ",") + "\n")
	}
	return b.Bytes(), skipped
}

// escape is Kea's CSV escaping of a text field: a comma is "&#x2c".
func escape(s string) string {
	s = strings.ReplaceAll(s, "&", "&#x26")
	return strings.ReplaceAll(s, ",", "&#x2c")
}
