package keatest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Kea is one Kea installation the tests can run: a Debian root filesystem
// built by scripts/kea-rootfs.sh (2.2 from bookworm, 2.6 from trixie, 3.0
// from forky), run with chroot inside a private mount namespace that binds
// the machine's temporary directory at the same path, so a test's files
// have one name inside and out. The machine's own Kea is never used:
// installed or not, it is left as it is.
type Kea struct {
	// Line is the minor line a site targets: "2.2", "2.6", "3.0".
	Line string
	// Version is what kea-dhcp4 -v says: "2.6.3".
	Version string
	// Root is the root filesystem.
	Root string
}

func (k Kea) String() string { return "Kea " + k.Version }

// rootfsSuites are the root filesystems and the lines they hold.
var rootfsSuites = []struct{ line, suite string }{{"2.2", "bookworm"}, {"2.6", "trixie"}, {"3.0", "forky"}}

// RootfsDir is where scripts/kea-rootfs.sh keeps them.
func RootfsDir() string {
	if d := os.Getenv("KEAOPS_CACHE"); d != "" {
		return filepath.Join(d, "rootfs")
	}
	return "/var/cache/keaops/rootfs"
}

// Host is the tests' default Kea, 2.2 (the line the project began on); the
// test fails without it (the README's test command builds it).
func Host(t testing.TB) Kea {
	t.Helper()
	k, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func lineOf(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + parts[1]
}

// Versions are every Kea the tests can run here, oldest first. A version
// whose root filesystem is missing is skipped with the reason printed —
// and under CI (CI set) that is a failure: CI must run all three.
func Versions(t testing.TB) []Kea {
	t.Helper()
	out := []Kea{Host(t)}
	for _, s := range rootfsSuites[1:] {
		k, err := rootfs(s.line, s.suite)
		if err != nil {
			msg := "Kea " + s.line + " not tested: " + err.Error()
			if os.Getenv("CI") != "" {
				t.Errorf("%s; under CI every version must run", msg)
			} else {
				t.Log(msg)
			}
			continue
		}
		out = append(out, k)
	}
	for _, k := range out {
		t.Logf("testing against %s in %s", k, k.Root)
	}
	return out
}

// rootfs is the Kea a built root filesystem holds.
func rootfs(line, suite string) (Kea, error) {
	root := filepath.Join(RootfsDir(), suite)
	v, err := os.ReadFile(filepath.Join(root, ".keaops-kea-version"))
	if _, rerr := os.Stat(filepath.Join(root, ".keaops-ready")); err != nil || rerr != nil {
		return Kea{}, fmt.Errorf("no root filesystem at %s (make setup builds it: scripts/kea-rootfs.sh %s)", root, line)
	}
	k := Kea{Line: line, Version: string(bytes.TrimSpace(v)), Root: root}
	if got := lineOf(k.Version); got != line {
		return Kea{}, fmt.Errorf("%s holds Kea %s, not %s", root, k.Version, line)
	}
	return k, nil
}

// Command runs one of this installation's programs, inside network
// namespace ns when ns is not "". The process is the program itself (each
// wrapper execs the next), so its PID is the daemon's.
func (k Kea) Command(ns, bin string, args ...string) *exec.Cmd {
	var argv []string
	if ns != "" {
		argv = append(argv, "ip", "netns", "exec", ns)
	}
	if k.Root != "" {
		// A private mount namespace: the binds vanish with the process.
		// chroot starts in /; the program starts in the directory it was
		// given (cmd.Dir) when that is visible inside, as it would
		// outside: Kea resolves <?include?> from there.
		tmp := os.TempDir()
		script := `mkdir -p "$0$1" && mount --rbind "$1" "$0$1" && mount -t proc proc "$0/proc" && mount --rbind /dev "$0/dev" && wd=$(pwd) && shift && ` +
			`exec chroot "$0" /bin/sh -c 'cd "$0" 2>/dev/null; exec "$@"' "$wd" "$@"`
		argv = append(argv, "unshare", "-m", "sh", "-c", script, k.Root, tmp)
	}
	argv = append(argv, bin)
	argv = append(argv, args...)
	return exec.Command(argv[0], argv[1:]...)
}

// For returns the installation of a Kea line ("2.6"): the one a site
// targeting that line runs on.
func For(t testing.TB, line string) Kea {
	t.Helper()
	for _, s := range rootfsSuites {
		if s.line == line {
			k, err := rootfs(s.line, s.suite)
			if err != nil {
				t.Fatalf("no Kea %s here: %v", line, err)
			}
			return k
		}
	}
	t.Fatalf("no Kea %s here", line)
	return Kea{}
}

// DebianDirs are the directories Debian's units give Kea, each bound from a
// test directory: /etc/kea, /run/kea, /var/lib/kea, /var/log/kea.
type DebianDirs struct{ Etc, Run, Lib, Log string }

// ServiceUser is the uid and gid of _kea in this installation's root
// filesystem (they differ between Debian releases).
func (k Kea) ServiceUser(t testing.TB) (uid, gid int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(k.Root, "etc/passwd"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Split(l, ":")
		if len(f) > 3 && f[0] == "_kea" {
			u, _ := strconv.Atoi(f[2])
			g, _ := strconv.Atoi(f[3])
			return u, g
		}
	}
	t.Fatalf("no _kea user in %s", k.Root)
	return 0, 0
}

// StartDebian starts kea-dhcp4 as Debian's unit does — as _kea, from
// /etc/kea/kea-dhcp4.conf, with its sockets, leases and logs in /run/kea,
// /var/lib/kea and /var/log/kea — inside this root filesystem, with the
// test's directories bound over those (in a private mount namespace, so
// the root filesystem itself is untouched). Only for root filesystems:
// the machine's own Kea directories are never used by the tests.
func (k Kea) StartDebian(t testing.TB, d DebianDirs) *Node {
	t.Helper()
	script := `set -e; r=$0; mount --bind "$1" "$r/etc/kea"; mount --bind "$2" "$r/run/kea"; mount --bind "$3" "$r/var/lib/kea"; mount --bind "$4" "$r/var/log/kea"; ` +
		`mount -t proc proc "$r/proc"; mount --rbind /dev "$r/dev"; exec chroot --userspec=_kea:_kea "$r" /usr/sbin/kea-dhcp4 -c /etc/kea/kea-dhcp4.conf`
	cmd := exec.Command("unshare", "-m", "sh", "-c", script, k.Root, d.Etc, d.Run, d.Lib, d.Log)
	cmd.Env = append(os.Environ(), "KEA_LOCKFILE_DIR=/run/kea", "KEA_PIDFILE_DIR=/run/kea")
	p := &proc{name: "kea-dhcp4", cmd: cmd, exited: make(chan struct{}), log: filepath.Join(t.TempDir(), "kea-dhcp4.out")}
	out, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); out.Close(); close(p.exited) }()
	t.Cleanup(p.stop)
	waitFile(d.Run, 5*time.Second)
	return &Node{URL: "unix://" + filepath.Join(d.Run, "kea4-ctrl-socket"), procs: []*proc{p}}
}

// Hooks lists the hook libraries this installation ships.
func (k Kea) Hooks(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(k.Root, "/usr/lib/x86_64-linux-gnu/kea/hooks"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}
