package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keaops/keaops/internal/deploy"
	"github.com/keaops/keaops/internal/keaapi"
	"github.com/keaops/keaops/internal/keatest"
)

// livePairFor writes a hot-standby site whose two nodes run on this
// machine with fast timers, on Kea k.
func livePairFor(t *testing.T, k keatest.Kea) (string, map[string]keatest.Dirs) {
	return pairSiteFor(t, k,
		"subnets:\n  - {name: IoT, vlan: 30, prefix: 10.30.30.0/24, pools: [10.30.30.100-10.30.30.200], gateway: 10.30.30.1}\n  - {name: Lab, prefix: 10.40.0.0/24, pools: [10.40.0.100-10.40.0.200]}\n",
		"reservations:\n  - {hostname: printer-3, hw-address: \"02:42:ac:11:00:07\", ip-address: 10.30.30.57}\n")
}

// pairSite is livePair with given subnets and reservations files.
func pairSite(t testing.TB, subnets, reservations string) (string, map[string]keatest.Dirs) {
	return pairSiteFor(t, keatest.Host(t), subnets, reservations)
}

// pairSiteFor is pairSite for Kea k: HA through the Control Agents on 2.2
// (its default), through kea-dhcp4's dedicated listener from 2.4 (theirs).
func pairSiteFor(t testing.TB, k keatest.Kea, subnets, reservations string) (string, map[string]keatest.Dirs) {
	t.Helper()
	dir := t.TempDir()
	dirs := map[string]keatest.Dirs{}
	dedicated := k.Line != "2.2"
	var nodes strings.Builder
	for _, n := range []struct{ name, role string }{{"kea-a", "primary"}, {"kea-b", "standby"}} {
		d := keatest.NewDirs(t, filepath.Join(dir, n.name))
		dirs[n.name] = d
		u := fmt.Sprintf("http://127.0.0.1:%d/", keatest.FreePort(t))
		ha := u
		if dedicated {
			ha = fmt.Sprintf("http://127.0.0.1:%d/", keatest.FreePort(t))
		}
		fmt.Fprintf(&nodes, "  - name: %s\n    role: %s\n    control-url: %s\n    ha-url: %s\n    paths: {control-socket: %s, lease-file: %s, log-file: %s}\n    kea-env: %s\n",
			n.name, n.role, u, ha, filepath.Join(d.Run, "kea4-ctrl.sock"), filepath.Join(d.Lib, "leases.csv"), filepath.Join(d.Log, "kea-dhcp4.log"), d.KeaEnv())
	}
	mt := fmt.Sprintf("multi-threading: {enable: %v, dedicated-listener: %v}", dedicated, dedicated)
	site := `kea-version: "` + k.Line + `"
control-auth: {user: kea-api, password: {env: KEAOPS_TEST_PASSWORD}}
ha: {mode: hot-standby, heartbeat-delay: 1000, max-response-delay: 3000, max-ack-delay: 1000, max-unacked-clients: 0, sync-timeout: 30000, ` + mt + `}
multi-threading: {enable: ` + fmt.Sprint(dedicated) + `}
defaults: {valid-lifetime: 3600}
nodes:
` + nodes.String()
	os.WriteFile(filepath.Join(dir, "keaops.yaml"), []byte(site), 0o644)
	os.WriteFile(filepath.Join(dir, "subnets.yaml"), []byte(subnets), 0o644)
	os.WriteFile(filepath.Join(dir, "reservations.yaml"), []byte(reservations), 0o644)
	os.Setenv("KEAOPS_TEST_PASSWORD", livePassword)
	return filepath.Join(dir, "keaops.yaml"), dirs
}

// siteTargets loads, checks and renders the site into deploy targets.
func siteTargets(t *testing.T, site string) []deploy.Target {
	t.Helper()
	s, fs, err := LoadAndValidate(context.Background(), SiteArgs{Site: site})
	if err != nil || fs.HasErrors() {
		t.Fatal(err, fs)
	}
	ts, err := Targets(context.Background(), s, ConnArgs{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func appendReservation(t testing.TB, site, line string) {
	f, err := os.OpenFile(filepath.Join(filepath.Dir(site), "reservations.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString(line)
}

// reloads returns seconds since each node last took a configuration.
func reloads(t *testing.T, nodes map[string]*keatest.Node) map[string]int {
	out := map[string]int{}
	for name, n := range nodes {
		a, err := n.Command(context.Background(), "status-get", nil)
		if err != nil {
			t.Fatal(err)
		}
		var st keaapi.Status
		json.Unmarshal(a.Arguments, &st)
		out[name] = st.Reload
	}
	return out
}

func waitPairHealthy(t testing.TB, nodes map[string]*keatest.Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for name, n := range nodes {
		if err := keatest.Eventually(ctx, 200*time.Millisecond, func() (bool, error) {
			st, err := n.HA(ctx)
			return err == nil && st.State == "hot-standby", fmt.Errorf("%+v %v", st, err)
		}); err != nil {
			t.Fatalf("%s not healthy: %v\n%s", name, err, n.Logs())
		}
	}
}

// TestDeployPair: deploy against a live pair of every Kea version here.
func TestDeployPair(t *testing.T) {
	for _, k := range keatest.Versions(t) {
		t.Run(k.Line, func(t *testing.T) { deployPair(t, k) })
	}
}

func deployPair(t *testing.T, k keatest.Kea) {
	site, dirs := livePairFor(t, k)
	start := time.Now()
	nodes := startRendered(t, site, dirs)
	waitPairHealthy(t, nodes)
	t.Logf("%s: the pair is healthy %v after start", k, time.Since(start).Round(time.Millisecond))

	t.Run("no changes: no config-set anywhere", func(t *testing.T) {
		time.Sleep(1100 * time.Millisecond)
		code, out := run(t, "deploy", "-s", site, "--yes")
		if code != ExitOK || !strings.Contains(out, "no changes: nothing deployed") || sentConfigSet(out) {
			t.Fatalf("exit %d\n%s", code, out)
		}
		for name, r := range reloads(t, nodes) {
			if r < 1 {
				t.Errorf("%s was reconfigured by a no-op deploy (reload %ds ago)", name, r)
			}
		}
	})

	t.Run("a new reservation goes to the standby first", func(t *testing.T) {
		appendReservation(t, site, "  - {hostname: printer-4, hw-address: \"02:42:ac:11:00:08\", ip-address: 10.30.30.58}\n")
		code, out := run(t, "diff", "-s", site)
		if code != ExitOK || strings.Count(out, "+ reservation printer-4 02:42:ac:11:00:08 → 10.30.30.58 (IoT)") != 2 || !strings.Contains(out, "2 changes on 2 of 2 nodes") {
			t.Fatalf("diff: exit %d\n%s", code, out)
		}
		began := time.Now()
		code, out = run(t, "deploy", "-s", site, "--yes")
		t.Logf("%s: deploying one reservation took %v", k, time.Since(began).Round(time.Millisecond))
		if code != ExitOK || !strings.Contains(out, "  kea-b: + reservation printer-4 02:42:ac:11:00:08 → 10.30.30.58 (IoT)  "+filepath.Join(filepath.Dir(site), "reservations.yaml")+":3:5") {
			t.Fatalf("deploy: exit %d\n%s", code, out)
		}
		b, a := strings.Index(out, "kea-b: config-set"), strings.Index(out, "kea-a: config-set")
		if b < 0 || a < 0 || b > a {
			t.Errorf("order: standby kea-b must be configured before primary kea-a\n%s", out)
		}
		if code, out := run(t, "diff", "-s", site, "--exit-code"); code != ExitOK {
			t.Errorf("after deploy the pair still differs: exit %d\n%s", code, out)
		}
		waitPairHealthy(t, nodes)
	})

	targets := func(t *testing.T, tamper map[string]func(string) string) []deploy.Target {
		ts := siteTargets(t, site)
		for i := range ts {
			if f := tamper[ts[i].Name]; f != nil {
				ts[i].Config = json.RawMessage(f(string(ts[i].Config)))
			}
		}
		return ts
	}
	opts := deploy.Options{Version: k.Line, HA: true, HATimeout: 60 * time.Second}

	t.Run("config-set fails on the standby: rolled back there, primary untouched", func(t *testing.T) {
		appendReservation(t, site, "  - {hostname: cam-1, hw-address: \"02:42:ac:11:00:09\", ip-address: 10.30.30.59}\n")
		// Passes config-test (hook parameters are not checked there), fails
		// config-set on 2.2: keaops' own check forbids it, so it is injected.
		ts := targets(t, map[string]func(string) string{"kea-b": func(s string) string {
			return strings.Replace(s, `"max-response-delay": 3000`, `"max-response-delay": 70000`, 1)
		}})
		time.Sleep(1100 * time.Millisecond)
		res, err := deploy.Run(context.Background(), ts, opts)
		// 2.2 and 2.6 answer result 1; 3.0 answers 5 (a fatal error).
		code := map[bool]string{true: "5", false: "1"}[k.Line == "3.0"]
		if err == nil || !strings.Contains(err.Error(), "kea-b: config-set: Kea answered result "+code+": One or more hook libraries failed to load") {
			t.Fatalf("err = %v", err)
		}
		got := map[string]deploy.NodeResult{}
		for _, n := range res.Nodes {
			got[n.Name] = n
		}
		if !got["kea-b"].RolledBack || got["kea-b"].Applied || got["kea-a"].RolledBack || got["kea-a"].Applied {
			t.Errorf("results = %+v", res.Nodes)
		}
		if r := reloads(t, nodes)["kea-a"]; r < 1 {
			t.Errorf("the primary was reconfigured (reload %ds ago)", r)
		}
		waitPairHealthy(t, nodes)
		// Both still run the previous config: the new reservation is pending on both.
		if code, out := run(t, "diff", "-s", site); code != ExitOK || strings.Count(out, "+ reservation cam-1") != 2 {
			t.Errorf("after the rollback: exit %d\n%s", code, out)
		}
	})

	t.Run("the primary fails after the standby succeeded: both end on the previous config", func(t *testing.T) {
		ts := targets(t, map[string]func(string) string{"kea-a": func(s string) string {
			// config-test does not open the lease file; config-set does, and fails.
			return strings.Replace(s, filepath.Join(dirs["kea-a"].Lib, "leases.csv"), "/nonexistent/keaops/leases.csv", 1)
		}})
		res, err := deploy.Run(context.Background(), ts, opts)
		if err == nil || !strings.Contains(err.Error(), "kea-a: config-set: Kea answered result 1") {
			t.Fatalf("err = %v", err)
		}
		for _, n := range res.Nodes {
			if !n.RolledBack || n.Applied {
				t.Errorf("%s: %+v", n.Name, n)
			}
		}
		waitPairHealthy(t, nodes)
		if code, out := run(t, "diff", "-s", site); code != ExitOK || strings.Count(out, "+ reservation cam-1") != 2 {
			t.Errorf("after the rollback both must be on the previous config: exit %d\n%s", code, out)
		}
	})

	t.Run("unreachable node and wrong credentials: nothing changed", func(t *testing.T) {
		before := reloads(t, nodes)
		code, out := run(t, "deploy", "-s", site, "--yes", "--endpoint", "kea-b=http://127.0.0.1:1/", "--timeout", "2s")
		if code != ExitProblems || !strings.Contains(out, "preflight failed, nothing was changed") || !strings.Contains(out, "connection refused") {
			t.Errorf("unreachable: exit %d\n%s", code, out)
		}
		code, out = run(t, "deploy", "-s", site, "--dry-run", "--endpoint", "kea-b=http://127.0.0.1:1/", "--timeout", "2s")
		if code != ExitProblems || !strings.Contains(out, "kea-b: NOT PLANNED: preflight failed") || strings.Contains(out, "kea-b: unchanged") {
			t.Errorf("dry run with a node down: exit %d\n%s", code, out)
		}
		t.Setenv("KEAOPS_TEST_PASSWORD", "wrong-password")
		code, out = run(t, "deploy", "-s", site, "--yes")
		if code != ExitProblems || !strings.Contains(out, "HTTP 401") || strings.Contains(out, "wrong-password") {
			t.Errorf("wrong credentials: exit %d\n%s", code, out)
		}
		t.Setenv("KEAOPS_TEST_PASSWORD", livePassword)
		for name, r := range reloads(t, nodes) {
			if r < before[name] {
				t.Errorf("%s was reconfigured", name)
			}
		}
	})

	t.Run("a hand edit is drift: deploy refuses, diff shows it, --force overwrites", func(t *testing.T) {
		if code, out := run(t, "deploy", "-s", site, "--yes"); code != ExitOK {
			t.Fatalf("catching up: exit %d\n%s", code, out)
		}
		// Someone adds a reservation on the standby through the API.
		ctx := context.Background()
		a, err := nodes["kea-b"].Command(ctx, "config-get", nil)
		if err != nil || a.Result != 0 {
			t.Fatal(err, a.Text)
		}
		var cfg map[string]any
		json.Unmarshal(a.Arguments, &cfg)
		sn := cfg["Dhcp4"].(map[string]any)["subnet4"].([]any)[0].(map[string]any)
		sn["reservations"] = append(sn["reservations"].([]any), map[string]any{"hw-address": "02:de:ad:be:ef:01", "ip-address": "10.30.30.77", "hostname": "by-hand"})
		if a, err := nodes["kea-b"].Command(ctx, "config-set", map[string]any{"Dhcp4": cfg["Dhcp4"]}); err != nil || a.Result != 0 {
			t.Fatal(err, a.Text)
		}
		waitPairHealthy(t, nodes)

		code, out := run(t, "deploy", "-s", site, "--yes")
		if code != ExitProblems || !strings.Contains(out, "kea-b: its running config was changed outside keaops") || sentConfigSet(out) {
			t.Fatalf("deploy over drift: exit %d\n%s", code, out)
		}
		code, out = run(t, "diff", "-s", site)
		if !strings.Contains(out, "kea-b: 1 change (drift: changed outside keaops since its last deploy)") || !strings.Contains(out, "- reservation by-hand 02:de:ad:be:ef:01 → 10.30.30.77 (IoT)") || !strings.Contains(out, "kea-a: no changes") {
			t.Fatalf("diff over drift: exit %d\n%s", code, out)
		}
		code, out = run(t, "deploy", "-s", site, "--yes", "--force")
		if code != ExitOK || !strings.Contains(out, "kea-b: deployed") || !strings.Contains(out, "kea-a: unchanged") {
			t.Fatalf("deploy --force: exit %d\n%s", code, out)
		}
		if code, out := run(t, "diff", "-s", site, "--exit-code"); code != ExitOK || strings.Contains(out, "drift") {
			t.Errorf("after --force: exit %d\n%s", code, out)
		}
	})

	// A deploy killed between the standby's config-set and its
	// config-write: the standby runs the new config, its file holds the
	// old one. The next deploy finds it unchanged, and still persists it.
	t.Run("a node left unpersisted is persisted by the next deploy", func(t *testing.T) {
		appendReservation(t, site, "  - {hostname: cam-3, hw-address: \"02:42:ac:11:00:0c\", ip-address: 10.30.30.62}\n")
		_, files := renderedFiles(t, site)
		var cfg map[string]any
		json.Unmarshal(files["kea-b"][0], &cfg)
		if a, err := nodes["kea-b"].Command(context.Background(), "config-set", cfg); err != nil || a.Result != 0 {
			t.Fatalf("config-set as the killed deploy sent it: %v %+v", err, a)
		}
		file := filepath.Join(dirs["kea-b"].Root, "kea-dhcp4.json")
		if b, _ := os.ReadFile(file); strings.Contains(string(b), "02:42:ac:11:00:0c") {
			t.Fatal("the file already holds the change: the test does not test")
		}
		waitPairHealthy(t, nodes)
		code, out := run(t, "deploy", "-s", site, "--yes")
		if code != ExitOK || !strings.Contains(out, "kea-b: unchanged") || !strings.Contains(out, "kea-a: deployed") {
			t.Fatalf("deploy: exit %d\n%s", code, out)
		}
		if b, _ := os.ReadFile(file); !strings.Contains(string(b), "02:42:ac:11:00:0c") {
			t.Errorf("kea-b's file still lacks what it runs: a restart would bring back the old config")
		}
		waitPairHealthy(t, nodes)
	})

	t.Run("dry run changes nothing", func(t *testing.T) {
		appendReservation(t, site, "  - {hostname: cam-2, hw-address: \"02:42:ac:11:00:0a\", ip-address: 10.30.30.60}\n")
		time.Sleep(1100 * time.Millisecond)
		before := reloads(t, nodes)
		code, out := run(t, "deploy", "-s", site, "--dry-run")
		if code != ExitOK || !strings.Contains(out, "kea-b: would apply (dry run)") || sentConfigSet(out) {
			t.Errorf("dry run: exit %d\n%s", code, out)
		}
		for name, r := range reloads(t, nodes) {
			if r < before[name] {
				t.Errorf("%s was reconfigured by a dry run", name)
			}
		}
	})

	// Two machines deploy the same pair at once, each with its own change;
	// the site's deploy lock (a branch on a shared Git remote) lets one
	// through and stops the other, which names who holds it.
	t.Run("two deploys at once with a deploy lock", func(t *testing.T) {
		remote := filepath.Join(t.TempDir(), "site.git")
		gitCLI(t, ".", "init", "-q", "--bare", remote)
		dir := filepath.Dir(site)
		f, _ := os.OpenFile(site, os.O_APPEND|os.O_WRONLY, 0)
		fmt.Fprintf(f, "deploy: {lock: {remote: %s, ttl: 60}}\n", remote)
		f.Close()
		other := t.TempDir()
		for _, name := range []string{"keaops.yaml", "subnets.yaml", "reservations.yaml"} {
			data, _ := os.ReadFile(filepath.Join(dir, name))
			os.WriteFile(filepath.Join(other, name), data, 0o644)
		}
		otherSite := filepath.Join(other, "keaops.yaml")
		appendReservation(t, site, "  - {hostname: mine, hw-address: \"02:42:ac:11:00:21\", ip-address: 10.30.30.71}\n")
		appendReservation(t, otherSite, "  - {hostname: theirs, hw-address: \"02:42:ac:11:00:22\", ip-address: 10.30.30.72}\n")

		// The first deploy is under way (it holds the lock) when the
		// second starts.
		first := &signalBuffer{want: "deploy lock keaops-lock/", seen: make(chan struct{})}
		done := make(chan int, 1)
		go func() { done <- Main(context.Background(), []string{"deploy", "-s", site, "--yes"}, first, first) }()
		select {
		case <-first.seen:
		case <-time.After(30 * time.Second):
			t.Fatalf("the first deploy did not take the lock:\n%s", first.String())
		}
		// --endpoint (to the same URL) gives the second deploy its own
		// per-machine lock, as on another machine.
		code, out := run(t, "deploy", "-s", otherSite, "--yes", "--endpoint", "kea-a="+nodeURL(t, site, "kea-a"))
		if code != ExitProblems || !strings.Contains(out, "the deploy lock is held by keaops deploy (") || sentConfigSet(out) {
			t.Errorf("second deploy: exit %d\n%s", code, out)
		}
		if code := <-done; code != ExitOK || !strings.Contains(first.String(), "kea-a: deployed") {
			t.Fatalf("first deploy: exit %d\n%s", code, first.String())
		}
		if code, out := run(t, "diff", "-s", site, "--exit-code"); code != ExitOK {
			t.Errorf("the pair does not run the first deploy's config: exit %d\n%s", code, out)
		}
		log, _ := exec.Command("git", "--git-dir", remote, "log", "--format=%s", "--all").Output()
		if !strings.Contains(string(log), "released by keaops deploy (") || !strings.Contains(string(log), ": deployed") {
			t.Errorf("lock history:\n%s", log)
		}
		// Released: the other machine deploys now (and takes "mine" out).
		if code, out := run(t, "deploy", "-s", otherSite, "--yes"); code != ExitOK || !strings.Contains(out, "- reservation mine") {
			t.Errorf("second deploy after the first: exit %d\n%s", code, out)
		}
		waitPairHealthy(t, nodes)
	})

}

// signalBuffer closes seen once its content holds want.
type signalBuffer struct {
	lockedBuffer
	want string
	seen chan struct{}
	once sync.Once
}

func (s *signalBuffer) Write(p []byte) (int, error) {
	n, err := s.lockedBuffer.Write(p)
	if strings.Contains(s.String(), s.want) {
		s.once.Do(func() { close(s.seen) })
	}
	return n, err
}

// nodeURL is a node's control URL in a site file.
func nodeURL(t *testing.T, site, node string) string {
	t.Helper()
	s, _, err := LoadAndValidate(context.Background(), SiteArgs{Site: site})
	if err != nil || s == nil {
		t.Fatal(err)
	}
	for _, n := range s.Nodes {
		if n.Name == node {
			return n.ControlURL.String()
		}
	}
	t.Fatalf("no node %s", node)
	return ""
}
