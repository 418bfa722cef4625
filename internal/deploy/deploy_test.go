package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keaops/keaops/internal/diff"
	"github.com/keaops/keaops/internal/keaapi"
	"github.com/keaops/keaops/internal/model"
)

func TestRolloutOrder(t *testing.T) {
	n := func(name string, role model.Role, changes ...diff.Change) *node {
		return &node{Target: Target{Name: name, Role: role}, res: &NodeResult{Changes: changes}}
	}
	add := diff.Change{Op: diff.Add, Kind: "subnet"}
	remove := diff.Change{Op: diff.Remove, Kind: "subnet"}
	res := diff.Change{Op: diff.Add, Kind: "reservation"}
	for _, tc := range []struct {
		name  string
		nodes []*node
		want  string
	}{
		{"reservations: standby first", []*node{n("a", model.RolePrimary, res), n("b", model.RoleStandby, res)}, "b,a"},
		{"subnet added: standby first", []*node{n("a", model.RolePrimary, add), n("b", model.RoleStandby, add)}, "b,a"},
		{"subnet removed only: primary first", []*node{n("b", model.RoleStandby, remove), n("a", model.RolePrimary, remove)}, "a,b"},
		{"added and removed: standby first", []*node{n("a", model.RolePrimary, add, remove), n("b", model.RoleStandby, add, remove)}, "b,a"},
		{"load-balancing with a backup", []*node{n("a", model.RolePrimary, res), n("b", model.RoleSecondary, res), n("c", model.RoleBackup, res)}, "b,c,a"},
	} {
		var got []string
		for _, x := range rolloutOrder(tc.nodes) {
			got = append(got, x.Name)
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("%s: order %v, want %s", tc.name, got, tc.want)
		}
	}
}

func TestHealthy(t *testing.T) {
	st := func(state string, inTouch, interrupted bool) keaapi.Status {
		var s keaapi.Status
		h := keaapi.HAStatus{}
		h.Servers.Local.State = state
		h.Servers.Remote.InTouch, h.Servers.Remote.CommunicationInterrupted = inTouch, interrupted
		s.HA = []keaapi.HAStatus{h}
		return s
	}
	for _, tc := range []struct {
		st   keaapi.Status
		want string
	}{
		{st("hot-standby", true, false), ""},
		{st("load-balancing", true, false), ""},
		{st("backup", false, false), ""},
		{st("waiting", true, false), "HA state is waiting, not normal"},
		{st("partner-down", false, true), "HA state is partner-down, not normal"},
		{st("hot-standby", false, false), "HA partner not in touch"},
		{st("hot-standby", true, true), "communication-interrupted true"},
		{keaapi.Status{}, "reports no HA relationship"},
	} {
		err := healthy(tc.st)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("healthy(%+v) = %v, want %q", tc.st.HA, err, tc.want)
		}
	}
}

// fake is a Kea that keeps its config in memory and records calls.
type fake struct {
	mu       sync.Mutex
	name     string
	config   json.RawMessage
	calls    []string
	testErr  error
	setErr   error
	onGet    func(f *fake) // runs before each config-get or config-hash-get answer
	afterSet func(f *fake) // runs after each successful config-set
	getCount int
	// file is what config-write last persisted.
	file json.RawMessage
	// v24: config-get, config-set and config-hash-get carry Kea 2.4+'s
	// hash of the running config; getHash, when set, is what
	// config-hash-get answers instead.
	v24     bool
	getHash string
	// pid is what status-get reports (42 when 0).
	pid int
}

// hash is Kea 2.4+'s hash of the running config ("" for 2.2).
func (f *fake) hash() string {
	if !f.v24 {
		return ""
	}
	return fmt.Sprintf("%X", sha256.Sum256(f.config))
}

func (f *fake) ListCommands(context.Context) ([]string, error) {
	return []string{"config-get", "config-set", "config-test", "config-write"}, nil
}
func (f *fake) Command(_ context.Context, c string, _ any) (json.RawMessage, error) {
	return nil, fmt.Errorf("%s: not in this fake", c)
}
func (f *fake) record(c string)                         { f.mu.Lock(); f.calls = append(f.calls, c); f.mu.Unlock() }
func (f *fake) Version(context.Context) (string, error) { f.record("version-get"); return "2.2.0", nil }
func (f *fake) Status(context.Context) (keaapi.Status, error) {
	f.record("status-get")
	var s keaapi.Status
	s.PID = 42
	if f.pid != 0 {
		s.PID = f.pid
	}
	return s, nil
}
func (f *fake) ConfigGet(context.Context) (keaapi.Config, error) {
	f.record("config-get")
	f.getCount++
	if f.onGet != nil {
		f.onGet(f)
	}
	return keaapi.Config{Dhcp4: f.config, Hash: f.hash()}, nil
}
func (f *fake) ConfigTest(context.Context, json.RawMessage) error {
	f.record("config-test")
	return f.testErr
}
func (f *fake) ConfigSet(_ context.Context, c json.RawMessage) (string, error) {
	f.record("config-set")
	if f.setErr != nil {
		return "", f.setErr
	}
	f.config = c
	h := f.hash()
	if f.afterSet != nil {
		f.afterSet(f)
	}
	return h, nil
}
func (f *fake) ConfigWrite(context.Context) error {
	f.record("config-write")
	f.file = f.config
	return nil
}
func (f *fake) ConfigHash(context.Context) (string, error) {
	f.record("config-hash-get")
	if !f.v24 {
		return "", keaapi.ErrUnsupported
	}
	f.getCount++
	if f.onGet != nil {
		f.onGet(f)
	}
	if f.getHash != "" {
		return f.getHash, nil
	}
	return f.hash(), nil
}

func cfg(reservations string) json.RawMessage {
	return json.RawMessage(`{"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "reservations": [` + reservations + `]}]}`)
}

const r10 = `{"hw-address": "02:00:00:00:00:10", "ip-address": "192.0.2.10"}`
const r11 = `{"hw-address": "02:00:00:00:00:11", "ip-address": "192.0.2.11"}`

func targets(fs ...*fake) []Target {
	var ts []Target
	for _, f := range fs {
		role := model.RoleStandby
		if f.name == "a" {
			role = model.RolePrimary
		}
		ts = append(ts, Target{Name: f.name, Role: role, API: f, Config: cfg(r10 + "," + r11)})
	}
	return ts
}

func has(calls []string, c string) bool {
	for _, x := range calls {
		if x == c {
			return true
		}
	}
	return false
}

func TestRunConfigTestRefusalChangesNothing(t *testing.T) {
	a := &fake{name: "a", config: cfg(r10)}
	b := &fake{name: "b", config: cfg(r10), testErr: &keaapi.Error{Command: "config-test", Result: 1, Text: "bad"}}
	_, err := Run(context.Background(), targets(a, b), Options{})
	if err == nil || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("err = %v", err)
	}
	if has(a.calls, "config-set") || has(b.calls, "config-set") {
		t.Errorf("config-set was called: a %v, b %v", a.calls, b.calls)
	}
}

func TestRunCatchesAConcurrentChange(t *testing.T) {
	for _, v24 := range []bool{false, true} {
		a := &fake{name: "a", config: cfg(r10), v24: v24}
		b := &fake{name: "b", config: cfg(r10), v24: v24}
		// Between preflight and the primary's turn, someone else changes it.
		a.onGet = func(f *fake) {
			if f.getCount == 2 {
				f.config = cfg(r10 + `, {"hw-address": "02:00:00:00:00:99", "ip-address": "192.0.2.99"}`)
			}
		}
		res, err := Run(context.Background(), targets(a, b), Options{})
		if err == nil || !strings.Contains(err.Error(), "changed since preflight") {
			t.Fatalf("2.4+ %v: err = %v", v24, err)
		}
		if has(a.calls, "config-set") {
			t.Errorf("2.4+ %v: the primary was set although it had changed: %v", v24, a.calls)
		}
		// The standby had been changed: it is put back.
		if !res.Nodes[1].RolledBack || string(b.config) != string(cfg(r10)) {
			t.Errorf("2.4+ %v: standby not rolled back: %+v, config %s", v24, res.Nodes[1], b.config)
		}
		// 2.4+ asks for the hash, not the whole config, to see that.
		if gets := strings.Count(strings.Join(a.calls, " "), "config-get"); v24 && (gets != 1 || !has(a.calls, "config-hash-get")) || !v24 && gets != 2 {
			t.Errorf("2.4+ %v: the primary's reads: %v", v24, a.calls)
		}
	}
}

func TestRunNoChangesNoCalls(t *testing.T) {
	a := &fake{name: "a", config: cfg(r10 + "," + r11)}
	res, err := Run(context.Background(), targets(a), Options{})
	if err != nil || res.Changed() {
		t.Fatalf("err = %v, changed = %v", err, res.Changed())
	}
	for _, c := range a.calls {
		if c != "version-get" && c != "status-get" && c != "config-get" && c != "config-write" {
			t.Errorf("unchanged node got %s", c)
		}
	}
	if _, err := Run(context.Background(), targets(a), Options{DryRun: true}); err != nil || strings.Count(strings.Join(a.calls, " "), "config-write") != 1 {
		t.Errorf("dry run: %v, calls %v", err, a.calls)
	}
}

// A rollout killed between a node's config-set and its config-write left
// the node running the new config with the old one in its file: the next
// deploy sees no change, and must still make the file hold what runs.
func TestRunPersistsAnUnpersistedNode(t *testing.T) {
	a := &fake{name: "a", config: cfg(r10 + "," + r11), file: cfg(r10)}
	b := &fake{name: "b", config: cfg(r10 + "," + r11), file: cfg(r10 + "," + r11)}
	if _, err := Run(context.Background(), targets(a, b), Options{}); err != nil {
		t.Fatal(err)
	}
	if string(a.file) != string(a.config) || has(a.calls, "config-set") {
		t.Errorf("file %s, running %s, calls %v", a.file, a.config, a.calls)
	}
}

// The write follows the config-set at once, before the wait for HA: a
// deploy killed while HA settles leaves the node persisted.
func TestRunWritesRightAfterSet(t *testing.T) {
	a := &fake{name: "a", config: cfg(r10)}
	if _, err := Run(context.Background(), targets(a), Options{}); err != nil {
		t.Fatal(err)
	}
	calls := strings.Join(a.calls, " ")
	if !strings.Contains(calls, "config-set config-write") {
		t.Errorf("calls: %s", calls)
	}
}

const r12 = `{"hw-address": "02:00:00:00:00:12", "ip-address": "192.0.2.12"}`

// Two deploys from two machines interleave: the other one (B) sets both
// nodes right after this one (A) set the standby. A must stop, name what
// happened, and leave B's config on both nodes, not roll the standby back
// to what A found there.
func TestRunInterleavedDeployIsLeftAlone(t *testing.T) {
	for _, v24 := range []bool{false, true} {
		theirs := cfg(r10 + "," + r12)
		a := &fake{name: "a", config: cfg(r10), v24: v24}
		b := &fake{name: "b", config: cfg(r10), v24: v24}
		b.afterSet = func(f *fake) { a.config, b.config = theirs, theirs; b.afterSet = nil }
		res, err := Run(context.Background(), targets(a, b), Options{})
		if err == nil || !strings.Contains(err.Error(), "changed since preflight") || !strings.Contains(err.Error(), "b runs a config this deploy neither set nor found") {
			t.Fatalf("2.4+ %v: err = %v", v24, err)
		}
		if string(a.config) != string(theirs) || string(b.config) != string(theirs) {
			t.Errorf("2.4+ %v: the other deploy's config was undone: a %s, b %s", v24, a.config, b.config)
		}
		if nb := res.Nodes[1]; nb.RolledBack || nb.Applied || !nb.Superseded {
			t.Errorf("2.4+ %v: standby result %+v", v24, nb)
		}
	}
}

// The other deploy comes in after this one set both nodes: verify sees it,
// this deploy fails (it does not leave the nodes on what it set) and
// touches neither.
func TestRunSupersededBeforeVerify(t *testing.T) {
	for _, v24 := range []bool{false, true} {
		theirs := cfg(r10 + "," + r12)
		a := &fake{name: "a", config: cfg(r10), v24: v24}
		b := &fake{name: "b", config: cfg(r10), v24: v24}
		a.afterSet = func(f *fake) { a.config, b.config = theirs, theirs; a.afterSet = nil }
		res, err := Run(context.Background(), targets(a, b), Options{})
		if err == nil || !strings.Contains(err.Error(), "another deploy or a hand change replaced it during the rollout") {
			t.Fatalf("2.4+ %v: err = %v", v24, err)
		}
		if string(a.config) != string(theirs) || string(b.config) != string(theirs) {
			t.Errorf("2.4+ %v: the other deploy's config was undone", v24)
		}
		for _, n := range res.Nodes {
			if n.RolledBack || !n.Superseded {
				t.Errorf("2.4+ %v: %+v", v24, n)
			}
		}
	}
}

func TestRunRefusesDrift(t *testing.T) {
	// A config recording a fingerprint that does not match its content.
	drifted := json.RawMessage(`{"user-context": {"keaops": {"fingerprint": "sha256:00", "render": "sha256:00"}}, "subnet4": []}`)
	a := &fake{name: "a", config: drifted}
	_, err := Run(context.Background(), targets(a), Options{})
	if err == nil || !strings.Contains(err.Error(), "changed outside keaops") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Run(context.Background(), targets(a), Options{Force: true}); err != nil {
		t.Errorf("--force: %v", err)
	}
}

// A hand change the site now holds too (keaops adopt wrote it there):
// the deploy has nothing to overwrite, so drift does not stop it, and it
// touches nothing.
func TestRunAdoptedDriftIsNotRefused(t *testing.T) {
	adopted := json.RawMessage(`{"user-context": {"keaops": {"fingerprint": "sha256:00", "render": "sha256:00"}}, "subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "reservations": [` + r10 + `]}]}`)
	a := &fake{name: "a", config: adopted}
	ts := targets(a)
	ts[0].Config = cfg(r10)
	res, err := Run(context.Background(), ts, Options{})
	if err != nil || res.Changed() || has(a.calls, "config-set") {
		t.Fatalf("err %v, changed %v, calls %v", err, res.Changed(), a.calls)
	}
}

func TestRunVerifiesHash(t *testing.T) {
	// 2.4+: matching hashes verify, in any case; the unchanged config is
	// seen by its hash alone.
	ok := &fake{name: "a", config: cfg(r10), v24: true}
	if _, err := Run(context.Background(), targets(ok), Options{}); err != nil {
		t.Fatalf("matching hash: %v, calls %v", err, ok.calls)
	}
	if got := strings.Join(ok.calls, " "); got != "version-get status-get config-get config-test config-hash-get config-set config-write status-get config-hash-get config-get" {
		t.Errorf("2.4+ calls: %s", got)
	}
	// A mismatch after config-set is a failed rollout; the node now runs
	// a config nobody in this rollout knows, and is left on it.
	bad := &fake{name: "a", config: cfg(r10), v24: true}
	bad.onGet = func(f *fake) {
		if f.getCount > 2 {
			f.getHash = "DEF"
		}
	}
	res, err := Run(context.Background(), targets(bad), Options{})
	if err == nil || !strings.Contains(err.Error(), "differs from the hash it had once this rollout changed it") || res.Nodes[0].RolledBack || !res.Nodes[0].Superseded {
		t.Fatalf("mismatch: %v %+v", err, res.Nodes[0])
	}
	// 2.2: no hash, no config-hash-get.
	old := &fake{name: "a", config: cfg(r10)}
	if _, err := Run(context.Background(), targets(old), Options{}); err != nil || has(old.calls, "config-hash-get") {
		t.Fatalf("2.2: %v, calls %v", err, old.calls)
	}
}

// SIGINT while HA settles is said to be an interruption, not a timeout.
func TestRunInterruptedIsSaidSo(t *testing.T) {
	a := &fake{name: "a", config: cfg(r10)} // reports no HA: never settles
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	res, err := Run(ctx, targets(a), Options{HA: true, Force: true, HATimeout: time.Second, Poll: 10 * time.Millisecond})
	if err == nil || !strings.HasPrefix(err.Error(), "a: interrupted while waiting for HA to return to normal (context canceled)") {
		t.Fatalf("err = %v", err)
	}
	if !res.Nodes[0].RolledBack {
		t.Errorf("not rolled back: %+v", res.Nodes[0])
	}
}

// A long HA wait says what it waits for, every 20 polls, instead of going
// silent for up to --ha-timeout.
func TestRunReportsALongHAWait(t *testing.T) {
	a := &fake{name: "a", config: cfg(r10)} // reports no HA: never settles
	var lines []string
	_, err := Run(context.Background(), targets(a), Options{HA: true, Force: true, HATimeout: time.Second, Poll: 10 * time.Millisecond,
		Progress: func(node, step string) {
			if strings.HasPrefix(step, "still waiting for HA") {
				lines = append(lines, node+": "+step)
			}
		}})
	if err == nil {
		t.Fatal("HA settled on a node that reports no HA")
	}
	// 1 s of waiting at one line per 200 ms.
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "a: still waiting for HA (0s of 1s): ") {
		t.Errorf("progress while waiting:\n%s", strings.Join(lines, "\n"))
	}
	t.Logf("%s", lines[0])
}

// Kea restarted by someone during the rollout: said so, not "does not run
// the rendered config".
func TestRunNamesARestart(t *testing.T) {
	a := &fake{name: "a", config: cfg(r10)}
	a.afterSet = func(f *fake) { f.pid = 43 }
	_, err := Run(context.Background(), targets(a), Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "a: its Kea restarted during the rollout (pid 42 → 43)") {
		t.Fatalf("err = %v", err)
	}
}
