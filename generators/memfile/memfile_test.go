package memfile

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/keaops/keaops/internal/model"
)

func TestWrite(t *testing.T) {
	site := &model.Site{Subnets: []*model.Subnet{
		{ID: 7, Prefix: netip.MustParsePrefix("10.0.0.0/24")},
		{ID: 169811712, Prefix: netip.MustParsePrefix("10.31.31.0/24")},
	}}
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	now := start.Add(10 * time.Minute).Unix()
	leases := []model.Lease{
		{IP: netip.MustParseAddr("10.0.0.100"), HWAddress: "02:00:00:00:00:01", ClientID: "01:02:00:00:00:00:01", Hostname: "a,b&c", Start: start, End: start.Add(time.Hour)},
		{IP: netip.MustParseAddr("10.31.31.150"), HWAddress: "02:00:00:00:00:02", Start: start, End: start.Add(2 * time.Hour)},
		{IP: netip.MustParseAddr("192.168.0.1"), HWAddress: "02:00:00:00:00:03", Start: start, End: start.Add(time.Hour)},
		{IP: netip.MustParseAddr("10.0.0.101"), HWAddress: "02:00:00:00:00:04", Start: start, End: start.Add(5 * time.Minute)},
		{IP: netip.MustParseAddr("10.0.0.102"), Start: start, End: start.Add(time.Hour)},
	}
	for _, tc := range []struct {
		version model.Version
		header  string
		pool    string
	}{
		{model.Version{Major: 2, Minor: 2}, "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context", ""},
		{model.Version{Major: 3, Minor: 0}, "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id", ",0"},
	} {
		t.Run(tc.version.String(), func(t *testing.T) {
			site.KeaVersion = tc.version
			data, skipped := Write(site, leases, now)
			want := tc.header + "\n" +
				"10.0.0.100,02:00:00:00:00:01,01:02:00:00:00:00:01,3600,1796122800,7,0,0,a&#x2cb&#x26c,0," + tc.pool + "\n" +
				"10.31.31.150,02:00:00:00:00:02,,7200,1796126400,169811712,0,0,,0," + tc.pool + "\n"
			if string(data) != want {
				t.Errorf("got:\n%s\nwant:\n%s", data, want)
			}
			var why []string
			for _, s := range skipped {
				why = append(why, s.Lease.IP.String()+": "+s.Why)
			}
			if got := strings.Join(why, "; "); got != "192.168.0.1: 192.168.0.1 is in no subnet of the site; 10.0.0.101: expired 2026-12-01 10:05:00 UTC; 10.0.0.102: the lease names no client (no hardware address, no client id)" {
				t.Errorf("skipped: %s", got)
			}
		})
	}
}
