package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keaops/keaops/internal/agent"
	"github.com/keaops/keaops/internal/keatest"
)

// waitState waits until node n is in HA state want and says how long it
// took.
func waitState(t *testing.T, n *keatest.Node, want string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	if err := keatest.Eventually(ctx, 100*time.Millisecond, func() (bool, error) {
		st, err := n.HA(ctx)
		return err == nil && st.State == want, fmt.Errorf("state %q, %v", st.State, err)
	}); err != nil {
		t.Fatalf("not %s within %v: %v", want, limit, err)
	}
	return time.Since(start)
}

// TestDegradedDeploy: the standby is down; deploy refuses, --degraded
// deploys to the primary alone (live, and then a config-set whose outage
// is measured) and exits 3 naming the node behind; the standby comes back
// on its old config and the next deploy brings it level.
func TestDegradedDeploy(t *testing.T) {
	k := keatest.For(t, "3.0")
	site, dirs := livePairFor(t, k)
	withHooks(t, site)
	nodes := startRendered(t, site, dirs)
	waitPairHealthy(t, nodes)

	nodes["kea-b"].Down()
	t.Logf("the primary is in partner-down %v after the standby went down", waitState(t, nodes["kea-a"], "partner-down", 30*time.Second).Round(time.Millisecond))

	appendReservation(t, site, "  - {hostname: cam-1, hw-address: \"02:42:ac:11:00:09\", ip-address: 10.30.30.59}\n")
	code, out := run(t, "deploy", "-s", site, "--yes", "--timeout", "2s")
	if code != ExitProblems || !strings.Contains(out, "preflight failed, nothing was changed") || !strings.Contains(out, "--degraded deploys to its partner alone") {
		t.Fatalf("deploy with a node down: exit %d\n%s", code, out)
	}
	code, out = run(t, "deploy", "-s", site, "--yes", "--degraded", "--timeout", "2s")
	if code != ExitDegraded || !strings.Contains(out, "kea-b: BEHIND: it was down") || !strings.Contains(out, "kea-a: → live: subnet4-update ×1, reservation-add ×1") || !strings.Contains(out, "kea-a: deployed") {
		t.Fatalf("degraded deploy, live: exit %d\n%s", code, out)
	}

	// A global change on the only serving node: config-set restarts HA,
	// and until it is back in partner-down it serves nobody.
	edit := func(old, new string) {
		t.Helper()
		b := readFile(t, site)
		if !strings.Contains(b, old) {
			t.Fatalf("no %q in the site", old)
		}
		writeFile(t, site, strings.Replace(b, old, new, 1))
	}
	edit("valid-lifetime: 3600", "valid-lifetime: 3700")
	outage := make(chan time.Duration, 1)
	go func() { outage <- timeOutOf(nodes["kea-a"], "partner-down", 30*time.Second) }()
	began := time.Now()
	code, out = run(t, "deploy", "-s", site, "--yes", "--degraded", "--timeout", "2s")
	took := time.Since(began)
	if code != ExitDegraded || !strings.Contains(out, "kea-a: → config-set (a global setting changes") || !strings.Contains(out, "on a node serving alone: no DHCP service at all until it is back in partner-down, about one max-response-delay (3s)") {
		t.Fatalf("degraded deploy, config-set: exit %d\n%s", code, out)
	}
	t.Logf("config-set on the survivor: the deploy took %v; it was out of partner-down (serving nobody) for %v", took.Round(time.Millisecond), (<-outage).Round(10*time.Millisecond))

	// Nothing to deploy to but a node that is not down: refused.
	if code, out := run(t, "deploy", "-s", site, "--yes", "--degraded", "--endpoint", "kea-a=http://127.0.0.1:1/", "--timeout", "2s"); code != ExitProblems || !strings.Contains(out, "no node answered") {
		t.Errorf("both down: exit %d\n%s", code, out)
	}

	nodes["kea-b"].Up(t)
	waitPairHealthy(t, nodes)
	// Back on its old config: behind, and the plan and status say so.
	if code, out := run(t, "diff", "-s", site); !strings.Contains(out, "kea-b: 4 changes") || !strings.Contains(out, "kea-a: no changes") {
		t.Fatalf("the returned standby: exit %d\n%s", code, out)
	}
	if code, out := run(t, "status", "-s", site); !strings.Contains(out, "as keaops applied it; BEHIND the site by 4 changes") || strings.Count(out, "BEHIND") != 1 {
		t.Errorf("status of the returned standby: exit %d\n%s", code, out)
	}
	if code, out := run(t, "deploy", "-s", site, "--yes", "--degraded"); code != ExitProblems || !strings.Contains(out, "every node answered: the pair is not degraded") {
		t.Errorf("--degraded on a whole pair: exit %d\n%s", code, out)
	}
	if code, out := run(t, "deploy", "-s", site, "--yes"); code != ExitOK || !strings.Contains(out, "kea-b: deployed") {
		t.Fatalf("bringing the standby level: exit %d\n%s", code, out)
	}
	if code, out := run(t, "diff", "-s", site, "--exit-code"); code != ExitOK {
		t.Errorf("after the catch-up: exit %d\n%s", code, out)
	}

	// The primary goes down; the standby takes a change alone. Before the
	// primary starts again, its agent installs the published revision
	// (keaops-agent --prepare): it comes back on the config its partner
	// runs, before HA lets it serve.
	nodes["kea-a"].Down()
	waitState(t, nodes["kea-b"], "partner-down", 30*time.Second)
	appendReservation(t, site, "  - {hostname: cam-2, hw-address: \"02:42:ac:11:00:0a\", ip-address: 10.30.30.60}\n")
	if code, out := run(t, "deploy", "-s", site, "--yes", "--degraded", "--timeout", "2s"); code != ExitDegraded || !strings.Contains(out, "kea-a: BEHIND") {
		t.Fatalf("degraded deploy to the standby: exit %d\n%s", code, out)
	}
	remote := filepath.Join(t.TempDir(), "rendered.git")
	gitCLI(t, "", "init", "-q", "--bare", remote)
	rev := renderPublish(t, site, "", remote)
	prep, err := agent.New(agent.Config{
		Node:     "kea-a",
		Source:   agent.Source{Git: &agent.GitSource{URL: remote, Branch: "keaops-rendered"}},
		Kea:      agent.Kea{Control: "unix://" + filepath.Join(dirs["kea-a"].Run, "kea4-ctrl.sock"), ConfigFile: filepath.Join(dirs["kea-a"].Root, "kea-dhcp4.json")},
		StateDir: t.TempDir(), Interval: agent.Duration{Duration: time.Minute}, HA: agent.HA{Timeout: agent.Duration{Duration: time.Minute}},
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := prep.Prepare(context.Background()); err != nil {
		t.Fatalf("prepare %s: %v", rev, err)
	}
	nodes["kea-a"].Up(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var first keatest.Answer
	keatest.Eventually(ctx, 50*time.Millisecond, func() (bool, error) {
		first, err = nodes["kea-a"].Command(ctx, "config-get", nil)
		return err == nil && first.Result == 0, err
	})
	st, _ := nodes["kea-a"].HA(ctx)
	if !strings.Contains(string(first.Arguments), "02:42:ac:11:00:0a") {
		t.Errorf("the primary came back without the change it missed (HA state %s)", st.State)
	}
	t.Logf("the primary answered first in HA state %s, already on revision %s", st.State, rev[:12])
	waitPairHealthy(t, nodes)
	if code, out := run(t, "diff", "-s", site, "--exit-code"); code != ExitOK {
		t.Errorf("after the primary returned: exit %d\n%s", code, out)
	}
}

// timeOutOf polls n every 20 ms and returns how long it was out of HA
// state want, from the first poll that finds it elsewhere to the first
// that finds it back; zero if it never left within limit.
func timeOutOf(n *keatest.Node, want string, limit time.Duration) time.Duration {
	var left time.Time
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		st, err := n.HA(ctx)
		cancel()
		in := err == nil && st.State == want
		switch {
		case !in && left.IsZero():
			left = time.Now()
		case in && !left.IsZero():
			return time.Since(left)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return 0
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
