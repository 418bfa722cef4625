package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/keaops/keaops/internal/agent"
	"github.com/keaops/keaops/internal/keatest"
)

func rssKB(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmRSS:"))
		}
	}
	return "?"
}

func getStatus(url string) (agent.Status, error) {
	var st agent.Status
	resp, err := http.Get(url + "/status")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	err = json.NewDecoder(resp.Body).Decode(&st)
	return st, err
}

// TestAgentBinary runs the real keaops-agent binary: it applies a render
// from a directory, reloads its configuration on SIGHUP and stops cleanly
// on SIGTERM.
func TestAgentBinary(t *testing.T) {
	versions := keatest.Versions(t)
	bin := filepath.Join(t.TempDir(), "keaops-agent")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/keaops-agent").CombinedOutput(); err != nil {
		t.Fatalf("building keaops-agent: %v\n%s", err, out)
	}
	for _, k := range versions {
		t.Run(k.Line, func(t *testing.T) { agentBinary(t, k, bin) })
	}
}

func agentBinary(t *testing.T, k keatest.Kea, bin string) {
	site, dirs := liveSite(t, k, "reservations:\n  - {hostname: printer-3, hw-address: \"02:42:ac:11:00:07\", ip-address: 10.30.30.57}\n")
	kea := startRendered(t, site, map[string]keatest.Dirs{"kea-solo": dirs})["kea-solo"]
	appendReservation(t, site, "  - {hostname: printer-4, hw-address: \"02:42:ac:11:00:08\", ip-address: 10.30.30.58}\n")
	rendered := filepath.Join(t.TempDir(), "rendered")
	if code, out := run(t, "render", "-s", site, "-o", rendered); code != ExitOK {
		t.Fatalf("render: %s", out)
	}

	port := keatest.FreePort(t)
	cfgPath := filepath.Join(t.TempDir(), "agent.yaml")
	writeCfg := func(port int) {
		os.WriteFile(cfgPath, []byte(fmt.Sprintf(`node: kea-solo
source: {dir: %s}
kea: {control: "unix://%s", config-file: %s}
interval: 1s
listen: 127.0.0.1:%d
`, rendered, filepath.Join(dirs.Run, "kea4-ctrl.sock"), filepath.Join(dirs.Root, "kea-dhcp4.json"), port)), 0o600)
	}
	writeCfg(port)
	var logs lockedBuffer // the process writes while a failing wait reads
	cmd := exec.Command(bin, "-config", cfgPath)
	cmd.Env = append(os.Environ(), "KEAOPS_TEST_PASSWORD="+livePassword)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// exited is closed once the process is waited for, so both the SIGTERM
	// check and the cleanup can wait on it.
	exited := make(chan struct{})
	var exitErr error
	go func() { exitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	wait := func(what string, cond func(agent.Status) bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if st, err := getStatus(url); err == nil && cond(st) {
				return
			}
		}
		t.Fatalf("%s: not within 20s\n%s", what, logs.String())
	}
	wait("applied", func(s agent.Status) bool { return s.Ready && s.LastAppliedRevision != "" })
	if code, out := run(t, "diff", "-s", site, "--exit-code"); code != ExitOK {
		t.Errorf("the agent did not bring the node to the render: exit %d\n%s", code, out)
	}
	time.Sleep(2 * time.Second)
	t.Logf("keaops-agent RSS after applying and idling: %s", rssKB(cmd.Process.Pid))

	// A frozen kea-dhcp4 is not ready, whatever the last pass found.
	if err := kea.SignalDHCP(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	wait("not ready while kea-dhcp4 is frozen", func(s agent.Status) bool { return !s.Ready && !s.KeaResponding })
	kea.SignalDHCP(syscall.SIGCONT)
	wait("ready again once it answers", func(s agent.Status) bool { return s.Ready && s.KeaResponding })

	// SIGHUP: the new configuration (another listen address) takes effect.
	port2 := keatest.FreePort(t)
	writeCfg(port2)
	cmd.Process.Signal(syscall.SIGHUP)
	url = fmt.Sprintf("http://127.0.0.1:%d", port2)
	wait("serving on the reloaded address", func(s agent.Status) bool { return s.Ready })

	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		if exitErr != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", exitErr, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("no exit 15 s after SIGTERM\n%s", logs.String())
	}
	for _, want := range []string{`"msg":"SIGHUP: reloading the configuration"`, `"msg":"stopped"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs.String())
		}
	}
}

// lockedBuffer is a bytes.Buffer that a process's output can be copied
// into while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
