package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/keaops/keaops/internal/artifact"
	"github.com/keaops/keaops/internal/keatest"
	"github.com/keaops/keaops/internal/model"
)

const livePassword = "keaops-live-Pa55"

// liveSite writes a one-node site whose node runs on this machine: control
// agent on a free port, files in the test's directory. It returns the site
// file's path and the node's directories.
func liveSite(t *testing.T, k keatest.Kea, reservations string) (string, keatest.Dirs) {
	t.Helper()
	dir := t.TempDir()
	d := keatest.NewDirs(t, filepath.Join(dir, "node"))
	site := fmt.Sprintf(`kea-version: "%s"
control-auth: {user: kea-api, password: {env: KEAOPS_TEST_PASSWORD}}
nodes:
  - name: kea-solo
    control-url: http://127.0.0.1:%d/
    paths:
      control-socket: %s
      lease-file: %s
      log-file: %s
    kea-env: %s
defaults: {valid-lifetime: 3600}
`, k.Line, keatest.FreePort(t), filepath.Join(d.Run, "kea4-ctrl.sock"), filepath.Join(d.Lib, "leases.csv"), filepath.Join(d.Log, "kea-dhcp4.log"), d.KeaEnv())
	os.WriteFile(filepath.Join(dir, "keaops.yaml"), []byte(site), 0o644)
	os.WriteFile(filepath.Join(dir, "subnets.yaml"), []byte("subnets:\n  - {name: IoT, vlan: 30, prefix: 10.30.30.0/24, pools: [10.30.30.100-10.30.30.200], gateway: 10.30.30.1}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "reservations.yaml"), []byte(reservations), 0o644)
	t.Setenv("KEAOPS_TEST_PASSWORD", livePassword)
	return filepath.Join(dir, "keaops.yaml"), d
}

// renderedFiles renders a site and returns each node's kea-dhcp4 and
// kea-ctrl-agent files, secrets resolved as the deployer resolves them.
func renderedFiles(t testing.TB, sitePath string) (*model.Site, map[string][2][]byte) {
	t.Helper()
	site, findings, err := LoadAndValidate(context.Background(), SiteArgs{Site: sitePath})
	if err != nil || findings.HasErrors() {
		t.Fatal(err, findings)
	}
	set, err := Artifacts(site)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][2][]byte{}
	for _, n := range site.Nodes {
		var files [2][]byte
		for i, name := range []string{"kea-dhcp4.json", "kea-ctrl-agent.json"} {
			if files[i], err = set.Manifest.Resolve(n.Name, name, set.Files[n.Name+"/"+name], artifact.EnvFileResolver); err != nil {
				t.Fatal(err)
			}
		}
		out[n.Name] = files
	}
	return site, out
}

// startRendered renders a site and starts its nodes on this machine from
// the rendered files.
func startRendered(t testing.TB, sitePath string, dirs map[string]keatest.Dirs) map[string]*keatest.Node {
	t.Helper()
	keatest.Require(t)
	site, files := renderedFiles(t, sitePath)
	k := keatest.For(t, site.KeaVersion.String()) // the Kea the site targets
	nodes := map[string]*keatest.Node{}
	for _, n := range site.Nodes {
		f := files[n.Name]
		nodes[n.Name] = k.Start(t, dirs[n.Name], f[0], f[1], n.ControlURL.String(), site.ControlAuth.User, livePassword)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15e9)
	defer cancel()
	for name, n := range nodes {
		if err := keatest.Eventually(ctx, 50e6, func() (bool, error) {
			a, err := n.Command(ctx, "version-get", nil)
			return err == nil && a.Result == 0, err
		}); err != nil {
			t.Fatalf("%s does not answer: %v\n%s", name, err, n.Logs())
		}
	}
	return nodes
}

func run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := Main(context.Background(), args, &out, &out)
	return code, out.String()
}

// runSplit is run with stdout and stderr apart: what a script parsing
// --format json reads, and the progress beside it.
func runSplit(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// gitIn binds gitCLI to a directory.
func gitIn(t *testing.T, dir string) func(args ...string) {
	return func(args ...string) {
		t.Helper()
		gitCLI(t, dir, args...)
	}
}
