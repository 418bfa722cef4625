package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keaops/keaops/internal/agent"
	"github.com/keaops/keaops/internal/gitlock"
	"github.com/keaops/keaops/internal/keatest"
	"github.com/keaops/keaops/internal/publish"
)

// renderPublish renders the site and publishes it to remote; it returns
// the commit.
func renderPublish(t *testing.T, site, override, remote string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "rendered")
	var buf strings.Builder
	if code, err := Render(context.Background(), RenderArgs{SiteArgs: SiteArgs{Site: site, Override: override}, Out: out}, &buf); code != ExitOK || err != nil {
		t.Fatalf("render: %d %v\n%s", code, err, buf.String())
	}
	res, err := publish.Publish(context.Background(), out, publish.Options{Remote: remote, Branch: "keaops-rendered"})
	if err != nil {
		t.Fatal(err)
	}
	return res.Commit
}

type runningAgent struct {
	a   *agent.Agent
	url string
}

func (r runningAgent) scrape(t *testing.T) string {
	t.Helper()
	resp, err := http.Get(r.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// metric is the value of an unlabelled metric; one that is not exported
// fails the test (a counter at 0 is exported).
func (r runningAgent) metric(t *testing.T, name string) float64 {
	t.Helper()
	for _, l := range strings.Split(r.scrape(t), "\n") {
		if strings.HasPrefix(l, name+" ") {
			var v float64
			fmt.Sscan(strings.TrimPrefix(l, name+" "), &v)
			return v
		}
	}
	t.Fatalf("%s is not exported", name)
	return 0
}

// promtoolCheckMetrics lints an exposition with Prometheus's promtool.
func promtoolCheckMetrics(t *testing.T, body string) {
	t.Helper()
	cmd := exec.Command(keatest.Promtool(t), "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

func (r runningAgent) sync(t *testing.T, token string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.url+"/sync", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("sync: %v %v", err, resp)
	}
	resp.Body.Close()
}

// waitStatus polls until cond holds for the agent's status.
func waitStatus(t *testing.T, r runningAgent, limit time.Duration, what string, cond func(agent.Status) bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < limit {
		if cond(r.a.Status()) {
			return time.Since(start)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not within %v; status %+v", what, limit, r.a.Status())
	return 0
}

// TestAgentsConvergePair: a pair of agents on a live pair of every Kea
// version here.
func TestAgentsConvergePair(t *testing.T) {
	for _, k := range keatest.Versions(t) {
		t.Run(k.Line, func(t *testing.T) { agentsConvergePair(t, k) })
	}
}

func agentsConvergePair(t *testing.T, k keatest.Kea) {
	site, dirs := livePairFor(t, k)
	// From 3.0 the nodes have host_cmds and subnet_cmds: the agents apply
	// reservation changes live, as deploy does.
	live := k.Line == "3.0"
	if live {
		withHooks(t, site)
	}
	root := t.TempDir()
	remote := filepath.Join(root, "rendered.git")
	if out, err := exec.Command("git", "init", "-q", "--bare", remote).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	first := renderPublish(t, site, "", remote)
	// The standby's agent takes the site's deploy lock for every apply.
	lockRemote := filepath.Join(root, "lock.git")
	gitCLI(t, "", "init", "-q", "--bare", lockRemote)
	nodes := startRendered(t, site, dirs)
	waitPairHealthy(t, nodes)

	token := "sync-token-for-tests"
	os.WriteFile(filepath.Join(root, "token"), []byte(token+"\n"), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	agents := map[string]runningAgent{}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, name := range []string{"kea-b", "kea-a"} { // the standby's agent first: the primary's waits for it
		cfg := agent.Config{
			Node:          name,
			Source:        agent.Source{Git: &agent.GitSource{URL: remote, Branch: "keaops-rendered"}},
			Kea:           agent.Kea{Control: "unix://" + filepath.Join(dirs[name].Run, "kea4-ctrl.sock"), ConfigFile: filepath.Join(dirs[name].Root, "kea-dhcp4.json")},
			Interval:      agent.Duration{Duration: 2 * time.Second},
			SyncTokenFile: filepath.Join(root, "token"),
			Drift:         "correct",
			StateDir:      filepath.Join(root, "state-"+name),
			HA:            agent.HA{Timeout: agent.Duration{Duration: 30 * time.Second}},
		}
		if name == "kea-a" {
			cfg.HA.WaitFor = agents["kea-b"].url
		} else {
			cfg.Lock = &agent.Lock{URL: lockRemote, TTL: agent.Duration{Duration: time.Minute}}
		}
		a, err := agent.New(cfg, log)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(a.Handler())
		t.Cleanup(srv.Close)
		agents[name] = runningAgent{a: a, url: srv.URL}
		done := make(chan struct{})
		go func() { a.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
	}

	for name, r := range agents {
		waitStatus(t, r, 20*time.Second, name+" ready on the first revision", func(s agent.Status) bool { return s.Ready && s.LastAppliedRevision == first })
		if r.metric(t, "keaops_agent_applies_total") != 0 {
			t.Errorf("%s applied although nothing changed", name)
		}
		// What a staleness alert and a readiness check read.
		if r.metric(t, "keaops_agent_ready") != 1 {
			t.Errorf("%s: keaops_agent_ready is not 1 while /status says ready", name)
		}
		if ts := r.metric(t, "keaops_agent_last_success_timestamp_seconds"); time.Since(time.Unix(int64(ts), 0)) > time.Minute {
			t.Errorf("%s: last success at %v", name, ts)
		}
		body := r.scrape(t)
		// Kea's own statistics, through the agent: 101 addresses in IoT's
		// pool, the node's HA state.
		wantPool := `keaops_kea_pool_addresses{kind="total",pool="0",subnet="IoT",subnet_id="`
		if k.Line == "2.2" {
			wantPool = `keaops_kea_subnet_addresses{kind="total",subnet="IoT",subnet_id="` // no pool statistics before 2.4
		}
		for _, want := range []string{`keaops_agent_build_info{goversion="go`, "go_goroutines ", "process_resident_memory_bytes ",
			wantPool, "keaops_kea_stats_up 1", `keaops_kea_ha_state{state="`, `keaops_kea_packets_total{direction="received",type="discover"} 0`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: no %s in /metrics", name, want)
			}
		}
		if !regexp.MustCompile(`(?m)^keaops_kea_(pool|subnet)_addresses\{kind="total",(pool="0",)?subnet="IoT",subnet_id="\d+"\} 101$`).MatchString(body) {
			t.Errorf("%s: IoT's 101 addresses are not exported:\n%s", name, body)
		}
		promtoolCheckMetrics(t, body)
	}

	t.Run("a new reservation: both converge, standby first", func(t *testing.T) {
		appendReservation(t, site, "  - {hostname: printer-4, hw-address: \"02:42:ac:11:00:08\", ip-address: 10.30.30.58}\n")
		rev := renderPublish(t, site, "", remote)
		time.Sleep(1100 * time.Millisecond)
		before := reloads(t, nodes)
		start := time.Now()
		agents["kea-a"].sync(t, token)
		agents["kea-b"].sync(t, token)
		applied := func(s agent.Status) bool { return s.LastAppliedRevision == rev }
		b := waitStatus(t, agents["kea-b"], 30*time.Second, "standby applied", applied)
		waitStatus(t, agents["kea-a"], 30*time.Second, "primary applied", applied)
		t.Logf("with /sync: standby applied after %v, primary after %v", b.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		if agents["kea-a"].a.Status().ObservedAt.Before(agents["kea-b"].a.Status().ObservedAt) {
			t.Error("the primary finished before the standby")
		}
		waitPairHealthy(t, nodes)
		if code, out := run(t, "diff", "-s", site, "--exit-code"); code != ExitOK || strings.Contains(out, "drift") {
			t.Errorf("after the agents: exit %d\n%s", code, out)
		}
		if live {
			notReloaded(t, nodes, before)
		}
	})

	t.Run("polling alone converges within an interval", func(t *testing.T) {
		appendReservation(t, site, "  - {hostname: printer-5, hw-address: \"02:42:ac:11:00:09\", ip-address: 10.30.30.59}\n")
		rev := renderPublish(t, site, "", remote)
		start := time.Now()
		for name, r := range agents {
			waitStatus(t, r, 30*time.Second, name+" applied by polling", func(s agent.Status) bool { return s.LastAppliedRevision == rev })
		}
		t.Logf("by polling (2 s interval): both applied after %v", time.Since(start).Round(time.Millisecond))
		waitPairHealthy(t, nodes)
	})

	t.Run("a corrupted artifact is refused", func(t *testing.T) {
		clone := filepath.Join(t.TempDir(), "clone")
		gitCLI(t, "", "clone", "-q", "-b", "keaops-rendered", remote, clone)
		f := filepath.Join(clone, "kea-a", "kea-dhcp4.json")
		b, _ := os.ReadFile(f)
		os.WriteFile(f, append(b, ' '), 0o644)
		gitCLI(t, clone, "commit", "-qam", "tampered")
		gitCLI(t, clone, "push", "-q", "origin", "keaops-rendered")
		before := agents["kea-a"].a.Status().LastAppliedRevision
		agents["kea-a"].sync(t, token)
		waitStatus(t, agents["kea-a"], 20*time.Second, "refusal reported", func(s agent.Status) bool {
			return strings.Contains(s.LastError, "does not match the manifest") && s.Stalled
		})
		if agents["kea-a"].metric(t, "keaops_agent_ready") != 0 {
			t.Error("keaops_agent_ready is 1 on a node stalled on a refused revision")
		}
		if agents["kea-a"].metric(t, "keaops_agent_verify_failed_total") < 1 || agents["kea-a"].a.Status().LastAppliedRevision != before {
			t.Errorf("status %+v", agents["kea-a"].a.Status())
		}
	})

	t.Run("a config Kea rejects is rolled back; the node keeps serving", func(t *testing.T) {
		// Kea accepts it in config-test and fails config-set: a "lease
		// file" that is a directory, in the directory Kea allows (so that
		// check's path rules pass it on every version).
		over := filepath.Join(t.TempDir(), "bad.yaml")
		notAFile := filepath.Join(dirs["kea-a"].Lib, "leases-is-a-directory.csv")
		os.MkdirAll(notAFile, 0o750)
		os.WriteFile(over, []byte("nodes:\n  kea-a:\n    paths: {lease-file: "+notAFile+"}\n"), 0o644)
		rev := renderPublish(t, site, over, remote)
		cfgFile := filepath.Join(dirs["kea-a"].Root, "kea-dhcp4.json")
		before, _ := os.ReadFile(cfgFile)
		agents["kea-a"].sync(t, token)
		agents["kea-b"].sync(t, token)
		waitStatus(t, agents["kea-a"], 40*time.Second, "rollback reported", func(s agent.Status) bool { return s.FailedRevision == rev })
		if m := agents["kea-a"].metric(t, "keaops_agent_rollbacks_total"); m < 1 {
			t.Errorf("rollbacks_total = %v", m)
		}
		if after, _ := os.ReadFile(cfgFile); string(after) != string(before) {
			t.Error("the config file was not restored")
		}
		waitPairHealthy(t, nodes)
		// Not retried in a loop: the next pass stays stalled on it.
		agents["kea-a"].sync(t, token)
		time.Sleep(time.Second)
		if m := agents["kea-a"].metric(t, "keaops_agent_apply_failed_total"); m != 1 {
			t.Errorf("apply_failed_total = %v: the failed revision was retried", m)
		}
		renderPublish(t, site, "", remote) // a good revision again
	})

	t.Run("Git unreachable: the node stays and it is reported", func(t *testing.T) {
		os.Rename(remote, remote+".away")
		defer os.Rename(remote+".away", remote)
		agents["kea-b"].sync(t, token)
		waitStatus(t, agents["kea-b"], 20*time.Second, "fetch failure reported", func(s agent.Status) bool { return strings.Contains(s.LastError, "fetch failed") })
		if agents["kea-b"].metric(t, "keaops_agent_fetch_failed_total") < 1 {
			t.Error("fetch_failed_total not counted")
		}
	})

	parent := t // the restarted process must outlive the subtest
	t.Run("Kea restarted under the agent starts from the applied file", func(t *testing.T) {
		applies := agents["kea-b"].metric(t, "keaops_agent_applies_total")
		nodes["kea-b"].RestartDHCP(parent)
		waitPairHealthy(t, nodes)
		agents["kea-b"].sync(t, token)
		time.Sleep(time.Second)
		st := agents["kea-b"].a.Status()
		if !st.Ready || st.LastError != "" || agents["kea-b"].metric(t, "keaops_agent_applies_total") != applies {
			t.Errorf("after a restart the node should already run the applied revision: %+v", st)
		}
		if code, out := run(t, "diff", "-s", site, "--exit-code"); code != ExitOK {
			t.Errorf("after the restart: exit %d\n%s", code, out)
		}
	})

	t.Run("drift is detected and corrected", func(t *testing.T) {
		for name, r := range agents {
			r.sync(t, token)
			waitStatus(t, r, 30*time.Second, name+" back to ready", func(s agent.Status) bool { return s.Ready && s.LastError == "" })
		}
		ctx := context.Background()
		a, err := nodes["kea-b"].Command(ctx, "config-get", nil)
		if err != nil || a.Result != 0 {
			t.Fatalf("config-get: %v %+v\n%s", err, a, nodes["kea-b"].Logs())
		}
		var cfg map[string]any
		json.Unmarshal(a.Arguments, &cfg)
		sn := cfg["Dhcp4"].(map[string]any)["subnet4"].([]any)[0].(map[string]any)
		sn["reservations"] = append(sn["reservations"].([]any), map[string]any{"hw-address": "02:de:ad:be:ef:02", "ip-address": "10.30.30.78"})
		applies := agents["kea-b"].metric(t, "keaops_agent_applies_total")
		nodes["kea-b"].Command(ctx, "config-set", map[string]any{"Dhcp4": cfg["Dhcp4"]})
		agents["kea-b"].sync(t, token)
		deadline := time.Now().Add(30 * time.Second)
		for agents["kea-b"].metric(t, "keaops_agent_applies_total") <= applies && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		waitStatus(t, agents["kea-b"], 30*time.Second, "drift corrected", func(s agent.Status) bool { return s.Ready && !s.Drift && !s.Reconciling })
		if agents["kea-b"].metric(t, "keaops_agent_drift_detected_total") < 1 {
			t.Error("drift_detected_total not counted")
		}
		waitPairHealthy(t, nodes)
		if code, out := run(t, "diff", "-s", site, "--exit-code"); code != ExitOK {
			t.Errorf("after the correction: exit %d\n%s", code, out)
		}
	})

	t.Run("a deploy holding the lock makes the agent wait", func(t *testing.T) {
		lease, err := gitlock.Acquire(context.Background(), gitlock.Options{Remote: lockRemote, Branch: gitlock.DefaultBranch([]string{"kea-a", "kea-b"}), TTL: time.Minute, Holder: "a keaops deploy"})
		if err != nil {
			t.Fatal(err)
		}
		appendReservation(t, site, "  - {hostname: printer-6, hw-address: \"02:42:ac:11:00:0b\", ip-address: 10.30.30.61}\n")
		rev := renderPublish(t, site, "", remote)
		agents["kea-b"].sync(t, token)
		waitStatus(t, agents["kea-b"], 20*time.Second, "waiting for the lock", func(s agent.Status) bool {
			return strings.Contains(s.LastError, "the deploy lock is held by a keaops deploy")
		})
		if st := agents["kea-b"].a.Status(); st.LastAppliedRevision == rev || st.FailedRevision == rev || agents["kea-b"].metric(t, "keaops_agent_lock_waits_total") < 1 {
			t.Errorf("applied or failed under someone else's lock: %+v", st)
		}
		if err := lease.Release(context.Background(), "done"); err != nil {
			t.Fatal(err)
		}
		agents["kea-b"].sync(t, token)
		waitStatus(t, agents["kea-b"], 30*time.Second, "applied once the lock is free", func(s agent.Status) bool { return s.LastAppliedRevision == rev })
		// Later passes may have taken it again since: look at the history.
		log, _ := exec.Command("git", "--git-dir", lockRemote, "log", "--format=%s", "--all").Output()
		if !strings.Contains(string(log), "released by keaops-agent kea-b") || !strings.Contains(string(log), "released by a keaops deploy: done") {
			t.Errorf("lock history: %s", log)
		}
		agents["kea-a"].sync(t, token)
		waitStatus(t, agents["kea-a"], 30*time.Second, "primary applied", func(s agent.Status) bool { return s.LastAppliedRevision == rev })
		waitPairHealthy(t, nodes)
	})

	t.Run("a branch reset to an older render is refused", func(t *testing.T) {
		tip, _ := exec.Command("git", "--git-dir", remote, "rev-parse", "keaops-rendered").Output()
		applied := agents["kea-b"].a.Status().LastAppliedRevision
		gitCLI(t, "", "--git-dir", remote, "update-ref", "refs/heads/keaops-rendered", first)
		defer gitCLI(t, "", "--git-dir", remote, "update-ref", "refs/heads/keaops-rendered", strings.TrimSpace(string(tip)))
		agents["kea-b"].sync(t, token)
		waitStatus(t, agents["kea-b"], 20*time.Second, "refusal reported", func(s agent.Status) bool {
			return s.OlderRefused && strings.Contains(s.LastError, "the artifact branch went back (a force-push?)")
		})
		if st := agents["kea-b"].a.Status(); st.LastAppliedRevision != applied || st.Ready || agents["kea-b"].metric(t, "keaops_agent_older_revision_refused_total") < 1 {
			t.Errorf("status %+v", st)
		}
		if code, out := run(t, "diff", "-s", site, "--exit-code"); code != ExitOK {
			t.Errorf("the node went back: exit %d\n%s", code, out)
		}
	})
}

func gitCLI(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}
