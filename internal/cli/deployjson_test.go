package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keaops/keaops/internal/keatest"
)

// TestDeployJSON: deploy --format json prints one report a job can read —
// a dry run, a deploy, a failed check — and nothing else.
func TestDeployJSON(t *testing.T) {
	k := keatest.Host(t)
	site, dirs := liveSite(t, k, "reservations:\n  - {hostname: printer-3, hw-address: \"02:42:ac:11:00:07\", ip-address: 10.30.30.57}\n")
	startRendered(t, site, map[string]keatest.Dirs{"kea-solo": dirs})
	report := func(args ...string) (int, deployReport) {
		t.Helper()
		code, out := run(t, append([]string{"deploy", "-s", site, "--format", "json"}, args...)...)
		var rep deployReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("not one JSON report: %v\n%s", err, out)
		}
		return code, rep
	}
	if code, rep := report("--dry-run"); code != ExitOK || rep.Outcome != "dry run" || !rep.DryRun || rep.Result == nil || len(rep.Result.Nodes) != 1 || len(rep.Result.Nodes[0].Changes) != 0 {
		t.Errorf("a dry run with nothing to do: exit %d %+v", code, rep)
	}
	f, _ := os.OpenFile(filepath.Join(filepath.Dir(site), "reservations.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("  - {hostname: printer-4, hw-address: \"02:42:ac:11:00:08\", ip-address: 10.30.30.58}\n")
	f.Close()
	if code, rep := report("--dry-run"); code != ExitOK || rep.Outcome != "dry run" || len(rep.Result.Nodes[0].Changes) != 1 || rep.Result.Nodes[0].Applied {
		t.Errorf("a dry run with a change: exit %d %+v", code, rep)
	}
	if code, rep := report("--yes"); code != ExitOK || rep.Outcome != "deployed" || !rep.Result.Nodes[0].Applied || rep.Error != "" {
		t.Errorf("the deploy: exit %d %+v", code, rep)
	}
	if code, rep := report("--yes"); code != ExitOK || rep.Outcome != "no changes" {
		t.Errorf("deploying again: exit %d %+v", code, rep)
	}
	os.WriteFile(filepath.Join(filepath.Dir(site), "reservations.yaml"), []byte("reservations:\n  - {hostname: x, hw-address: \"02:42:ac:11:00:09\", ip-address: 10.99.0.1}\n"), 0o644)
	if code, rep := report("--yes"); code != ExitProblems || rep.Outcome != "check failed" || len(rep.Findings) == 0 || rep.Result != nil {
		t.Errorf("a site that fails check: exit %d %+v", code, rep)
	}
	if code, out := run(t, "deploy", "-s", site, "--format", "json"); code != ExitProblems || !strings.Contains(out, "--format json asks no questions") {
		t.Errorf("without --yes: exit %d\n%s", code, out)
	}
}

// TestPublishJSON: publish --format json says which commit the branch
// holds and whether this publish made it.
func TestPublishJSON(t *testing.T) {
	render := filepath.Join(t.TempDir(), "rendered")
	if code, out := run(t, "render", "-s", "../../examples/homelab", "-o", render); code != ExitOK {
		t.Fatalf("render: %s", out)
	}
	remote := filepath.Join(t.TempDir(), "rendered.git")
	gitCLI(t, filepath.Dir(remote), "init", "-q", "--bare", remote)
	var first publishReport
	for i, changed := range []bool{true, false} {
		code, out := run(t, "publish", "--from", render, "--remote", remote, "--format", "json")
		var rep publishReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil || code != ExitOK {
			t.Fatalf("publish %d: exit %d, %v\n%s", i+1, code, err, out)
		}
		if i == 0 {
			first = rep
		}
		if rep.Changed != changed || len(rep.Commit) != 40 || rep.Commit != first.Commit || rep.Branch != "keaops-rendered" {
			t.Errorf("publish %d: %+v", i+1, rep)
		}
	}
}
