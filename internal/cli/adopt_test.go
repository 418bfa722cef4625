package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keaops/keaops/internal/keatest"
)

// TestAdoptLive: a provisioning tool adds a reservation and renames a host
// through the control API on both nodes of a live pair; adopt writes both
// into reservations.yaml in place, diff then shows nothing, and the next
// deploy leaves the pair as it is.
func TestAdoptLive(t *testing.T) {
	for _, k := range keatest.Versions(t) {
		t.Run(k.Line, func(t *testing.T) { adoptLive(t, k) })
	}
}

func adoptLive(t *testing.T, k keatest.Kea) {
	const reservations = "reservations:\n  # IoT\n  - hostname: printer-3\n    hw-address: \"02:42:ac:11:00:07\"\n    ip-address: 10.30.30.57\n"
	site, dirs := pairSiteFor(t, k, "subnets:\n  - {name: IoT, prefix: 10.30.30.0/24, pools: [10.30.30.100-10.30.30.200]}\n", reservations)
	nodes := startRendered(t, site, dirs)
	waitPairHealthy(t, nodes)
	ctx := context.Background()

	for name, n := range nodes {
		a, err := n.Command(ctx, "config-get", nil)
		if err != nil {
			t.Fatal(err)
		}
		var cfg map[string]map[string]any
		json.Unmarshal(a.Arguments, &cfg)
		subnet := cfg["Dhcp4"]["subnet4"].([]any)[0].(map[string]any)
		rs := subnet["reservations"].([]any)
		rs[0].(map[string]any)["hostname"] = "printer-3b"
		subnet["reservations"] = append(rs, map[string]any{"hw-address": "02:42:ac:11:00:70", "ip-address": "10.30.30.70", "hostname": "cam-7"})
		if a, err := n.Command(ctx, "config-set", map[string]any{"Dhcp4": cfg["Dhcp4"]}); err != nil || a.Result != 0 {
			t.Fatalf("config-set on %s: %v %+v", name, err, a)
		}
	}
	waitPairHealthy(t, nodes)
	if code, out := run(t, "diff", "-s", site, "--exit-code"); code != 2 || !strings.Contains(out, "cam-7") {
		t.Fatalf("before adopt, diff: exit %d\n%s", code, out)
	}

	if code, out := run(t, "adopt", "-s", site, "--dry-run"); code != ExitOK || !strings.Contains(out, "+ reservation cam-7 02:42:ac:11:00:70 → 10.30.30.70") {
		t.Fatalf("adopt --dry-run: exit %d\n%s", code, out)
	}
	file := filepath.Join(filepath.Dir(site), "reservations.yaml")
	if b, _ := os.ReadFile(file); string(b) != reservations {
		t.Fatal("--dry-run wrote")
	}
	code, out := run(t, "adopt", "-s", site)
	if code != ExitOK || !strings.Contains(out, "~ reservation printer-3 02:42:ac:11:00:07 → 10.30.30.57 → printer-3b") {
		t.Fatalf("adopt: exit %d\n%s", code, out)
	}
	want := strings.Replace(reservations, "hostname: printer-3\n", "hostname: printer-3b\n", 1) +
		"  - hostname: cam-7\n    hw-address: \"02:42:ac:11:00:70\"\n    ip-address: 10.30.30.70\n"
	if b, _ := os.ReadFile(file); string(b) != want {
		t.Errorf("reservations.yaml after adopt:\n%s\nwant:\n%s", b, want)
	}
	if code, out := run(t, "diff", "-s", site, "--exit-code"); code != ExitOK {
		t.Errorf("after adopt, diff: exit %d\n%s", code, out)
	}
	before := reloads(t, nodes)
	if code, out := run(t, "deploy", "-s", site, "--yes"); code != ExitOK || !strings.Contains(out, "no changes") {
		t.Errorf("the deploy after adopt: exit %d\n%s", code, out)
	}
	notReloaded(t, nodes, before)
}
