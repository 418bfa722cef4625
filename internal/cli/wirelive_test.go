package cli

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keaops/keaops/internal/keatest"
)

// haWatch polls both nodes' HA state until stop is called, and returns
// every state it saw, per node.
func haWatch(nodes map[string]*keatest.Node) (stop func() map[string][]string) {
	var mu sync.Mutex
	seen := map[string][]string{}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for name, n := range nodes {
		wg.Go(func() {
			for {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				st, err := n.HA(ctx)
				cancel()
				state := st.State
				if err != nil {
					state = "unreadable: " + err.Error()
				}
				mu.Lock()
				if !slices.Contains(seen[name], state) {
					seen[name] = append(seen[name], state)
				}
				mu.Unlock()
				select {
				case <-done:
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		})
	}
	return func() map[string][]string {
		close(done)
		wg.Wait()
		return seen
	}
}

// TestLiveChangesOnTheWire: on Kea 3.0 with host_cmds and subnet_cmds,
// under a DHCP load, adding a reservation, changing its address, removing
// it, changing a pool and changing a subnet option each lose no exchange
// on either step, HA never leaves hot-standby and no node reloads; a
// global change still takes config-set, and its cost is measured.
func TestLiveChangesOnTheWire(t *testing.T) {
	k := keatest.For(t, "3.0")
	w := keatest.NewWire(t, [2]string{"10.30.30.2/24", "10.30.30.3/24"})
	full, _ := os.ReadFile("../../examples/homelab/reservations.yaml")
	site, dirs, socks := wireSite(t, k, w, full)
	withHooks(t, site)
	nodes := startWirePair(t, k, w, site, dirs, socks)
	ctx := context.Background()
	deployArgs := []string{"deploy", "-s", site, "--yes", "--endpoint", "kea-a=unix://" + socks["kea-a"], "--endpoint", "kea-b=unix://" + socks["kea-b"]}
	dir := filepath.Dir(site)
	edit := func(file, old, new string) {
		b, _ := os.ReadFile(filepath.Join(dir, file))
		if !strings.Contains(string(b), old) {
			t.Fatalf("%s has no %q", file, old)
		}
		os.WriteFile(filepath.Join(dir, file), []byte(strings.Replace(string(b), old, new, 1)), 0o644)
	}
	// A client holds a pool address; a reservation of that address for
	// another client is planned with the conflict said.
	held, _, err := w.DORA(ctx, "02:42:ac:11:00:98")
	if err != nil {
		t.Fatal(err)
	}
	appendReservation(t, site, "  - {hostname: clash, hw-address: \"02:42:ac:11:00:97\", ip-address: "+held+"}\n")
	if code, out := run(t, "diff", "-s", site, "--endpoint", "kea-a=unix://"+socks["kea-a"], "--endpoint", "kea-b=unix://"+socks["kea-b"]); code != ExitOK ||
		!strings.Contains(out, "lease: "+held+" is leased to 02:42:ac:11:00:98 until ") || !strings.Contains(out, "clash will not get it before that client renews away from it") {
		t.Fatalf("lease conflict: exit %d\n%s", code, out)
	}
	edit("reservations.yaml", "  - {hostname: clash, hw-address: \"02:42:ac:11:00:97\", ip-address: "+held+"}\n", "")
	const cam = "  - {hostname: cam-9, hw-address: \"02:42:ac:11:00:99\", ip-address: 10.30.30.59}\n"
	for _, step := range []struct {
		name string
		edit func()
		// commands is the live plan both nodes must show.
		commands string
		// mac and addr: a DORA from mac afterwards gets addr ("" any pool
		// address but the last one reserved).
		mac, addr string
	}{
		{"add a reservation", func() { appendReservation(t, site, cam) }, "live: subnet4-update ×1, reservation-add ×1", "02:42:ac:11:00:99", "10.30.30.59"},
		{"change its address", func() { edit("reservations.yaml", "ip-address: 10.30.30.59}", "ip-address: 10.30.30.61}") }, "live: subnet4-update ×1, reservation-update ×1", "02:42:ac:11:00:99", "10.30.30.61"},
		{"remove it", func() { edit("reservations.yaml", strings.Replace(cam, ".59", ".61", 1), "") }, "live: reservation-del ×1, subnet4-update ×1", "02:42:ac:11:00:99", ""},
		{"change a pool", func() { edit("subnets.yaml", "10.30.30.100-10.30.30.254", "10.30.30.100-10.30.30.253") }, "live: subnet4-update ×1", "", ""},
		{"change a subnet option", func() { edit("subnets.yaml", "dns: 10.30.30.1", "dns: [10.30.30.1, 10.30.30.3]") }, "live: subnet4-update ×1", "", ""},
	} {
		step.edit()
		time.Sleep(1100 * time.Millisecond) // reload counters move in seconds
		before := reloads(t, nodes)
		var watched map[string][]string
		stats := underLoad(t, k, w, step.name, func() {
			stop := haWatch(nodes)
			code, out := run(t, deployArgs...)
			watched = stop()
			if code != ExitOK || strings.Count(out, "→ "+step.commands+"; HA is not restarted") != 2 || sentConfigSet(out) {
				t.Fatalf("%s: exit %d\n%s", step.name, code, out)
			}
		})
		for _, x := range []string{"DISCOVER-OFFER", "REQUEST-ACK"} {
			if st := stats[x]; st.Dropped != 0 || st.Received == 0 {
				t.Errorf("%s lost %s exchanges: %+v", step.name, x, st)
			}
		}
		for name, states := range watched {
			if !slices.Equal(states, []string{"hot-standby"}) {
				t.Errorf("%s: %s went through HA states %q", step.name, name, states)
			}
		}
		notReloaded(t, nodes, before)
		if step.mac != "" {
			addr, _, err := w.DORA(ctx, step.mac)
			if err != nil || step.addr != "" && addr != step.addr || step.addr == "" && addr == "10.30.30.61" {
				t.Errorf("%s: %s got %q (%v), want %q", step.name, step.mac, addr, err, step.addr)
			}
		}
	}

	edit("keaops.yaml", "valid-lifetime: 600", "valid-lifetime: 660")
	stats := underLoad(t, k, w, "a global change (config-set)", func() {
		code, out := run(t, deployArgs...)
		if code != ExitOK || !strings.Contains(out, "kea-a: → config-set (a global setting changes") || !strings.Contains(out, "without DHCP service from this node") {
			t.Fatalf("global change: exit %d\n%s", code, out)
		}
	})
	// Reported, not asserted: the primary's config-set costs about one
	// heartbeat-delay (1 s here) of service.
	_ = stats
}
