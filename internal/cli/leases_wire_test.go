package cli

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/keaops/keaops/internal/keatest"
	"github.com/keaops/keaops/internal/leases"
)

// TestLeasesOnTheWire: clients lease addresses from a live pair over real
// DHCP; keaops leases shows each with its node(s), state, subnet and the
// reservation covering it; reservation add --from-lease pins one, and
// once deployed the client keeps its address as a reservation; with a
// node down the other's leases are shown and the down node named.
func TestLeasesOnTheWire(t *testing.T) {
	versions := keatest.Versions(t)
	w := keatest.NewWire(t, [2]string{"10.30.30.2/24", "10.30.30.3/24"})
	for _, k := range versions {
		t.Run(k.Line, func(t *testing.T) { leasesOnTheWire(t, k, w) })
	}
}

func leasesOnTheWire(t *testing.T, k keatest.Kea, w *keatest.Wire) {
	homelab, _ := os.ReadFile("../../examples/homelab/reservations.yaml")
	site, dirs, socks := wireSite(t, k, w, homelab)
	nodes := startWirePair(t, k, w, site, dirs, socks)
	ctx := context.Background()
	endpoints := []string{"--endpoint", "kea-a=unix://" + socks["kea-a"], "--endpoint", "kea-b=unix://" + socks["kea-b"]}

	clients := []string{"02:42:ac:11:01:01", "02:42:ac:11:01:02", "02:42:ac:11:01:03", "02:42:ac:11:00:07"} // the last is printer-3
	leased := map[string]string{}
	for _, mac := range clients {
		addr, _, err := w.DORA(ctx, mac)
		if err != nil {
			t.Fatalf("DORA %s: %v\n%s", mac, err, nodes["kea-a"].Logs())
		}
		leased[mac] = addr
	}
	if leased["02:42:ac:11:00:07"] != "10.30.30.57" {
		t.Fatalf("printer-3 got %s, not its reservation", leased["02:42:ac:11:00:07"])
	}
	read := func(args ...string) leases.Result {
		t.Helper()
		code, out := run(t, append(append([]string{"leases", "-s", site, "--format", "json"}, endpoints...), args...)...)
		var res leases.Result
		if err := json.Unmarshal([]byte(out), &res); code != ExitOK || err != nil {
			t.Fatalf("leases: exit %d, %v\n%s", code, err, out)
		}
		return res
	}
	res := read()
	for mac, addr := range leased {
		i := slices.IndexFunc(res.Leases, func(l leases.Lease) bool { return l.HW == mac })
		if i < 0 {
			t.Errorf("%s's lease of %s is not listed: %+v", mac, addr, res.Leases)
			continue
		}
		l := res.Leases[i]
		wantReserved := ""
		if mac == "02:42:ac:11:00:07" {
			wantReserved = "printer-3"
		}
		// Hot-standby: the primary answered, and the standby has the
		// lease update it sent before the ACK.
		if l.IP.String() != addr || l.State != "assigned" || l.Subnet != "IoT" || strings.Join(l.Nodes, ",") != "kea-a,kea-b" || l.Reserved != wantReserved {
			t.Errorf("%s: %+v; want %s, assigned, IoT, kea-a,kea-b, reserved %q", mac, l, addr, wantReserved)
		}
	}
	if got := read("--mac", "02-42-AC-11-01-02"); len(got.Leases) != 1 || got.Leases[0].IP.String() != leased["02:42:ac:11:01:02"] {
		t.Errorf("--mac: %+v", got.Leases)
	}
	if got := read("--subnet", "Core"); len(got.Leases) != 0 {
		t.Errorf("--subnet Core: %+v", got.Leases)
	}
	if code, out := run(t, append([]string{"leases", "-s", site}, endpoints...)...); code != ExitOK || !strings.Contains(out, "ADDRESS") || !strings.Contains(out, "printer-3") || !strings.Contains(out, "4 leases") {
		t.Errorf("the table: exit %d\n%s", code, out)
	}

	// Use as Kea counts it: the subnet holds all four leases, its pool
	// the three clients without a reservation (printer-3's address is
	// outside it).
	code, out := run(t, append([]string{"subnets", "-s", site, "--format", "json"}, endpoints...)...)
	var views struct{ Subnets []SubnetView }
	if err := json.Unmarshal([]byte(out), &views); code != ExitOK || err != nil {
		t.Fatalf("subnets: exit %d, %v\n%s", code, err, out)
	}
	for _, v := range views.Subnets {
		if v.Name != "IoT" {
			continue
		}
		for _, node := range []string{"kea-a", "kea-b"} {
			u := v.Nodes[node].Usage
			if u == nil || u.Assigned != 4 || u.Pools[0].Assigned != 3 || u.Pools[0].Total != 155 || len(v.Nodes[node].Changes) != 0 {
				t.Errorf("IoT on %s: %+v", node, v.Nodes[node])
			}
		}
	}
	if code, out := run(t, append([]string{"subnet", "show", "IoT", "-s", site}, endpoints...)...); code != ExitOK ||
		!strings.Contains(out, "gateway:      10.30.30.1") || !strings.Contains(out, "pool 10.30.30.100-10.30.30.254") || !strings.Contains(out, "kea-a:       3/155 (2 %), 0 declined") {
		t.Errorf("subnet show: exit %d\n%s", code, out)
	}

	// "Keep the address this device has": pinned, checked, deployed.
	cam := "02:42:ac:11:01:01"
	add := append([]string{"reservation", "add", "-s", site, "--from-lease", cam}, endpoints...)
	if code, out := run(t, add...); code != ExitProblems || !strings.Contains(out, "carries no host name: pass --hostname") {
		t.Errorf("a lease without a host name: exit %d\n%s", code, out)
	}
	if code, out := run(t, append(add, "--hostname", "cam-1")...); code != ExitOK || !strings.Contains(out, "add reservation cam-1 "+cam+" → "+leased[cam]) {
		t.Fatalf("--from-lease: exit %d\n%s", code, out)
	}
	if code, out := run(t, append([]string{"deploy", "-s", site, "--yes"}, endpoints...)...); code != ExitOK {
		t.Fatalf("deploy: exit %d\n%s", code, out)
	}
	waitPairHealthy(t, nodes)
	if addr, _, err := w.DORA(ctx, cam); err != nil || addr != leased[cam] {
		t.Errorf("after the deploy cam-1 got %q (%v), want %s", addr, err, leased[cam])
	}
	if got := read("--mac", cam); len(got.Leases) != 1 || got.Leases[0].Reserved != "cam-1" {
		t.Errorf("the pinned lease: %+v", got.Leases)
	}

	// The standby down: said so, and the primary's leases are shown.
	nodes["kea-b"].Down()
	res = read()
	if len(res.Leases) != 4 || res.Nodes[1].Name != "kea-b" || res.Nodes[1].Error == "" || res.Nodes[0].Error != "" {
		t.Errorf("with kea-b down: %+v", res)
	}
	if code, out := run(t, append([]string{"leases", "-s", site}, endpoints...)...); code != ExitOK || !strings.Contains(out, "kea-b: not read (") {
		t.Errorf("with kea-b down, the table: exit %d\n%s", code, out)
	}
	if code, out := run(t, append([]string{"subnet", "show", "IoT", "-s", site}, endpoints...)...); code != ExitOK ||
		!strings.Contains(out, "kea-b: not read (") || !strings.Contains(out, "kea-a: 4/155") {
		t.Errorf("with kea-b down, subnet show: exit %d\n%s", code, out)
	}
}
