package scripts

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keaops/keaops/internal/keaapi"
	"github.com/keaops/keaops/internal/keatest"
)

// TestExampleLeavesTheMachinesKeaAsFound runs the README's first command
// (scripts/demo.sh, what make example runs) on a machine whose own Kea
// service is running — a stand-in kea-dhcp4 started first — and finds it
// as it was: the same process answering, the same packages, units and
// enablement links, the same files in Kea's directories, no Kea process
// left behind; and nothing called that changes a service or a package.
func TestExampleLeavesTheMachinesKeaAsFound(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("the demo runs Kea with chroot, which needs root")
	}
	root := filepath.Join(keatest.RootfsDir(), "bookworm")
	if _, err := os.Stat(filepath.Join(root, ".keaops-ready")); err != nil {
		t.Fatalf("no Kea 2.2 root filesystem at %s: make setup builds it (scripts/kea-rootfs.sh 2.2)", root)
	}
	bin := filepath.Join(t.TempDir(), "keaops")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/keaops").CombinedOutput(); err != nil {
		t.Fatalf("building keaops: %v\n%s", err, out)
	}

	standIn, sock := startStandIn(t, root)
	before := machineKea(t)
	if !slices.Contains(before.pids, standIn.Process.Pid) {
		t.Fatalf("the stand-in (pid %d) is not among the Kea processes %v", standIn.Process.Pid, before.pids)
	}

	// Anything that would change a service or a package is recorded, and
	// fails: the demo has no business calling it.
	shims, calls := t.TempDir(), filepath.Join(t.TempDir(), "calls")
	for _, name := range []string{"systemctl", "service", "invoke-rc.d", "apt-get", "apt", "dpkg", "pkill", "killall", "kea-dhcp4", "kea-ctrl-agent"} {
		script := fmt.Sprintf("#!/bin/sh\necho \"%s $*\" >>%s\nexit 1\n", name, calls)
		if err := os.WriteFile(filepath.Join(shims, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	demo := exec.CommandContext(ctx, "bash", "scripts/demo.sh")
	demo.Dir = ".."
	demo.Env = append(os.Environ(), "PATH="+shims+":"+os.Getenv("PATH"), "KEAOPS="+bin, "KEA_VERSION=2.2")
	out, err := demo.CombinedOutput()
	if err != nil {
		t.Fatalf("the demo failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "== keaops deploy again (nothing to do") {
		t.Errorf("the demo did not run to its end:\n%s", out)
	}
	if b, _ := os.ReadFile(calls); len(b) > 0 {
		t.Errorf("the demo called what changes services or packages:\n%s", b)
	}

	after := machineKea(t)
	if d := before.differences(after); len(d) > 0 {
		t.Errorf("the machine's Kea changed:\n%s", strings.Join(d, "\n"))
	}
	api, err := keaapi.New(keaapi.Endpoint{URL: "unix://" + sock, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.Version(ctx); err != nil {
		t.Errorf("the stand-in (pid %d) no longer answers: %v", standIn.Process.Pid, err)
	}
}

// startStandIn starts a kea-dhcp4 playing the machine's service: Debian's
// 2.2, with a configuration and control socket of its own.
func startStandIn(t *testing.T, root string) (*exec.Cmd, string) {
	t.Helper()
	dir := t.TempDir()
	sock := filepath.Join(dir, "kea4-ctrl-socket")
	cfg := filepath.Join(dir, "kea-dhcp4.conf")
	os.WriteFile(cfg, []byte(`{"Dhcp4": {"interfaces-config": {"interfaces": []},
  "control-socket": {"socket-type": "unix", "socket-name": "`+sock+`"},
  "lease-database": {"type": "memfile", "persist": false},
  "subnet4": [{"id": 1, "subnet": "192.0.2.0/24"}]}}`), 0o644)
	tmp := os.TempDir()
	cmd := exec.Command("unshare", "-m", "sh", "-c",
		`mount --rbind "$1" "$0$1" && mount -t proc proc "$0/proc" && shift && exec chroot "$0" "$@"`,
		root, tmp, "kea-dhcp4", "-c", cfg)
	cmd.Env = append(os.Environ(), "KEA_PIDFILE_DIR="+dir, "KEA_LOCKFILE_DIR="+dir)
	log := filepath.Join(dir, "out")
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); f.Close(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	for range 100 {
		if _, err := os.Stat(sock); err == nil {
			return cmd, sock
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, _ := os.ReadFile(log)
	t.Fatalf("the stand-in did not start:\n%s", b)
	return nil, ""
}

// keaState is what the machine's Kea is: its processes, its packages, and
// every file of its directories and units.
type keaState struct {
	pids     []int
	packages string
	files    map[string]string
}

func machineKea(t *testing.T) keaState {
	t.Helper()
	s := keaState{files: map[string]string{}}
	procs, _ := filepath.Glob("/proc/[0-9]*/comm")
	for _, p := range procs {
		comm, err := os.ReadFile(p)
		if err == nil && strings.HasPrefix(string(comm), "kea-") {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			s.pids = append(s.pids, pid)
		}
	}
	slices.Sort(s.pids)
	out, _ := exec.Command("dpkg-query", "-W", "-f", "${Package} ${Version} ${db:Status-Abbrev}\n", "kea*").Output()
	s.packages = string(out)
	for _, dir := range []string{"/etc/kea", "/var/lib/kea", "/run/kea", "/var/log/kea", "/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system", "/etc/init.d"} {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if strings.HasPrefix(dir, "/etc/kea") || strings.HasPrefix(dir, "/var/") || strings.HasPrefix(dir, "/run/") || strings.Contains(d.Name(), "kea") {
				s.files[p] = describe(p, d)
			}
			return nil
		})
	}
	return s
}

// describe is a file's mode, owner and content (or link target).
func describe(p string, d fs.DirEntry) string {
	info, err := os.Lstat(p)
	if err != nil {
		return "unreadable"
	}
	st := info.Sys().(*syscall.Stat_t)
	head := fmt.Sprintf("%v %d:%d", info.Mode(), st.Uid, st.Gid)
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		target, _ := os.Readlink(p)
		return head + " → " + target
	case d.IsDir():
		return head
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return head + " unreadable"
	}
	return fmt.Sprintf("%s %x", head, sha256.Sum256(b))
}

func (s keaState) differences(o keaState) []string {
	var out []string
	if !slices.Equal(s.pids, o.pids) {
		out = append(out, fmt.Sprintf("Kea processes: %v before, %v after", s.pids, o.pids))
	}
	if s.packages != o.packages {
		out = append(out, fmt.Sprintf("packages:\n%s\nthen:\n%s", s.packages, o.packages))
	}
	for p, v := range s.files {
		if w, ok := o.files[p]; !ok {
			out = append(out, "removed: "+p)
		} else if w != v {
			out = append(out, fmt.Sprintf("changed: %s (%s → %s)", p, v, w))
		}
	}
	for p := range o.files {
		if _, ok := s.files[p]; !ok {
			out = append(out, "added: "+p)
		}
	}
	slices.Sort(out)
	return out
}
