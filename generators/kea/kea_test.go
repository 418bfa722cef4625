package kea

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keaops/keaops/internal/artifact"
	"github.com/keaops/keaops/internal/keatest"
	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/sitegen"
)

// onThisMachine points the nodes' DHCP interfaces at the loopback device:
// interface names are node-local, and kea-dhcp4 -t refuses one that does
// not exist on the machine running the test.
func onThisMachine(s *model.Site) {
	for _, n := range s.Nodes {
		n.Interfaces = []string{"lo"}
	}
}

// TestKeaAcceptsRendered: every example — and a large synthetic site —
// rendered for every Kea version the tests provide passes that version's
// real kea-dhcp4 -t and kea-ctrl-agent -t (Debian's 2.2.0 on the machine,
// 2.6.3 and 3.0.4 in root filesystems).
func TestKeaAcceptsRendered(t *testing.T) {
	versions := keatest.Versions(t)
	big := t.TempDir()
	if err := sitegen.Write(big, sitegen.Spec{Subnets: 500, Reservations: 10000, Mode: "hot-standby", Classes: true}); err != nil {
		t.Fatal(err)
	}
	sites := map[string]string{
		"homelab":   "../../examples/homelab/keaops.yaml",
		"campus":    "../../examples/campus/keaops.yaml",
		"synthetic": filepath.Join(big, "keaops.yaml"),
	}
	for _, k := range versions {
		for name, path := range sites {
			t.Run(k.Line+"/"+name, func(t *testing.T) {
				site := loadSite(t, path)
				site.KeaVersion = mustVersion(t, k.Line)
				if fs := Check(site); fs.HasErrors() {
					t.Fatalf("%s for %s: %v", name, k.Line, fs)
				}
				onThisMachine(site)
				nodes, err := Render(site)
				if err != nil {
					t.Fatal(err)
				}
				dir := t.TempDir()
				files := 0
				for _, n := range nodes {
					for _, f := range n.Files {
						p := filepath.Join(dir, n.Node.Name+"-"+f.Name)
						if err := os.WriteFile(p, f.Data, 0o600); err != nil {
							t.Fatal(err)
						}
						check := k.CheckConfig
						if f.Name == AgentFile {
							check = k.CheckAgentConfig
						}
						if err := check(context.Background(), p); err != nil {
							t.Error(err)
						}
						files++
					}
				}
				t.Logf("%s: %d files of %s pass -t", k, files, name)
			})
		}
	}
}

func mustVersion(t testing.TB, line string) model.Version {
	t.Helper()
	var v model.Version
	if _, err := fmt.Sscanf(line, "%d.%d", &v.Major, &v.Minor); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestHAPairComesUp starts the rendered homelab pair on 127.0.0.1 — the
// same render, with the node-local keys (listeners, paths, interfaces)
// moved onto this machine — and waits for the primary to serve in
// hot-standby and the standby to stand by.
func TestHAPairComesUp(t *testing.T) {
	// Mostly waiting for heartbeats: the versions' pairs run side by side.
	for _, k := range keatest.Versions(t) {
		t.Run(k.Line, func(t *testing.T) { t.Parallel(); haPairComesUp(t, k) })
	}
}

func haPairComesUp(t *testing.T, k keatest.Kea) {
	site := loadSite(t, "../../examples/homelab/keaops.yaml")
	site.KeaVersion = mustVersion(t, k.Line)
	root := t.TempDir()
	dirs := map[string]keatest.Dirs{}
	for _, n := range site.Nodes {
		d := keatest.NewDirs(t, filepath.Join(root, n.Name))
		dirs[n.Name] = d
		n.ControlURL = mustURL(t, fmt.Sprintf("http://127.0.0.1:%d/", keatest.FreePort(t)))
		n.HAURL = mustURL(t, fmt.Sprintf("http://127.0.0.1:%d/", keatest.FreePort(t)))
		n.Interfaces = nil
		n.Paths = model.NodePaths{
			ControlSocket: filepath.Join(d.Run, "kea4-ctrl.sock"),
			LeaseFile:     filepath.Join(d.Lib, "kea-leases4.csv"),
			LogFile:       filepath.Join(d.Log, "kea-dhcp4.log"),
			HooksDir:      "/usr/lib/x86_64-linux-gnu/kea/hooks",
		}
	}
	nodes, err := Render(site)
	if err != nil {
		t.Fatal(err)
	}
	const password = "keaops-test-Pa55"
	resolve := func(string) (string, error) { return password, nil }
	running := map[string]*keatest.Node{}
	for _, nc := range nodes {
		files := map[string][]byte{}
		for _, f := range nc.Files {
			data, err := artifact.ResolveSecrets(f.Data, secretsOf(f), resolve)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(data, []byte(model.SecretPrefix)) {
				t.Fatalf("%s: placeholder left after resolving", f.Name)
			}
			files[f.Name] = data
		}
		running[nc.Node.Name] = k.Start(t, dirs[nc.Node.Name], files[Dhcp4File], files[AgentFile], nc.Node.ControlURL.String(), site.ControlAuth.User, password)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	want := map[string]keatest.HAState{
		"kea-primary":   {State: "hot-standby", Scopes: []string{"kea-primary"}},
		"kea-secondary": {State: "hot-standby", Scopes: []string{}},
	}
	for name, w := range want {
		n := running[name]
		err := keatest.Eventually(ctx, 250*time.Millisecond, func() (bool, error) {
			st, err := n.HA(ctx)
			if err != nil {
				return false, err
			}
			return st.State == w.State && slices.Equal(st.Scopes, w.Scopes), fmt.Errorf("state %s scopes %v", st.State, st.Scopes)
		})
		if err != nil {
			t.Fatalf("%s did not reach %s serving %v: %v\n%s", name, w.State, w.Scopes, err, n.Logs())
		}
	}
	t.Logf("both nodes in their HA states after %v", time.Since(start).Round(10*time.Millisecond))

	// The dedicated HA listener checks no credentials in any Kea up to
	// 3.2: restrict-commands, which keaops renders on every version, is
	// what keeps an unauthenticated config-get (passwords and all) out.
	for _, n := range site.Nodes {
		resp, err := http.Post(n.HAURL.String(), "application/json", strings.NewReader(`{"command": "config-get", "service": ["dhcp4"]}`))
		if err != nil {
			t.Fatalf("%s HA listener: %v", n.Name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if bytes.Contains(body, []byte(password)) || !bytes.Contains(body, []byte(`"result": 403`)) {
			t.Errorf("%s: unauthenticated config-get on the HA listener %s answered HTTP %d: %.300s", n.Name, n.HAURL, resp.StatusCode, body)
		}
	}

	// The pair runs what was rendered: the subnet ids Kea reports are the
	// model's, the same on both nodes.
	var wantIDs []uint32
	for _, sn := range site.Subnets {
		wantIDs = append(wantIDs, sn.ID)
	}
	slices.Sort(wantIDs)
	for name, n := range running {
		a, err := n.Command(ctx, "config-get", nil)
		if err != nil || a.Result != 0 {
			t.Fatalf("%s config-get: %v %s", name, err, a.Text)
		}
		var cfg struct {
			Dhcp4 struct {
				Subnet4 []struct {
					ID uint32 `json:"id"`
				} `json:"subnet4"`
			}
		}
		if err := json.Unmarshal(a.Arguments, &cfg); err != nil {
			t.Fatal(err)
		}
		var got []uint32
		for _, sn := range cfg.Dhcp4.Subnet4 {
			got = append(got, sn.ID)
		}
		slices.Sort(got)
		if !slices.Equal(got, wantIDs) {
			t.Errorf("%s runs subnet ids %v, want %v", name, got, wantIDs)
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func secretsOf(f File) []artifact.Secret {
	out := make([]artifact.Secret, len(f.Secrets))
	for i, s := range f.Secrets {
		out[i] = artifact.Secret{Offset: s.Offset, Ref: s.Ref}
	}
	return out
}

// TestHooksShipped pins what each Debian release's Kea ships, which the
// renderer and the version table rely on: HA and lease_cmds everywhere;
// host_cmds and subnet_cmds (live reservation and subnet changes) from
// 3.0 only; the *_cb libraries replaced by mysql/pgsql in 3.0.
func TestHooksShipped(t *testing.T) {
	for _, k := range keatest.Versions(t) {
		hooks := k.Hooks(t)
		has := func(lib string) bool { return slices.Contains(hooks, "libdhcp_"+lib+".so") }
		for lib, want := range map[string]bool{
			"ha": true, "lease_cmds": true,
			"host_cmds": k.Line == "3.0", "subnet_cmds": k.Line == "3.0",
			"mysql": k.Line == "3.0", "mysql_cb": k.Line != "3.0",
		} {
			if has(lib) != want {
				t.Errorf("%s: libdhcp_%s.so shipped %v, the version table says %v (%v)", k, lib, has(lib), want, hooks)
			}
		}
	}
}
