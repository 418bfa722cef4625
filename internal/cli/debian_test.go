package cli

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keaops/keaops/internal/keatest"
)

// TestDebianLayout: a node laid out as apt-get install kea-dhcp4-server
// lays it out — kea-dhcp4 running as _kea from /etc/kea/kea-dhcp4.conf
// (/etc/kea root's, 0755), its socket, leases and log in /run/kea,
// /var/lib/kea and /var/log/kea — works with keaops's defaults: the site
// names no paths, install-config writes files _kea reads, and deploy's
// config-write persists, so a restarted Kea runs what was deployed.
func TestDebianLayout(t *testing.T) {
	for _, k := range keatest.Versions(t) {
		t.Run(k.Line, func(t *testing.T) { debianLayout(t, k) })
	}
}

func debianLayout(t *testing.T, k keatest.Kea) {
	uid, gid := k.ServiceUser(t)
	base := t.TempDir()
	d := keatest.DebianDirs{Etc: filepath.Join(base, "etc-kea"), Run: filepath.Join(base, "run-kea"), Lib: filepath.Join(base, "lib-kea"), Log: filepath.Join(base, "log-kea")}
	os.Mkdir(d.Etc, 0o755) // root's, as on bookworm: _kea cannot create files in it
	for _, dir := range []string{d.Run, d.Lib, d.Log} {
		os.Mkdir(dir, 0o750)
		os.Chown(dir, uid, gid) // as the unit's RuntimeDirectory, StateDirectory, LogsDirectory
	}
	dir := t.TempDir()
	site := filepath.Join(dir, "keaops.yaml")
	os.WriteFile(site, []byte(`kea-version: "`+k.Line+`"
control-auth: {user: kea-api, password: {env: KEAOPS_TEST_PASSWORD}}
nodes:
  - name: kea-solo
    control-url: http://127.0.0.1:8000/
    interfaces: []
`), 0o644)
	os.WriteFile(filepath.Join(dir, "subnets.yaml"), []byte("subnets:\n  - {name: IoT, prefix: 10.30.30.0/24, pools: [10.30.30.100-10.30.30.200]}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "reservations.yaml"), []byte("reservations:\n  - {hostname: printer-3, hw-address: \"02:42:ac:11:00:07\", ip-address: 10.30.30.57}\n"), 0o644)
	t.Setenv("KEAOPS_TEST_PASSWORD", livePassword)

	rendered := filepath.Join(t.TempDir(), "rendered")
	if code, out := run(t, "render", "-s", site, "-o", rendered); code != ExitOK {
		t.Fatalf("render: %s", out)
	}
	if code, out := run(t, "install-config", "--from", rendered, "--node", "kea-solo", "--dir", d.Etc, "--group", strconv.Itoa(gid)); code != ExitOK {
		t.Fatalf("install-config: %s", out)
	}
	conf := filepath.Join(d.Etc, "kea-dhcp4.conf")
	node := k.StartDebian(t, d)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := keatest.Eventually(ctx, 100*time.Millisecond, func() (bool, error) {
		a, err := node.Command(ctx, "version-get", nil)
		return err == nil && a.Result == 0, err
	}); err != nil {
		t.Fatalf("kea-dhcp4 as _kea from %s does not answer: %v\n%s", conf, err, node.Logs())
	}
	endpoint := "kea-solo=" + node.URL

	appendReservation(t, site, "  - {hostname: printer-4, hw-address: \"02:42:ac:11:00:08\", ip-address: 10.30.30.58}\n")
	if code, out := run(t, "deploy", "-s", site, "--yes", "--endpoint", endpoint); code != ExitOK || !strings.Contains(out, "kea-solo: deployed") {
		t.Fatalf("deploy to a node on Debian's layout: exit %d\n%s\n%s", code, out, node.Logs())
	}
	data, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(conf)
	sys := st.Sys().(*syscall.Stat_t)
	if !strings.Contains(string(data), "02:42:ac:11:00:08") {
		t.Errorf("config-write did not persist the deployed reservation in %s", conf)
	}
	if st.Mode().Perm() != 0o660 || int(sys.Gid) != gid || sys.Uid != 0 {
		t.Errorf("%s is %v %d:%d after config-write; want 0660 root:_kea (%d)", conf, st.Mode().Perm(), sys.Uid, sys.Gid, gid)
	}
	// A restart (a reboot, apt upgrade) runs what was deployed.
	node.RestartDHCP(t)
	if err := keatest.Eventually(ctx, 100*time.Millisecond, func() (bool, error) {
		a, err := node.Command(ctx, "version-get", nil)
		return err == nil && a.Result == 0, err
	}); err != nil {
		t.Fatalf("after a restart: %v\n%s", err, node.Logs())
	}
	if code, out := run(t, "diff", "-s", site, "--exit-code", "--endpoint", endpoint); code != ExitOK {
		t.Errorf("after a restart the node does not run what was deployed: exit %d\n%s", code, out)
	}
	t.Logf("%s on Debian's layout: install-config, deploy with config-write, restart: ok", k)
}
