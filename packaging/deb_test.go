package packaging

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keaops/keaops/internal/keaapi"
	"github.com/keaops/keaops/internal/keatest"
)

// TestDebInstallRunRemove installs the release build's keaops and
// keaops-agent .debs into a copy of Debian trixie's root filesystem (with
// its Kea 2.6), never the machine itself; has the packaged keaops render
// and install a node's config, Kea run it as Debian's unit does, and the
// agent's unit's ExecStart — as the unit's user, with only the unit's
// capabilities — apply a new revision; then purges both and finds the
// root filesystem as it was.
func TestDebInstallRunRemove(t *testing.T) {
	cliDeb, agentDeb := debs(t)
	k := keatest.For(t, "2.6")
	root := filepath.Join(t.TempDir(), "trixie")
	if out, err := exec.Command("cp", "-a", k.Root, root).CombinedOutput(); err != nil {
		t.Fatalf("copying %s: %v\n%s", k.Root, err, out)
	}
	before := tree(t, root)
	r := chroot{root: root, env: []string{"KEA_API_PASSWORD=" + password}}
	for _, deb := range []string{cliDeb, agentDeb} {
		copyFile(t, deb, filepath.Join(root, "tmp", filepath.Base(deb)))
	}
	r.must(t, "dpkg", "-i", "/tmp/"+filepath.Base(cliDeb), "/tmp/"+filepath.Base(agentDeb))

	t.Run("installed", func(t *testing.T) {
		if groups := r.must(t, "id", "-nG", "keaops"); !slices.Contains(strings.Fields(groups), "_kea") {
			t.Errorf("keaops is in %q, not in Kea's group _kea", groups)
		}
		for path, want := range map[string]string{
			"/usr/bin/keaops":                                  "755 root:root",
			"/usr/bin/keaops-agent":                            "755 root:root",
			"/etc/keaops":                                      "750 root:keaops",
			"/etc/keaops/agent.yaml":                           "640 root:keaops",
			"/usr/lib/systemd/system/keaops-agent.service":     "644 root:root",
			"/usr/share/man/man1/keaops-deploy.1":              "644 root:root",
			"/usr/share/man/man8/keaops-agent.8":               "644 root:root",
			"/usr/share/bash-completion/completions/keaops":    "644 root:root",
			"/usr/share/zsh/vendor-completions/_keaops":        "644 root:root",
			"/usr/share/fish/vendor_completions.d/keaops.fish": "644 root:root",
		} {
			if got := strings.TrimSpace(r.must(t, "stat", "-c", "%a %U:%G", path)); got != want {
				t.Errorf("%s: %s, want %s", path, got, want)
			}
		}
		if v := r.must(t, "keaops", "--version"); !strings.Contains(v, strings.Split(filepath.Base(cliDeb), "_")[1]) {
			t.Errorf("keaops --version: %s (package %s)", v, filepath.Base(cliDeb))
		}
	})

	unit := readUnit(t, filepath.Join(root, "usr/lib/systemd/system/keaops-agent.service"))
	t.Run("the unit's exposure", func(t *testing.T) {
		for _, u := range []string{"keaops-agent.service", "keaops-agent-prepare.service"} {
			score := exposure(t, filepath.Join(root, "usr/lib/systemd/system", u))
			t.Logf("systemd-analyze security %s: %.1f", u, score)
			if score > 4.0 {
				t.Errorf("%s: exposure %.1f, want 4.0 or better", u, score)
			}
		}
	})

	// A node as Debian's kea-dhcp4-server runs it: the packaged keaops
	// writes /etc/kea/kea-dhcp4.conf, Kea runs it as _kea with /run/kea
	// its RuntimeDirectory.
	site := filepath.Join(root, "srv/site")
	writeSite(t, site)
	r.must(t, "keaops", "render", "-s", "/srv/site/keaops.yaml", "-o", "/srv/rendered-1")
	r.must(t, "keaops", "install-config", "--from", "/srv/rendered-1", "--node", "kea-solo")
	for _, d := range []string{"run/kea", "var/lib/kea", "var/log/kea"} {
		r.must(t, "install", "-d", "-o", "_kea", "-g", "_kea", "-m", "0750", "/"+d)
	}
	kea := r.start(t, "kea-dhcp4", []string{"KEA_LOCKFILE_DIR=/run/kea", "KEA_PIDFILE_DIR=/run/kea"},
		"setpriv", "--reuid=_kea", "--regid=_kea", "--init-groups", "--", "/usr/sbin/kea-dhcp4", "-c", "/etc/kea/kea-dhcp4.conf")
	sock := filepath.Join(root, "run/kea/kea4-ctrl-socket")
	api, err := keaapi.New(keaapi.Endpoint{URL: "unix://" + sock, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := keatest.Eventually(ctx, 100*time.Millisecond, func() (bool, error) {
		_, err := api.Version(ctx)
		return err == nil, err
	}); err != nil {
		t.Fatalf("kea-dhcp4 as _kea does not answer: %v\n%s", err, kea.output())
	}

	// The agent's source: a render with one more reservation.
	appendFile(t, filepath.Join(site, "reservations.yaml"), "  - {hostname: printer-4, hw-address: \"02:42:ac:11:00:08\", ip-address: 10.30.30.58}\n")
	r.must(t, "keaops", "render", "-s", "/srv/site/keaops.yaml", "-o", "/srv/rendered-2")
	port := keatest.FreePort(t)
	writeFile(t, filepath.Join(root, "etc/keaops/agent.yaml"), fmt.Sprintf(`node: kea-solo
source: {dir: /srv/rendered-2}
kea: {control: "unix:///run/kea/kea4-ctrl-socket", config-file: /etc/kea/kea-dhcp4.conf}
interval: 1h
listen: 127.0.0.1:%d
state-dir: /var/lib/keaops-agent
`, port), 0o640)
	// What systemd makes of StateDirectory= before ExecStart.
	r.must(t, "install", "-d", "-o", "keaops", "-g", "keaops", "-m", "0700", "/var/lib/keaops-agent")

	t.Run("without the unit's capabilities the agent cannot replace Kea's file", func(t *testing.T) {
		args := append([]string{"setpriv", "--reuid=" + unit.user, "--regid=" + unit.group, "--init-groups", "--bounding-set=-all", "--no-new-privs", "--"}, unit.execStart...)
		out, err := r.run(append(args, "-once")...)
		if err == nil || !strings.Contains(out, "permission denied") {
			t.Errorf("-once without capabilities: %v\n%s", err, out)
		}
	})

	t.Run("the unit's ExecStart, as its user, applies the new revision", func(t *testing.T) {
		caps := unit.setprivCaps(t)
		agent := r.start(t, "keaops-agent", nil, append([]string{"setpriv", "--reuid=" + unit.user, "--regid=" + unit.group, "--init-groups",
			"--inh-caps=" + caps, "--ambient-caps=" + caps, "--bounding-set=-all," + caps, "--no-new-privs", "--"}, unit.execStart...)...)
		var st struct {
			Ready        bool   `json:"ready"`
			LastApplied  string `json:"last_applied_revision"`
			LastError    string `json:"last_error"`
			KeaResponses bool   `json:"kea_responding"`
		}
		if err := keatest.Eventually(ctx, 200*time.Millisecond, func() (bool, error) {
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/status", port))
			if err != nil {
				return false, err
			}
			defer resp.Body.Close()
			err = json.NewDecoder(resp.Body).Decode(&st)
			return err == nil && st.Ready && st.LastApplied != "", err
		}); err != nil {
			t.Fatalf("the agent did not apply: %v, status %+v\n%s", err, st, agent.output())
		}
		cfg, err := api.ConfigGet(ctx)
		if err != nil || !strings.Contains(string(cfg.Dhcp4), `"printer-4"`) {
			t.Errorf("Kea does not run the new revision (%v)", err)
		}
		// Replaced atomically, keeping install-config's owner and mode.
		if got := strings.TrimSpace(r.must(t, "stat", "-c", "%a %U:%G", "/etc/kea/kea-dhcp4.conf")); got != "660 root:_kea" {
			t.Errorf("/etc/kea/kea-dhcp4.conf is %s after the agent, want 660 root:_kea", got)
		}
		if b, _ := os.ReadFile(filepath.Join(root, "etc/kea/kea-dhcp4.conf")); !strings.Contains(string(b), `"printer-4"`) {
			t.Error("Kea's file does not hold the applied revision")
		}
		// It ran as keaops: its state is keaops's.
		if got := r.must(t, "find", "/var/lib/keaops-agent", "-type", "f", "!", "-user", "keaops"); got != "" {
			t.Errorf("state written by another user than keaops: %s", got)
		}
		if got := r.must(t, "find", "/var/lib/keaops-agent", "-type", "f"); got == "" {
			t.Error("the agent kept no state")
		}
		if code := agent.stop(t); code != 0 {
			t.Errorf("the agent exited %d on SIGTERM\n%s", code, agent.output())
		}
	})
	kea.stop(t)

	t.Run("purged, the root filesystem is as it was", func(t *testing.T) {
		r.must(t, "dpkg", "--purge", "keaops-agent", "keaops")
		for _, f := range []string{"passwd", "group", "shadow", "gshadow"} {
			if b, _ := os.ReadFile(filepath.Join(root, "etc", f)); strings.Contains(string(b), "keaops") {
				t.Errorf("/etc/%s still names keaops", f)
			}
		}
		after := tree(t, root)
		for p := range after {
			if _, ok := before[p]; !ok && !leftByTheTest(p) {
				t.Errorf("left behind: /%s", p)
			}
		}
		for p := range before {
			if _, ok := after[p]; !ok && !leftByTheTest(p) {
				t.Errorf("removed: /%s", p)
			}
		}
	})
}

const password = "packaging-test-password"

// leftByTheTest: what the test itself wrote (Kea's files and directories,
// the site, the debs) and dpkg's own records.
func leftByTheTest(p string) bool {
	for _, prefix := range []string{"srv/", "tmp/", "run/", "etc/kea/", "var/lib/kea/", "var/log/", "var/lib/dpkg/", "var/cache/debconf/", "etc/passwd-", "etc/group-", "etc/shadow-", "etc/gshadow-"} {
		if strings.HasPrefix(p, prefix) || p+"/" == prefix {
			return true
		}
	}
	return false
}

// artifact is the release build's one file matching pattern (make
// snapshot, make image): a test without it fails under CI, where the
// build always runs first, and is skipped elsewhere.
func artifact(t *testing.T, pattern string) string {
	t.Helper()
	dist := os.Getenv("KEAOPS_DIST")
	if dist == "" {
		dist = filepath.Join("..", "dist")
	}
	m, _ := filepath.Glob(filepath.Join(dist, pattern))
	if len(m) != 1 {
		msg := fmt.Sprintf("want one %s in %s, found %d: make snapshot image builds them", pattern, dist, len(m))
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	p, err := filepath.Abs(m[0])
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// debs are the release build's amd64 packages.
func debs(t *testing.T) (cli, agent string) {
	return artifact(t, "keaops_*_amd64.deb"), artifact(t, "keaops-agent_*_amd64.deb")
}

// exposure is systemd-analyze security's overall score of a unit file.
func exposure(t *testing.T, unit string) float64 {
	t.Helper()
	out, err := exec.Command("systemd-analyze", "security", "--offline=yes", unit).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security %s: %v\n%s", unit, err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no score in:\n%s", out)
	}
	f, _ := strconv.ParseFloat(string(m[1]), 64)
	return f
}

// unit is what the test runs of a systemd unit.
type unit struct {
	execStart   []string
	user, group string
	ambient     []string
}

func readUnit(t *testing.T, path string) unit {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var u unit
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), "=")
		if !ok || strings.HasPrefix(key, "#") {
			continue
		}
		switch key {
		case "ExecStart":
			u.execStart = strings.Fields(value)
		case "User":
			u.user = value
		case "Group":
			u.group = value
		case "AmbientCapabilities":
			u.ambient = strings.Fields(value)
		}
	}
	if len(u.execStart) == 0 || u.user == "" || u.user == "root" {
		t.Fatalf("%s: ExecStart %q as %q", path, u.execStart, u.user)
	}
	return u
}

// setprivCaps is AmbientCapabilities in setpriv's words: +chown,+dac_override.
func (u unit) setprivCaps(t *testing.T) string {
	var caps []string
	for _, c := range u.ambient {
		caps = append(caps, "+"+strings.ToLower(strings.TrimPrefix(c, "CAP_")))
	}
	if len(caps) == 0 {
		t.Fatal("the unit grants no capabilities")
	}
	return strings.Join(caps, ",")
}

// tree is every path under root (but the virtual file systems).
func tree(t *testing.T, root string) map[string]bool {
	t.Helper()
	paths := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() && (rel == "proc" || rel == "dev" || rel == "sys") {
			return filepath.SkipDir
		}
		paths[rel] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

// chroot runs commands in a root filesystem, each in a private mount
// namespace whose /proc and /dev vanish with it.
type chroot struct {
	root string
	env  []string
}

func (c chroot) cmd(env []string, args ...string) *exec.Cmd {
	script := `mount -t proc proc "$0/proc" && mount --rbind /dev "$0/dev" && exec chroot "$0" "$@"`
	cmd := exec.Command("unshare", append([]string{"-m", "sh", "-c", script, c.root}, args...)...)
	cmd.Env = append(append([]string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"}, c.env...), env...)
	return cmd
}

func (c chroot) run(args ...string) (string, error) {
	out, err := c.cmd(nil, args...).CombinedOutput()
	return string(out), err
}

func (c chroot) must(t *testing.T, args ...string) string {
	t.Helper()
	out, err := c.run(args...)
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// daemon is a process the test started in the root filesystem.
type daemon struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

func (c chroot) start(t *testing.T, name string, env []string, args ...string) *daemon {
	t.Helper()
	d := &daemon{cmd: c.cmd(env, args...), log: filepath.Join(t.TempDir(), name+".log"), done: make(chan struct{})}
	f, err := os.Create(d.log)
	if err != nil {
		t.Fatal(err)
	}
	d.cmd.Stdout, d.cmd.Stderr = f, f
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.cmd.Wait(); f.Close(); close(d.done) }()
	t.Cleanup(func() { d.stop(t) })
	return d
}

// stop sends SIGTERM, then SIGKILL after 10 s; it returns the exit code.
func (d *daemon) stop(t *testing.T) int {
	select {
	case <-d.done:
		return d.cmd.ProcessState.ExitCode()
	default:
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
		t.Errorf("%s did not stop on SIGTERM", d.cmd.Args)
	}
	return d.cmd.ProcessState.ExitCode()
}

func (d *daemon) output() string {
	b, _ := os.ReadFile(d.log)
	return string(b)
}

func writeSite(t *testing.T, dir string) {
	t.Helper()
	writeFile(t, filepath.Join(dir, "keaops.yaml"), `kea-version: "2.6"
control-auth: {user: kea-api, password: {env: KEA_API_PASSWORD}}
nodes:
  - name: kea-solo
    control-url: http://127.0.0.1:8000/
    interfaces: []
`, 0o644)
	writeFile(t, filepath.Join(dir, "subnets.yaml"), "subnets:\n  - {name: IoT, prefix: 10.30.30.0/24, pools: [10.30.30.100-10.30.30.200]}\n", 0o644)
	writeFile(t, filepath.Join(dir, "reservations.yaml"), "reservations:\n  - {hostname: printer-3, hw-address: \"02:42:ac:11:00:07\", ip-address: 10.30.30.57}\n", 0o644)
}

func writeFile(t *testing.T, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path, data string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(data); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, to, string(b), 0o644)
}
