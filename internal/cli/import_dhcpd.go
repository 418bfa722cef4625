package cli

import (
	"fmt"
	"time"

	"github.com/keaops/keaops/generators/memfile"
	"github.com/keaops/keaops/internal/importer"
	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/sources/dhcpd"
)

// importDHCPD imports a dhcpd.conf, and its leases as Kea's lease file.
func importDHCPD(a ImportArgs, eps []importer.Endpoint, version model.Version) (*importer.Result, error) {
	if version == (model.Version{}) {
		return nil, fmt.Errorf("--from-dhcpd needs --kea-version: the Kea the site is for (2.2, 2.4, 2.6, 3.0 or 3.2)")
	}
	res, _, err := importer.FromDHCPD(a.FromDHCPD, a.IncludeDir, version, eps)
	if err != nil {
		return nil, err
	}
	if a.Leases == "" {
		return res, nil
	}
	leases, err := dhcpd.ReadLeases(a.Leases)
	if err != nil {
		return nil, err
	}
	data, skipped := memfile.Write(res.Site, leases.Active, time.Now().Unix())
	res.Extra = map[string][]byte{memfile.File: data}
	res.From = append(res.From, a.Leases)
	res.Notes = append(res.Notes, fmt.Sprintf("%s: %d active leases of %d entries written to %s: give it to each node as its lease file (paths.lease-file) before Kea starts, or load it with kea-admin lease-upload",
		a.Leases, len(leases.Active)-len(skipped), sum(leases.States), memfile.File))
	for _, s := range skipped {
		res.Notes = append(res.Notes, fmt.Sprintf("%s: lease %s not carried over: %s", s.Lease.Pos, s.Lease.IP, s.Why))
	}
	for _, f := range leases.Skipped {
		res.Notes = append(res.Notes, fmt.Sprintf("%s: not read: %s", f.Pos, f.Text))
	}
	return res, nil
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
