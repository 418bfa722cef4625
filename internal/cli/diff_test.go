package cli

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keaops/keaops/internal/keatest"
	"github.com/keaops/keaops/internal/model"
)

func TestDiffLive(t *testing.T) {
	for _, k := range keatest.Versions(t) {
		t.Run(k.Line, func(t *testing.T) { diffLive(t, k) })
	}
}

func diffLive(t *testing.T, k keatest.Kea) {
	site, dirs := liveSite(t, k, "reservations:\n  - {hostname: printer-3, hw-address: \"02:42:ac:11:00:07\", ip-address: 10.30.30.57}\n")
	startRendered(t, site, map[string]keatest.Dirs{"kea-solo": dirs})

	code, out := run(t, "diff", "-s", site, "--exit-code")
	if code != ExitOK || !strings.Contains(out, "kea-solo: no changes") {
		t.Fatalf("diff of what runs: exit %d\n%s", code, out)
	}

	// One more reservation: the plan shows exactly it, with its position.
	f, _ := os.OpenFile(filepath.Join(filepath.Dir(site), "reservations.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("  - {hostname: printer-4, hw-address: \"02:42:ac:11:00:08\", ip-address: 10.30.30.58}\n")
	f.Close()
	code, out = run(t, "diff", "-s", site, "--exit-code")
	want := "kea-solo: 1 change\n  + reservation printer-4 02:42:ac:11:00:08 → 10.30.30.58 (IoT)  " + filepath.Join(filepath.Dir(site), "reservations.yaml") + ":3:5\n  → config-set (the node has not loaded host_cmds and subnet_cmds (open source from Kea 2.7.7; list them under the node's hooks)): Kea reconfigures in place\nleases could not read the leases on kea-solo: it has not loaded lease_cmds (keaops loads it in HA pairs)\n1 change on 1 of 1 node\n"
	if code != ExitChanges || !strings.HasSuffix(out, want) {
		t.Fatalf("diff after adding a reservation: exit %d\n%s\nwant suffix:\n%s", code, out, want)
	}
	code, out = run(t, "diff", "-s", site, "--json-diff")
	if code != ExitOK || !strings.Contains(out, "raw JSON, kea-solo (2 differences):") || !strings.Contains(out, "subnet4[id=169745920].reservations[hw-address=02:42:ac:11:00:08]: (absent) → {…}") ||
		!strings.Contains(out, "user-context.keaops.fingerprint:") || strings.Contains(out, livePassword) {
		t.Fatalf("--json-diff against the live node: exit %d\n%s", code, out)
	}
	code, out = run(t, "diff", "-s", site, "--format", "json")
	var plan Plan
	if err := json.Unmarshal([]byte(out), &plan); err != nil || code != ExitOK || len(plan.Nodes[0].Changes) != 1 || plan.Nodes[0].Changes[0].Kind != "reservation" {
		t.Fatalf("json plan: exit %d, %v\n%s", code, err, out)
	}

	// Wrong credentials, and a node that does not answer: a clear error.
	t.Setenv("KEAOPS_TEST_PASSWORD", "wrong-password")
	code, out = run(t, "diff", "-s", site)
	if code != ExitProblems || !strings.Contains(out, "kea-solo: ERROR: config-get: HTTP 401: the control API refused the credentials") || strings.Contains(out, "wrong-password") {
		t.Errorf("wrong password: exit %d\n%s", code, out)
	}
	t.Setenv("KEAOPS_TEST_PASSWORD", livePassword)
	code, out = run(t, "diff", "-s", site, "--endpoint", "kea-solo=http://127.0.0.1:1/", "--timeout", "2s")
	if code != ExitProblems || !strings.Contains(out, "connection refused") || !strings.Contains(out, "NO PLAN: 1 node could not be read") || strings.Contains(out, "no changes") {
		t.Errorf("unreachable node: exit %d\n%s", code, out)
	}
	// A plan that could not be made never says "no changes", in any format.
	for format, want := range map[string]string{"markdown": "### keaops plan: NO PLAN: 1 node could not be read", "json": `"complete": false`} {
		code, out = run(t, "diff", "-s", site, "--endpoint", "kea-solo=http://127.0.0.1:1/", "--timeout", "2s", "--format", format)
		if code != ExitProblems || !strings.Contains(out, want) || strings.Contains(out, "no changes") || strings.Contains(out, `"changes": []`) {
			t.Errorf("unreachable node, %s: exit %d\n%s", format, code, out)
		}
	}
	code, out = run(t, "diff", "-s", site, "--endpoint", "nope=http://127.0.0.1:1/")
	if code != ExitProblems || !strings.Contains(out, "the site has no node nope") {
		t.Errorf("unknown endpoint node: exit %d\n%s", code, out)
	}
}

func TestCrossNode(t *testing.T) {
	sn := func(p string, id uint32) *model.Subnet {
		return &model.Subnet{Prefix: mustPrefix(p), ID: id}
	}
	nodes := []*model.Node{{Name: "a"}, {Name: "b"}}
	live := []*model.Site{
		{Subnets: []*model.Subnet{sn("10.0.0.0/24", 1), sn("10.0.1.0/24", 2)}},
		{Subnets: []*model.Subnet{sn("10.0.0.0/24", 7)}},
	}
	got := strings.Join(crossNode(nodes, live), "\n")
	want := "subnet 10.0.0.0/24 has id 1 on a but 7 on b\nsubnet 10.0.1.0/24 runs on a but not on b"
	if got != want {
		t.Errorf("crossNode:\n%s\nwant:\n%s", got, want)
	}
	if errs := crossNode(nodes, []*model.Site{live[0], nil}); len(errs) != 0 {
		t.Errorf("an unreachable node is not a mismatch: %v", errs)
	}
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func TestDiffAgainstRevision(t *testing.T) {
	site := copyExample(t, "homelab")
	dir := filepath.Dir(filepath.Join(site, "keaops.yaml"))
	git := gitIn(t, dir)
	git("init", "-q", "-b", "main")
	git("add", ".")
	git("commit", "-qm", "base")
	sitePath := filepath.Join(dir, "keaops.yaml")

	code, out := run(t, "diff", "-s", sitePath, "--against", "main", "--exit-code")
	if code != ExitOK || !strings.Contains(out, "all nodes: no changes") {
		t.Fatalf("unchanged: exit %d\n%s", code, out)
	}
	appendReservation(t, sitePath, "  - {hostname: printer-4, hw-address: \"02:42:ac:11:00:08\", ip-address: 10.30.30.58}\n")
	code, out = run(t, "diff", "-s", sitePath, "--against", "main", "--format", "markdown", "--exit-code")
	if code != ExitChanges || !strings.Contains(out, "### keaops plan: 1 change on 1 of 1 node") ||
		!strings.Contains(out, "| all nodes | `+` | reservation printer-4 02:42:ac:11:00:08 → 10.30.30.58 (IoT) | `"+filepath.Join(dir, "reservations.yaml")+":53:5` |") {
		t.Fatalf("one reservation: exit %d\n%s", code, out)
	}
	// Renumbering a subnet is an error, even in a plan.
	b, _ := os.ReadFile(filepath.Join(dir, "subnets.yaml"))
	os.WriteFile(filepath.Join(dir, "subnets.yaml"), []byte(strings.Replace(string(b), "    vlan: 30\n", "    vlan: 30\n    id: 30\n", 1)), 0o644)
	code, out = run(t, "diff", "-s", sitePath, "--against", "main")
	if code != ExitProblems || !strings.Contains(out, "ERROR: changing the id of an existing subnet orphans its leases") {
		t.Fatalf("renumbering: exit %d\n%s", code, out)
	}
	git("checkout", "-q", "subnets.yaml")
	code, out = run(t, "diff", "-s", sitePath, "--against", "main", "--json-diff")
	if code != ExitOK || !strings.Contains(out, "raw JSON, kea-primary (") ||
		!strings.Contains(out, "raw JSON, kea-secondary (2 differences):\n  subnet4[id=169745920].reservations[hw-address=02:42:ac:11:00:08]: (absent) → {…}\n  subnet4[id=169745920].user-context.keaops.fingerprint:") {
		t.Errorf("--json-diff against a revision: exit %d\n%s", code, out)
	}
	if code, out := run(t, "diff", "-s", sitePath, "--against", "no-such-rev"); code != ExitProblems || !strings.Contains(out, "resolving no-such-rev") {
		t.Errorf("unknown revision: exit %d\n%s", code, out)
	}
}
