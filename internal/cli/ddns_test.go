package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keaops/keaops/generators/kea"
	"github.com/keaops/keaops/internal/agent"
	"github.com/keaops/keaops/internal/artifact"
	"github.com/keaops/keaops/internal/keaapi"
	"github.com/keaops/keaops/internal/keatest"
)

// ddnsBlock is the DDNS part of a pair's site; ZONE is the reverse zone.
const ddnsBlock = `ddns:
  listen: {port: 53101}
  tsig-keys: [{name: k1, algorithm: HMAC-SHA256, secret: {env: KEAOPS_TEST_TSIG}}]
  forward: [{name: home.arpa., key: k1, servers: [127.0.0.1]}]
  reverse: [{name: ZONE, key: k1, servers: [127.0.0.1]}]
`

// TestDeployDDNS: deploy brings each node's kea-dhcp-ddns to the site,
// through its Control Agent, before DHCP and without touching it; a
// second deploy finds nothing to do (the live config, defaults and all,
// means what the render does); a config kea-dhcp-ddns refuses stops the
// deploy with every daemon on its previous config.
func TestDeployDDNS(t *testing.T) {
	for _, k := range keatest.Versions(t) {
		t.Run(k.Line, func(t *testing.T) { deployDDNS(t, k) })
	}
}

func deployDDNS(t *testing.T, k keatest.Kea) {
	if os.Geteuid() != 0 {
		t.Skip("each node's kea-dhcp-ddns listens in a network namespace of its own, which needs root")
	}
	os.Setenv("KEAOPS_TEST_TSIG", "a2Vhb3BzLXRlc3Qta2V5LTAxMjM0NTY3ODlhYmNkZWY=")
	site, dirs := livePairFor(t, k)
	// Each node's D2 socket and log in its own directories.
	data := readFile(t, site)
	for name, d := range dirs {
		re := regexp.MustCompile(`(?m)(- name: ` + name + `\n(?:    .*\n)*?    paths: \{)`)
		data = re.ReplaceAllString(data, "${1}ddns-control-socket: "+filepath.Join(d.Run, "d2.sock")+", ddns-log-file: "+filepath.Join(d.Log, "kea-dhcp-ddns.log")+", ")
	}
	data = strings.Replace(data, "defaults: {valid-lifetime: 3600}", "defaults: {valid-lifetime: 3600, dhcp-ddns: {enable-updates: true, server-port: 53101}}", 1)
	writeFile(t, site, data+strings.Replace(ddnsBlock, "ZONE", "30.30.10.in-addr.arpa.", 1))

	// The D2s start on a config that lacks the Lab reverse zone.
	nodes := startRendered(t, site, dirs)
	waitPairHealthy(t, nodes)
	s, findings, err := LoadAndValidate(context.Background(), SiteArgs{Site: site})
	if err != nil || findings.HasErrors() {
		t.Fatal(err, findings)
	}
	set, err := Artifacts(s)
	if err != nil {
		t.Fatal(err)
	}
	d2 := map[string]*keaapi.Client{}
	for _, n := range s.Nodes {
		cfg, err := set.Manifest.Resolve(n.Name, kea.D2File, set.Files[n.Name+"/"+kea.D2File], artifact.EnvFileResolver)
		if err != nil {
			t.Fatal(err)
		}
		k.StartDaemon(t, netns(t), dirs[n.Name], "kea-dhcp-ddns", kea.D2File, cfg)
		c, err := keaapi.New(keaapi.Endpoint{URL: "unix://" + filepath.Join(dirs[n.Name].Run, "d2.sock"), Kind: keaapi.Unix})
		if err != nil {
			t.Fatal(err)
		}
		d2[n.Name] = c.ForD2()
	}
	zones := func(name string) string {
		ctx := context.Background()
		var cfg keaapi.Config
		err := keatest.Eventually(ctx, 100e6, func() (bool, error) {
			cfg, err = d2[name].ConfigGet(ctx)
			return err == nil, err
		})
		if err != nil {
			t.Fatalf("%s kea-dhcp-ddns: %v", name, err)
		}
		var v struct {
			Reverse struct {
				Domains []struct{ Name string } `json:"ddns-domains"`
			} `json:"reverse-ddns"`
		}
		json.Unmarshal(cfg.Dhcp4, &v)
		var names []string
		for _, d := range v.Reverse.Domains {
			names = append(names, d.Name)
		}
		slices.Sort(names)
		return strings.Join(names, " ")
	}
	for name := range dirs {
		if got := zones(name); got != "30.30.10.in-addr.arpa." {
			t.Fatalf("%s's kea-dhcp-ddns starts with reverse zones %q", name, got)
		}
	}

	// The site gains the Lab's reverse zone: only kea-dhcp-ddns changes.
	writeFile(t, site, data+strings.Replace(ddnsBlock, "[{name: ZONE, key: k1, servers: [127.0.0.1]}]",
		"[{name: 30.30.10.in-addr.arpa., key: k1, servers: [127.0.0.1]}, {name: 0.40.10.in-addr.arpa., key: k1, servers: [127.0.0.1]}]", 1))
	if code, out := run(t, "diff", "--site", site); code != 0 || !strings.Contains(out, "~ kea-dhcp-ddns config what runs → the site's") || strings.Contains(out, "config-set") {
		t.Errorf("diff of a D2 change: %d\n%s", code, out)
	}
	before := reloads(t, nodes)
	code, out := run(t, "deploy", "--site", site, "--yes")
	if code != 0 || !strings.Contains(out, "kea-a kea-dhcp-ddns: deployed") || !strings.Contains(out, "kea-b kea-dhcp-ddns: deployed") {
		t.Fatalf("deploy: %d\n%s", code, out)
	}
	for name := range dirs {
		if got := zones(name); got != "0.40.10.in-addr.arpa. 30.30.10.in-addr.arpa." {
			t.Errorf("%s's kea-dhcp-ddns runs reverse zones %q after the deploy", name, got)
		}
	}
	after := reloads(t, nodes)
	for name := range nodes {
		if after[name] < before[name] {
			t.Errorf("%s's kea-dhcp4 took a config (%d s ago, %d s before): a D2 change must not touch DHCP", name, after[name], before[name])
		}
	}
	t.Logf("%s: kea-dhcp-ddns deployed on both nodes, DHCP untouched:\n%s", k, out)

	code, out = run(t, "deploy", "--site", site, "--yes")
	if code != 0 || !strings.Contains(out, "kea-a kea-dhcp-ddns: unchanged") || !strings.Contains(out, "no changes") {
		t.Errorf("a second deploy: %d\n%s", code, out)
	}
	if code, out := run(t, "status", "--site", site); code != 0 || !regexp.MustCompile(`(?m)^kea-a .* current$`).MatchString(out) || !strings.Contains(out, "DDNS") {
		t.Errorf("status after the deploy: %d\n%s", code, out)
	}

	// A config kea-dhcp-ddns refuses (raw Kea JSON keaops cannot check).
	bad := strings.Replace(readFile(t, site), "ddns:\n", "ddns:\n  kea: {dns-server-timeout: -5}\n", 1)
	writeFile(t, site, bad)
	code, out = run(t, "deploy", "--site", site, "--yes")
	if code == 0 || !strings.Contains(out, "kea-dhcp-ddns deploy FAILED, DHCP left as it was") || !strings.Contains(out, "config-test") {
		t.Errorf("a refused D2 config: %d\n%s", code, out)
	}
	for name := range dirs {
		if got := zones(name); got != "0.40.10.in-addr.arpa. 30.30.10.in-addr.arpa." {
			t.Errorf("%s's kea-dhcp-ddns runs reverse zones %q after the refused deploy", name, got)
		}
	}
	if _, out := run(t, "status", "--site", site, "--format", "json"); !strings.Contains(out, `"ddns": "differs"`) {
		t.Errorf("status with a D2 change not deployed:\n%s", out)
	}

	// The standby's keaops-agent takes the next change: its kea-dhcp-ddns
	// gets a third reverse zone, and the file it starts from with it.
	writeFile(t, site, strings.Replace(bad, "  kea: {dns-server-timeout: -5}\n", "", 1))
	writeFile(t, site, strings.Replace(readFile(t, site), "{name: 0.40.10.in-addr.arpa., key: k1, servers: [127.0.0.1]}]",
		"{name: 0.40.10.in-addr.arpa., key: k1, servers: [127.0.0.1]}, {name: 168.192.in-addr.arpa., servers: [127.0.0.1]}]", 1))
	remote := filepath.Join(t.TempDir(), "rendered.git")
	gitCLI(t, "", "init", "-q", "--bare", remote)
	rev := renderPublish(t, site, "", remote)
	d2file := filepath.Join(dirs["kea-b"].Root, "kea-dhcp-ddns.json")
	a, err := agent.New(agent.Config{
		Node:   "kea-b",
		Source: agent.Source{Git: &agent.GitSource{URL: remote, Branch: "keaops-rendered"}},
		Kea: agent.Kea{Control: "unix://" + filepath.Join(dirs["kea-b"].Run, "kea4-ctrl.sock"), ConfigFile: filepath.Join(dirs["kea-b"].Root, "kea-dhcp4.json"),
			DDNSControl: "unix://" + filepath.Join(dirs["kea-b"].Run, "d2.sock"), DDNSConfigFile: d2file},
		Interval: agent.Duration{Duration: time.Minute}, Drift: "correct", StateDir: t.TempDir(),
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	a.Pass(context.Background())
	if st := a.Status(); st.LastError != "" || st.LastAppliedRevision != rev {
		t.Fatalf("the agent: %+v", st)
	}
	if got := zones("kea-b"); got != "0.40.10.in-addr.arpa. 168.192.in-addr.arpa. 30.30.10.in-addr.arpa." {
		t.Errorf("kea-b's kea-dhcp-ddns after its agent: %q", got)
	}
	if got := zones("kea-a"); got != "0.40.10.in-addr.arpa. 30.30.10.in-addr.arpa." {
		t.Errorf("kea-a's kea-dhcp-ddns changed without its agent: %q", got)
	}
	if f := readFile(t, d2file); !strings.Contains(f, "168.192.in-addr.arpa.") || strings.Contains(f, "keaops-secret") {
		t.Errorf("the agent's %s holds no new zone, or an unresolved secret:\n%s", d2file, f)
	}
}

// netns creates a network namespace with its loopback up, deleted when
// the test ends.
func netns(t *testing.T) string {
	t.Helper()
	b := make([]byte, 3)
	rand.Read(b)
	name := "ko-d2-" + hex.EncodeToString(b)
	for _, args := range [][]string{{"netns", "add", name}, {"-n", name, "link", "set", "lo", "up"}} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	return name
}
