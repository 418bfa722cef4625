// Package keatest runs real Kea processes for tests: kea-dhcp4 -t checks,
// and kea-dhcp4 + kea-ctrl-agent nodes on 127.0.0.1 in a test's temporary
// directory, stopped by PID when the test ends. It talks to them through a
// deliberately small client of its own, so tests of keaops' real control
// client do not test it against itself.
package keatest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Require fails the test when the tests' Kea 2.2 (Debian bookworm's, in
// its root filesystem) is missing: the README's test command builds it,
// so its absence is a broken setup, not a reason to skip.
func Require(t testing.TB) {
	t.Helper()
	if _, err := Default(); err != nil {
		t.Fatal(err)
	}
}

// Default is the Kea the tests run when no version is asked for: 2.2,
// from Debian bookworm's root filesystem. The machine's own Kea, installed
// or not, is never used.
func Default() (Kea, error) { return rootfs("2.2", "bookworm") }

// CheckConfig runs the default Kea's kea-dhcp4 -t on a file and returns
// Kea's output on failure.
func CheckConfig(ctx context.Context, path string) error {
	k, err := Default()
	if err != nil {
		return err
	}
	return k.checkWith(ctx, "kea-dhcp4", path)
}

// CheckAgentConfig runs the default Kea's kea-ctrl-agent -t on a file.
func CheckAgentConfig(ctx context.Context, path string) error {
	k, err := Default()
	if err != nil {
		return err
	}
	return k.checkWith(ctx, "kea-ctrl-agent", path)
}

// CheckConfig runs this installation's kea-dhcp4 -t.
func (k Kea) CheckConfig(ctx context.Context, path string) error {
	return k.checkWith(ctx, "kea-dhcp4", path)
}

// CheckAgentConfig runs this installation's kea-ctrl-agent -t.
func (k Kea) CheckAgentConfig(ctx context.Context, path string) error {
	return k.checkWith(ctx, "kea-ctrl-agent", path)
}

// CheckD2Config runs this installation's kea-dhcp-ddns -t.
func (k Kea) CheckD2Config(ctx context.Context, path string) error {
	return k.checkWith(ctx, "kea-dhcp-ddns", path)
}

func (k Kea) checkWith(ctx context.Context, bin, path string) error {
	c := k.Command("", bin, "-t", path)
	cmd := exec.CommandContext(ctx, c.Path, c.Args[1:]...)
	cmd.Env = append(os.Environ(), "KEA_LOCKFILE_DIR=none")
	out, err := cmd.CombinedOutput()
	if err != nil {
		var lines []string
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, "ERROR") || strings.Contains(l, "FATAL") {
				lines = append(lines, l)
			}
		}
		if len(lines) == 0 { // e.g. "Syntax check failed with: ..."
			lines = []string{strings.TrimSpace(string(out))}
		}
		return fmt.Errorf("%s -t %s: %v: %s", bin, path, err, strings.Join(lines, "\n"))
	}
	return nil
}

// handedOut are the ports FreePort returned in this test process: tests
// that run in parallel each start Kea on ports they chose a moment before,
// and the kernel may offer one port to two of them in between.
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago and
// that no other caller in this process was given.
func FreePort(t testing.TB) int {
	t.Helper()
	handedOut.Lock()
	defer handedOut.Unlock()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !handedOut.ports[port] {
			handedOut.ports[port] = true
			return port
		}
	}
	t.Fatal("no port that was not handed out before in 100 tries")
	return 0
}

// Dirs are a node's runtime directories inside its test directory.
type Dirs struct{ Root, Run, Lib, Log string }

// Env is the environment Kea's daemons run with for these directories.
func (d Dirs) Env() []string {
	return []string{"KEA_PIDFILE_DIR=" + d.Run, "KEA_LOCKFILE_DIR=" + d.Run,
		"KEA_CONTROL_SOCKET_DIR=" + d.Run, "KEA_DHCP_DATA_DIR=" + d.Lib, "KEA_LOG_FILE_DIR=" + d.Log}
}

// KeaEnv is the kea-env a site declares for a node using these directories.
func (d Dirs) KeaEnv() string {
	return "{KEA_CONTROL_SOCKET_DIR: " + d.Run + ", KEA_DHCP_DATA_DIR: " + d.Lib + ", KEA_LOG_FILE_DIR: " + d.Log + "}"
}

// NewDirs creates run/, lib/ and log/ under root. The socket directory gets
// mode 0750, which Kea 2.4.2+ requires.
func NewDirs(t testing.TB, root string) Dirs {
	t.Helper()
	d := Dirs{Root: root, Run: filepath.Join(root, "run"), Lib: filepath.Join(root, "lib"), Log: filepath.Join(root, "log")}
	for _, p := range []string{d.Run, d.Lib, d.Log} {
		if err := os.MkdirAll(p, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// Node is a running kea-dhcp4 with its Control Agent.
type Node struct {
	Dirs     Dirs
	URL      string // the Control Agent
	User     string
	Password string
	procs    []*proc
}

type proc struct {
	name string
	cmd  *exec.Cmd
	// exited is closed when the process has been waited for: stop may be
	// called any number of times (a cleanup, a restart).
	exited chan struct{}
	log    string
}

// Start writes the two configs into dirs.Root and starts both daemons. Both
// are stopped (SIGTERM, then SIGKILL after 5 s) when the test ends.
func Start(t testing.TB, dirs Dirs, dhcp4, agent []byte, caURL, user, password string) *Node {
	t.Helper()
	return StartIn(t, "", dirs, dhcp4, agent, caURL, user, password)
}

// StartIn is Start inside network namespace ns ("" for this one). caURL
// may be a unix:// socket path, for daemons whose HTTP listeners are inside
// a namespace the test process cannot reach.
func StartIn(t testing.TB, ns string, dirs Dirs, dhcp4, agent []byte, caURL, user, password string) *Node {
	t.Helper()
	return Host(t).StartIn(t, ns, dirs, dhcp4, agent, caURL, user, password)
}

// Start is Start for this installation.
func (k Kea) Start(t testing.TB, dirs Dirs, dhcp4, agent []byte, caURL, user, password string) *Node {
	t.Helper()
	return k.StartIn(t, "", dirs, dhcp4, agent, caURL, user, password)
}

// StartIn is StartIn for this installation. The daemons run with the
// KEA_*_DIR variables pointing at dirs, so 2.4.2+'s path rules accept the
// test's files (sites declare the same directories under kea-env).
func (k Kea) StartIn(t testing.TB, ns string, dirs Dirs, dhcp4, agent []byte, caURL, user, password string) *Node {
	t.Helper()
	n := &Node{Dirs: dirs, URL: caURL, User: user, Password: password}
	for _, f := range []struct {
		bin, file string
		data      []byte
	}{{"kea-dhcp4", "kea-dhcp4.json", dhcp4}, {"kea-ctrl-agent", "kea-ctrl-agent.json", agent}} {
		if f.data == nil {
			continue // kea-dhcp4 alone, reached on its unix socket
		}
		cfg := filepath.Join(dirs.Root, f.file)
		if err := os.WriteFile(cfg, f.data, 0o600); err != nil {
			t.Fatal(err)
		}
		p := &proc{name: f.bin, exited: make(chan struct{}), log: filepath.Join(dirs.Log, f.bin+".out")}
		out, err := os.Create(p.log)
		if err != nil {
			t.Fatal(err)
		}
		p.cmd = k.Command(ns, f.bin, "-c", cfg)
		p.cmd.Dir = dirs.Root
		p.cmd.Env = append(os.Environ(), dirs.Env()...)
		p.cmd.Stdout, p.cmd.Stderr = out, out
		if err := p.cmd.Start(); err != nil {
			out.Close()
			t.Fatalf("starting %s: %v", f.bin, err)
		}
		go func() { _ = p.cmd.Wait(); out.Close(); close(p.exited) }()
		n.procs = append(n.procs, p)
		t.Cleanup(func() { p.stop() })
		if f.bin == "kea-dhcp4" {
			// The agent connects to the daemon's socket; give it a moment
			// to exist so the first commands do not race it.
			waitFile(filepath.Join(dirs.Run), 2*time.Second)
		}
	}
	return n
}

func waitFile(dir string, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *proc) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// SignalDHCP sends sig to the node's kea-dhcp4 (SIGSTOP freezes it).
func (n *Node) SignalDHCP(sig os.Signal) error { return n.procs[0].cmd.Process.Signal(sig) }

// RestartDHCP stops kea-dhcp4 and starts it again from its -c file, as a
// crash and a service restart would.
func (n *Node) RestartDHCP(t testing.TB) {
	t.Helper()
	n.procs[0].stop()
	n.startAgain(t, 0)
}

// Down stops every daemon of the node, as a machine that went away.
func (n *Node) Down() {
	for _, p := range n.procs {
		p.stop()
	}
}

// Up starts a node that is Down again, each daemon from its -c file.
func (n *Node) Up(t testing.TB) {
	t.Helper()
	for i := range n.procs {
		n.startAgain(t, i)
		if i == 0 {
			waitFile(n.Dirs.Run, 2*time.Second)
		}
	}
}

func (n *Node) startAgain(t testing.TB, i int) {
	t.Helper()
	old := n.procs[i]
	p := &proc{name: old.name, exited: make(chan struct{}), log: old.log}
	out, err := os.OpenFile(p.log, os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(old.cmd.Path, old.cmd.Args[1:]...)
	p.cmd.Dir, p.cmd.Env = old.cmd.Dir, old.cmd.Env
	p.cmd.Stdout, p.cmd.Stderr = out, out
	if err := p.cmd.Start(); err != nil {
		out.Close()
		t.Fatalf("restarting %s: %v", p.name, err)
	}
	go func() { _ = p.cmd.Wait(); out.Close(); close(p.exited) }()
	n.procs[i] = p
	t.Cleanup(func() { p.stop() })
}

// Logs returns the output of the node's daemons, for failure messages.
func (n *Node) Logs() string {
	var b strings.Builder
	for _, p := range n.procs {
		data, _ := os.ReadFile(p.log)
		if len(data) > 4000 {
			data = data[len(data)-4000:]
		}
		fmt.Fprintf(&b, "--- %s (tail)\n%s\n", p.name, data)
	}
	return b.String()
}

// Answer is one element of a Control Agent response.
type Answer struct {
	Result    int             `json:"result"`
	Text      string          `json:"text"`
	Arguments json.RawMessage `json:"arguments"`
}

// Command sends a command for dhcp4 through the Control Agent, or the unix
// socket when the node's URL is unix://.
func (n *Node) Command(ctx context.Context, command string, args any) (Answer, error) {
	if _, ok := ctx.Deadline(); !ok {
		// Kea answers in seconds or not at all; a test must not hang on it.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
	}
	body := map[string]any{"command": command, "service": []string{"dhcp4"}}
	if args != nil {
		body["arguments"] = args
	}
	data, _ := json.Marshal(body)
	if sock, ok := strings.CutPrefix(n.URL, "unix://"); ok {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "unix", sock)
		if err != nil {
			return Answer{}, err
		}
		defer conn.Close()
		if dl, ok := ctx.Deadline(); ok {
			conn.SetDeadline(dl)
		}
		if _, err := conn.Write(data); err != nil {
			return Answer{}, err
		}
		raw, err := io.ReadAll(io.LimitReader(conn, 64<<20))
		if err != nil {
			return Answer{}, err
		}
		var a Answer
		if err := json.Unmarshal(raw, &a); err != nil {
			return Answer{}, fmt.Errorf("%s: %s", command, raw)
		}
		return a, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.URL, bytes.NewReader(data))
	if err != nil {
		return Answer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if n.User != "" {
		req.SetBasicAuth(n.User, n.Password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Answer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return Answer{}, err
	}
	var list []Answer
	if err := json.Unmarshal(raw, &list); err != nil || len(list) == 0 {
		return Answer{}, fmt.Errorf("%s: HTTP %d: %s", command, resp.StatusCode, raw)
	}
	return list[0], nil
}

// HAState is a node's view of itself in its HA relationship.
type HAState struct {
	State  string
	Scopes []string
}

// HA returns the local HA state and scopes from status-get.
func (n *Node) HA(ctx context.Context) (HAState, error) {
	a, err := n.Command(ctx, "status-get", nil)
	if err != nil {
		return HAState{}, err
	}
	if a.Result != 0 {
		return HAState{}, fmt.Errorf("status-get: %d %s", a.Result, a.Text)
	}
	var st struct {
		HA []struct {
			Servers struct {
				Local struct {
					State  string   `json:"state"`
					Scopes []string `json:"scopes"`
				} `json:"local"`
			} `json:"ha-servers"`
		} `json:"high-availability"`
	}
	if err := json.Unmarshal(a.Arguments, &st); err != nil {
		return HAState{}, err
	}
	if len(st.HA) == 0 {
		return HAState{}, errors.New("status-get has no high-availability section")
	}
	l := st.HA[0].Servers.Local
	return HAState{State: l.State, Scopes: l.Scopes}, nil
}

// Eventually polls fn every interval until it returns true, an error that
// is not worth retrying, or ctx ends.
func Eventually(ctx context.Context, interval time.Duration, fn func() (bool, error)) error {
	var last error
	for {
		ok, err := fn()
		if ok {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), last)
		case <-time.After(interval):
		}
	}
}

// SingleNode starts one kea-dhcp4 (no HA, no DHCP interfaces, one subnet)
// with a Control Agent on caPort, with basic auth user/password, and
// returns it. Its unix socket is Dirs.Run/kea4-ctrl.sock.
func SingleNode(t testing.TB, caPort int, user, password string) *Node {
	t.Helper()
	d := NewDirs(t, t.TempDir())
	sock := filepath.Join(d.Run, "kea4-ctrl.sock")
	dhcp4 := fmt.Sprintf(`{"Dhcp4": {
  "interfaces-config": {"interfaces": []},
  "control-socket": {"socket-type": "unix", "socket-name": %q},
  "lease-database": {"type": "memfile", "persist": true, "name": %q},
  "valid-lifetime": 600,
  "subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}],
    "reservations": [{"hw-address": "02:00:00:00:00:10", "ip-address": "192.0.2.10", "hostname": "resv10"}]}],
  "loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output_options": [{"output": %q}]}]
}}`, sock, filepath.Join(d.Lib, "leases.csv"), filepath.Join(d.Log, "kea-dhcp4.log"))
	agent := fmt.Sprintf(`{"Control-agent": {
  "http-host": "127.0.0.1", "http-port": %d,
  "authentication": {"type": "basic", "realm": "keatest", "clients": [{"user": %q, "password": %q}]},
  "control-sockets": {"dhcp4": {"socket-type": "unix", "socket-name": %q}},
  "loggers": [{"name": "kea-ctrl-agent", "severity": "INFO", "output_options": [{"output": %q}]}]
}}`, caPort, user, password, sock, filepath.Join(d.Log, "kea-ctrl-agent.log"))
	n := Start(t, d, []byte(dhcp4), []byte(agent), fmt.Sprintf("http://127.0.0.1:%d/", caPort), user, password)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := Eventually(ctx, 50*time.Millisecond, func() (bool, error) {
		a, err := n.Command(ctx, "version-get", nil)
		return err == nil && a.Result == 0, err
	})
	if err != nil {
		t.Fatalf("Kea did not answer: %v\n%s", err, n.Logs())
	}
	return n
}
