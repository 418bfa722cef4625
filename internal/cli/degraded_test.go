package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

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
	// Back on its old config: behind, and the plan says so.
	if code, out := run(t, "diff", "-s", site); !strings.Contains(out, "kea-b: 4 changes") || !strings.Contains(out, "kea-a: no changes") {
		t.Fatalf("the returned standby: exit %d\n%s", code, out)
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
