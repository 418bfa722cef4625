package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keaops/keaops/internal/deploy"
	"github.com/keaops/keaops/internal/keatest"
)

// withHooks gives every node of the site file host_cmds and subnet_cmds.
func withHooks(t testing.TB, site string) {
	t.Helper()
	b, err := os.ReadFile(site)
	if err != nil {
		t.Fatal(err)
	}
	out := strings.ReplaceAll(string(b), "    role: ", "    hooks: [host_cmds, subnet_cmds]\n    role: ")
	if err := os.WriteFile(site, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
}

// hashes returns each node's config-hash-get.
func hashes(t *testing.T, nodes map[string]*keatest.Node) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, n := range nodes {
		a, err := n.Command(context.Background(), "config-hash-get", nil)
		if err != nil || a.Result != 0 {
			t.Fatal(err, a.Text)
		}
		var v struct{ Hash string }
		json.Unmarshal(a.Arguments, &v)
		out[name] = v.Hash
	}
	return out
}

// notReloaded fails the test if a node took a configuration (config-set)
// since before was read: status-get's reload counter only grows otherwise.
func notReloaded(t *testing.T, nodes map[string]*keatest.Node, before map[string]int) {
	t.Helper()
	for name, r := range reloads(t, nodes) {
		if r < before[name] {
			t.Errorf("%s was reconfigured with config-set (reload %ds ago, %ds before)", name, r, before[name])
		}
	}
}

// interfering wraps a node's API: before the command named on is sent
// (its n-th time), it runs hook — a failure, or a person's change racing
// the deploy.
type interfering struct {
	deploy.API
	on   string
	n    int
	seen int
	hook func() error
}

func (f *interfering) Command(ctx context.Context, command string, args any) (json.RawMessage, error) {
	if command == f.on {
		if f.seen++; f.seen == f.n {
			if err := f.hook(); err != nil {
				return nil, err
			}
		}
	}
	return f.API.Command(ctx, command, args)
}

// TestLiveChanges: on Kea 3.0 with host_cmds and subnet_cmds, the first
// deploy that loads them is a config-set; later reservation changes go
// live, and every failure puts both nodes back where they were, by Kea's
// own hash.
func TestLiveChanges(t *testing.T) {
	k := keatest.For(t, "3.0")
	site, dirs := livePairFor(t, k)
	nodes := startRendered(t, site, dirs)
	waitPairHealthy(t, nodes)

	t.Run("loading the hooks is a config-set; the next change is live", func(t *testing.T) {
		withHooks(t, site)
		appendReservation(t, site, "  - {hostname: cam-1, hw-address: \"02:42:ac:11:00:09\", ip-address: 10.30.30.59}\n")
		code, out := run(t, "deploy", "-s", site, "--yes")
		if code != ExitOK || !strings.Contains(out, "kea-a: → config-set (the node has not loaded host_cmds and subnet_cmds yet: this config-set loads them, later changes go live): it restarts HA") {
			t.Fatalf("loading the hooks: exit %d\n%s", code, out)
		}
		waitPairHealthy(t, nodes)
		time.Sleep(1100 * time.Millisecond)
		before := reloads(t, nodes)
		appendReservation(t, site, "  - {hostname: cam-2, hw-address: \"02:42:ac:11:00:0a\", ip-address: 10.30.30.60}\n")
		code, out = run(t, "deploy", "-s", site, "--yes")
		if code != ExitOK || strings.Count(out, "→ live: subnet4-update ×1, reservation-add ×1") != 2 || sentConfigSet(out) {
			t.Fatalf("a live change: exit %d\n%s", code, out)
		}
		notReloaded(t, nodes, before)
		if code, out := run(t, "diff", "-s", site, "--exit-code"); code != ExitOK || strings.Contains(out, "drift") {
			t.Errorf("after the live change: exit %d\n%s", code, out)
		}
		if code, out := run(t, "status", "-s", site); code != ExitOK || strings.Count(out, "as keaops applied it") != 2 {
			t.Errorf("status after a live change: exit %d\n%s", code, out)
		}
		// config-write persisted it: the file holds the new host.
		for name, d := range dirs {
			if b, _ := os.ReadFile(filepath.Join(d.Root, "kea-dhcp4.json")); !strings.Contains(string(b), "02:42:ac:11:00:0a") {
				t.Errorf("%s: the live change is not in its config file", name)
			}
		}
	})

	opts := deploy.Options{Version: k.Line, HA: true, HATimeout: 60 * time.Second}
	byName := func(ts []deploy.Target, name string) *deploy.Target {
		for i := range ts {
			if ts[i].Name == name {
				return &ts[i]
			}
		}
		t.Fatalf("no target %s", name)
		return nil
	}

	t.Run("the primary fails after the standby succeeded: both back on the previous hash", func(t *testing.T) {
		appendReservation(t, site, "  - {hostname: cam-3, hw-address: \"02:42:ac:11:00:0b\", ip-address: 10.30.30.61}\n")
		before, beforeHash := reloads(t, nodes), hashes(t, nodes)
		ts := siteTargets(t, site)
		a := byName(ts, "kea-a")
		a.API = &interfering{API: a.API, on: "reservation-add", n: 1, hook: func() error { return errConnectionLost }}
		res, err := deploy.Run(context.Background(), ts, opts)
		if err == nil || !strings.Contains(err.Error(), "reservation-add 10.30.30.61 cam-3") || !strings.Contains(err.Error(), "connection lost") {
			t.Fatalf("err = %v", err)
		}
		for _, n := range res.Nodes {
			if !n.RolledBack || n.Applied {
				t.Errorf("%s: %+v", n.Name, n)
			}
		}
		if after := hashes(t, nodes); after["kea-a"] != beforeHash["kea-a"] || after["kea-b"] != beforeHash["kea-b"] {
			t.Errorf("hashes before %v, after the undo %v", beforeHash, after)
		}
		notReloaded(t, nodes, before)
		if code, out := run(t, "diff", "-s", site); strings.Count(out, "+ reservation cam-3") != 2 || strings.Contains(out, "drift") {
			t.Errorf("after the undo: exit %d\n%s", code, out)
		}
	})

	t.Run("Kea's update trap: a rejected update that deleted the host is repaired", func(t *testing.T) {
		b, _ := os.ReadFile(filepath.Join(filepath.Dir(site), "reservations.yaml"))
		os.WriteFile(filepath.Join(filepath.Dir(site), "reservations.yaml"), []byte(strings.Replace(string(b), "ip-address: 10.30.30.60}", "ip-address: 10.30.30.70}", 1)), 0o644)
		beforeHash := hashes(t, nodes)
		ts := siteTargets(t, site)
		sb := byName(ts, "kea-b")
		// A person reserves 10.30.30.70 on the standby after preflight.
		sb.API = &interfering{API: sb.API, on: "reservation-update", n: 1, hook: func() error {
			a, err := nodes["kea-b"].Command(context.Background(), "reservation-add", map[string]any{"operation-target": "memory",
				"reservation": map[string]any{"subnet-id": 169745920, "hw-address": "02:de:ad:be:ef:02", "ip-address": "10.30.30.70"}})
			if err != nil || a.Result != 0 {
				t.Errorf("the racing hand change: %v %s", err, a.Text)
			}
			return nil
		}}
		res, err := deploy.Run(context.Background(), ts, opts)
		if err == nil || !strings.Contains(err.Error(), "the host was deleted by Kea when it rejected the update; it was restored") {
			t.Fatalf("err = %v\n%+v", err, res)
		}
		if after := hashes(t, nodes); after["kea-b"] != beforeHash["kea-b"] || after["kea-a"] != beforeHash["kea-a"] {
			t.Errorf("hashes before %v, after %v", beforeHash, after)
		}
		a, err := nodes["kea-b"].Command(context.Background(), "reservation-get", map[string]any{"subnet-id": 169745920, "identifier-type": "hw-address", "identifier": "02:42:ac:11:00:0a"})
		if err != nil || a.Result != 0 || !strings.Contains(string(a.Arguments), `"10.30.30.60"`) {
			t.Errorf("cam-2 after the trap: %v %d %s %s", err, a.Result, a.Text, a.Arguments)
		}
		waitPairHealthy(t, nodes)
	})

	t.Run("a hand reservation-add is drift in its subnet; --force takes it back with config-set", func(t *testing.T) {
		if code, out := run(t, "deploy", "-s", site, "--yes"); code != ExitOK {
			t.Fatalf("catching up: exit %d\n%s", code, out)
		}
		a, err := nodes["kea-a"].Command(context.Background(), "reservation-add", map[string]any{"operation-target": "memory",
			"reservation": map[string]any{"subnet-id": 169745920, "hw-address": "02:de:ad:be:ef:03", "ip-address": "10.30.30.80", "hostname": "by-hand"}})
		if err != nil || a.Result != 0 {
			t.Fatal(err, a.Text)
		}
		code, out := run(t, "status", "-s", site)
		if !strings.Contains(out, "kea-a: drift in subnet 10.30.30.0/24 (id 169745920): its settings, pools or reservations") || strings.Count(out, "DRIFT: changed outside keaops") != 1 {
			t.Errorf("status: exit %d\n%s", code, out)
		}
		if code, out := run(t, "deploy", "-s", site, "--yes"); code != ExitProblems || !strings.Contains(out, "kea-a: its running config was changed outside keaops") {
			t.Errorf("deploy over drift: exit %d\n%s", code, out)
		}
		code, out = run(t, "deploy", "-s", site, "--yes", "--force")
		if code != ExitOK || !strings.Contains(out, "kea-a: → config-set (the running config was changed outside keaops (drift))") || !strings.Contains(out, "- reservation by-hand") {
			t.Errorf("deploy --force: exit %d\n%s", code, out)
		}
		if code, out := run(t, "status", "-s", site); code != ExitOK || strings.Count(out, "as keaops applied it") != 2 {
			t.Errorf("status after --force: exit %d\n%s", code, out)
		}
		waitPairHealthy(t, nodes)
	})
}

var errConnectionLost = connectionLost{}

type connectionLost struct{}

func (connectionLost) Error() string { return "connection lost (injected)" }

// sentConfigSet reports whether a deploy's output shows a config-set sent
// (its progress line), not merely planned or named.
func sentConfigSet(out string) bool { return strings.Contains(out, ": config-set\n") }
