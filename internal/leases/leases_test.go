package leases

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/keaops/keaops/internal/keaapi"
	"github.com/keaops/keaops/internal/model"
)

func TestMerge(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	site := &model.Site{
		Subnets: []*model.Subnet{{ID: 3, Name: "IoT", Prefix: netip.MustParsePrefix("10.30.30.0/24")}},
		Reservations: []*model.Reservation{
			{Hostname: "printer-3", HWAddress: "02:42:ac:11:00:07", IP: netip.MustParseAddr("10.30.30.57")},
			{Hostname: "cam-1", HWAddress: "02:42:ac:11:01:01", IP: netip.MustParseAddr("10.30.30.60")},
		},
	}
	l := func(ip, hw string, cltt int64, st int) keaapi.Lease4 {
		return keaapi.Lease4{IP: ip, HW: hw, CLTT: now.Unix() + cltt, Valid: 600, Subnet: 3, State: st}
	}
	a := []keaapi.Lease4{
		l("10.30.30.57", "02:42:AC:11:00:07", -10, 0),
		l("10.30.30.100", "02:42:ac:11:01:01", -700, 0), // expired, not reclaimed
		l("10.30.30.101", "02:42:ac:11:01:02", -10, 1),
		l("10.30.30.102", "02:42:ac:11:01:03", -10, 0),
	}
	b := []keaapi.Lease4{
		l("10.30.30.57", "02:42:ac:11:00:07", -5, 0), // seen later here
		l("10.30.30.102", "02:42:ac:11:09:09", -10, 0),
		l("10.30.30.103", "02:42:ac:11:01:04", -10, 3),
	}
	got := merge(site, []Source{{Name: "kea-a"}, {Name: "kea-b"}}, [][]keaapi.Lease4{a, b}, now)
	var lines []string
	for _, g := range got {
		lines = append(lines, strings.Join([]string{g.IP.String(), g.HW, g.State, g.Subnet, strings.Join(g.Nodes, ","), g.Reserved, strings.Join(g.Differs, ","), g.Expires.Sub(now).String()}, " | "))
	}
	want := []string{
		"10.30.30.57 | 02:42:ac:11:00:07 | assigned | IoT | kea-a,kea-b | printer-3 |  | 9m55s",
		"10.30.30.100 | 02:42:ac:11:01:01 | expired | IoT | kea-a | cam-1 (reserved elsewhere) |  | -1m40s",
		"10.30.30.101 | 02:42:ac:11:01:02 | declined | IoT | kea-a |  |  | 9m50s",
		"10.30.30.102 | 02:42:ac:11:01:03 | assigned | IoT | kea-a |  | kea-b | 9m50s",
		"10.30.30.103 | 02:42:ac:11:01:04 | released | IoT | kea-b |  |  | 9m50s",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	for _, tc := range []struct {
		f    Filter
		want int
	}{
		{Filter{Subnet: "IoT"}, 5}, {Filter{Subnet: "10.30.30.0/24"}, 5}, {Filter{State: "assigned"}, 2},
		{Filter{HW: "02-42-AC-11-01-03"}, 1}, {Filter{IP: netip.MustParseAddr("10.30.30.103")}, 1},
	} {
		if out, err := tc.f.Apply(site, got); err != nil || len(out) != tc.want {
			t.Errorf("%+v: %d leases, %v; want %d", tc.f, len(out), err, tc.want)
		}
	}
	if _, err := (Filter{Subnet: "Nope"}).Apply(site, got); err == nil {
		t.Error("an unknown subnet was accepted")
	}
}
