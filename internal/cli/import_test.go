package cli

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keaops/keaops/internal/keatest"
)

const hooksDir = "/usr/lib/x86_64-linux-gnu/kea/hooks"

// handPair starts a hot-standby pair from configs keaops did not write
// (testdata/import: comments, a shared network, global reservations, a
// vendor option, a class, HA with the peers' password written literally)
// and waits until HA is up. It returns the nodes and their control URLs.
func handPair(t *testing.T, k keatest.Kea, password string) (map[string]*keatest.Node, map[string]string) {
	t.Helper()
	dhcp4, _ := os.ReadFile(filepath.Join("testdata", "import", "pair-kea-dhcp4.json"))
	agent, _ := os.ReadFile(filepath.Join("testdata", "import", "pair-kea-ctrl-agent.json"))
	urls := map[string]string{}
	ports := map[string]int{}
	for _, n := range []string{"kea-a", "kea-b"} {
		ports[n] = keatest.FreePort(t)
		urls[n] = "http://127.0.0.1:" + strconv.Itoa(ports[n]) + "/"
	}
	nodes := map[string]*keatest.Node{}
	for _, name := range []string{"kea-b", "kea-a"} {
		dirs := keatest.NewDirs(t, filepath.Join(t.TempDir(), name))
		sock := filepath.Join(dirs.Run, "kea4-ctrl-socket")
		own := strings.NewReplacer("@NAME@", name, "@A_URL@", urls["kea-a"], "@B_URL@", urls["kea-b"], "@PASSWORD@", password,
			"@PORT@", strconv.Itoa(ports[name]), "@SOCKNAME@", sock)
		d := own.Replace(string(keatest.Fill(dhcp4, k.Line, dirs, hooksDir)))
		a := own.Replace(string(keatest.Fill(agent, k.Line, dirs, hooksDir)))
		nodes[name] = k.Start(t, dirs, []byte(d), []byte(a), urls[name], "kea-api", password)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for name, n := range nodes {
		want := map[string]string{"kea-a": "hot-standby", "kea-b": "hot-standby"}[name]
		if err := keatest.Eventually(ctx, 100*time.Millisecond, func() (bool, error) {
			st, err := n.HA(ctx)
			return err == nil && st.State == want, nil
		}); err != nil {
			t.Fatalf("%s never reached %s: %v\n%s", name, want, err, n.Logs())
		}
	}
	return nodes, urls
}

// TestImportLivePair: a pair keaops did not configure, imported from the
// running nodes, is a site that keaops check passes, that keaops diff
// finds nothing to change in, and whose deploy touches no node — on every
// Kea version the tests provide.
func TestImportLivePair(t *testing.T) {
	keatest.Require(t)
	for _, k := range keatest.Versions(t) {
		t.Run(k.Line, func(t *testing.T) {
			const password = "hand-written-Pa55"
			nodes, urls := handPair(t, k, password)
			sets := map[string]int{}
			for name, n := range nodes {
				sets[name] = strings.Count(n.Logs(), "'config-set'")
			}
			out := filepath.Join(t.TempDir(), "site")
			t.Setenv("KEA_API_PASSWORD", password)
			code, text := run(t, "import", "--from-live", "--endpoint", "kea-a="+urls["kea-a"], "--endpoint", "kea-b="+urls["kea-b"],
				"--control-user", "kea-api", "-o", out)
			if code != ExitOK {
				t.Fatalf("import: exit %d\n%s", code, text)
			}
			for _, want := range []string{"2 nodes, 3 subnets, 4 reservations", "{env: KEA_API_PASSWORD}", "keaops.yaml: ok: 0 errors"} {
				if !strings.Contains(text, want) {
					t.Errorf("import says no %q:\n%s", want, text)
				}
			}
			site := filepath.Join(out, "keaops.yaml")
			data, _ := os.ReadFile(site)
			if strings.Contains(string(data), password) {
				t.Errorf("the password is written into %s", site)
			}
			if code, text := run(t, "diff", "-s", site, "--exit-code"); code != ExitOK {
				t.Fatalf("diff against the pair it was imported from: exit %d\n%s", code, text)
			}
			code, text = run(t, "deploy", "-s", site, "--yes")
			if code != ExitOK {
				t.Fatalf("deploy: exit %d\n%s", code, text)
			}
			for name, n := range nodes {
				// Kea logs its startup as a config-set of its own file.
				if got := strings.Count(n.Logs(), "'config-set'"); got != sets[name] {
					t.Errorf("deploy sent %s %d config-set:\n%s", name, got-sets[name], text)
				}
			}
		})
	}
}

// TestImportLiveSingleServer: a server without HA whose API asks for
// credentials: the site carries them by reference, and diff against the
// server it was imported from finds nothing.
func TestImportLiveSingleServer(t *testing.T) {
	keatest.Require(t)
	const password = "single-Pa55"
	port := keatest.FreePort(t)
	keatest.SingleNode(t, port, "kea-api", password)
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/"
	t.Setenv("KEA_API_PASSWORD", password)
	out := filepath.Join(t.TempDir(), "site")
	code, text := run(t, "import", "--from-live", "--endpoint", "dhcp1="+url, "--control-user", "kea-api", "-o", out)
	if code != ExitOK || !strings.Contains(text, "1 node, 1 subnet, 1 reservation") {
		t.Fatalf("import: exit %d\n%s", code, text)
	}
	site, _ := os.ReadFile(filepath.Join(out, "keaops.yaml"))
	if !strings.Contains(string(site), "control-auth:\n  user: kea-api\n  password: {env: KEA_API_PASSWORD}\n") || !strings.Contains(string(site), "name: dhcp1\n    control-url: "+url) {
		t.Errorf("keaops.yaml:\n%s", site)
	}
	if code, text := run(t, "diff", "-s", out, "--exit-code"); code != ExitOK {
		t.Errorf("diff against the server it was imported from: exit %d\n%s", code, text)
	}
}
