package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keaops/keaops/generators/kea"
	"github.com/keaops/keaops/generators/memfile"
	"github.com/keaops/keaops/internal/keatest"
)

// wireClient is a client of the dhcpd wire test and what dhcpd must give
// it (empty: any address; the Kea pair must then give the same).
type wireClient struct {
	name, mac, vendor, clientID string
	want                        string
}

var wireClients = []wireClient{
	{name: "printer (host, use-host-decl-names)", mac: "02:00:00:00:00:10", want: "10.30.30.10"},
	{name: "nas (host from an include)", mac: "02:00:00:00:00:11", want: "10.30.30.11"},
	{name: "lab1 (host in a group: next-server, filename, domain)", mac: "02:00:00:00:00:12", want: "10.31.31.12"},
	{name: "kiosk (host by client identifier)", mac: "02:00:00:00:00:20", clientID: "6b696f736b2d3031", want: "10.31.31.20"},
	{name: "phone (class phones: its pool and tftp server)", mac: "02:00:00:00:00:30", vendor: "Aastra6731i"},
	{name: "phone 2", mac: "02:00:00:00:00:31", vendor: "Aastra6865i"},
	{name: "laptop (the shared network's other subnet)", mac: "02:00:00:00:00:40"},
	{name: "laptop 2", mac: "02:00:00:00:00:41"},
	{name: "router (subclass of cpe: option 43)", mac: "02:00:00:00:00:50", vendor: "acme-router"},
}

// askFor are the options every client asks for, as udhcpc names them.
var askFor = []string{"ntpsrv", "tftp", "bootfile", "hostname", "domain", "dns", "router", "43"}

// startDHCPD starts ISC dhcpd in namespace ns on iface with conf and its
// lease file, stopped when the test ends.
func startDHCPD(t *testing.T, ns, iface, conf, leases string) *exec.Cmd {
	t.Helper()
	if err := os.WriteFile(leases, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(leases + ".log")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", ns, "/usr/sbin/dhcpd", "-4", "-f", "-d", "-cf", conf, "-lf", leases, "-pf", leases+".pid", iface)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Dir = filepath.Dir(conf) // dhcpd takes relative includes from where it runs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); log.Close(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	return cmd
}

// TestImportDHCPDOnTheWire: Debian's ISC dhcpd serves a dhcpd.conf — a
// failover pair, hosts, pools, classes, a subclass, a shared network, a
// group, an include — to clients in network namespaces; keaops imports
// the file and its leases, and a Kea pair serving the import gives the
// same clients the same addresses and the same options, on every Kea
// version the tests provide. The clients keep their dynamic addresses
// across the cutover: the leases come from dhcpd.leases.
func TestImportDHCPDOnTheWire(t *testing.T) {
	keatest.Require(t)
	if _, err := os.Stat("/usr/sbin/dhcpd"); err != nil {
		t.Fatal("ISC dhcpd is not installed: run make setup")
	}
	w := keatest.NewWire(t, [2]string{"10.30.30.2/24", "10.30.30.3/24"})
	dir := t.TempDir()
	conf, _ := os.ReadFile(filepath.Join("testdata", "import", "dhcpd.conf"))
	hosts, _ := os.ReadFile(filepath.Join("testdata", "import", "dhcpd-hosts.conf"))
	primary := filepath.Join(dir, "dhcpd.conf")
	os.WriteFile(primary, conf, 0o644)
	os.WriteFile(filepath.Join(dir, "dhcpd-hosts.conf"), hosts, 0o644)
	// The partner's file: the same, from the secondary's side.
	second := strings.NewReplacer("  primary;", "  secondary;", "  address 10.30.30.2;", "  address 10.30.30.3;", "  peer address 10.30.30.3;", "  peer address 10.30.30.2;",
		"  mclt 5;\n", "", "  split 255;\n", "", `include "dhcpd-hosts.conf";`, `include "`+filepath.Join(dir, "dhcpd-hosts.conf")+`";`).Replace(string(conf))
	secondary := filepath.Join(dir, "secondary", "dhcpd.conf")
	os.MkdirAll(filepath.Dir(secondary), 0o755)
	os.WriteFile(secondary, []byte(second), 0o644)
	primaryLeases := filepath.Join(dir, "dhcpd.leases")
	p := startDHCPD(t, w.Server, w.ServerIfaces[0], primary, primaryLeases)
	startDHCPD(t, w.Server, w.ServerIfaces[1], secondary, filepath.Join(dir, "secondary", "dhcpd.leases"))

	ctx := context.Background()
	byDHCPD := map[string]keatest.Offer{}
	// dhcpd serves hosts at once, pools once failover is up.
	wait, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if err := keatest.Eventually(wait, 200*time.Millisecond, func() (bool, error) {
		logs, _ := os.ReadFile(primaryLeases + ".log")
		return strings.Contains(string(logs), "Both servers normal"), nil
	}); err != nil {
		logs, _ := os.ReadFile(primaryLeases + ".log")
		t.Fatalf("dhcpd's failover never came up: %v\n%s", err, logs)
	}
	for _, c := range wireClients {
		o, err := w.DORAWith(ctx, c.mac, c.vendor, c.clientID, askFor...)
		if err != nil {
			logs, _ := os.ReadFile(primaryLeases + ".log")
			t.Fatalf("%s from dhcpd: %v\n%s", c.name, err, logs)
		}
		byDHCPD[c.mac] = o
	}
	// What the fixture means, as dhcpd serves it: the Kea pair must agree.
	for _, c := range wireClients {
		o := byDHCPD[c.mac]
		if c.want != "" && o.Addr != c.want {
			t.Errorf("dhcpd gave %s %s, not %s", c.name, o.Addr, c.want)
		}
		t.Logf("dhcpd: %s: %s from %s %v", c.name, o.Addr, o.Server, o.Options)
	}
	if o := byDHCPD["02:00:00:00:00:30"]; !strings.HasPrefix(o.Addr, "10.30.30.5") || o.Options["tftp"] != "voip.office.example" {
		t.Errorf("dhcpd gave the phone %+v: want an address of the phones' pool and their tftp server", o)
	}
	_ = p.Process.Signal(syscall.SIGTERM)
	time.Sleep(500 * time.Millisecond) // dhcpd has written every lease: it commits before it answers

	for _, k := range keatest.Versions(t) {
		t.Run(k.Line, func(t *testing.T) { keaServesTheImport(t, k, w, primary, primaryLeases, byDHCPD) })
	}
}

// keaServesTheImport imports the dhcpd pair's file and leases, starts a
// Kea pair of the import in the wire's server namespace (after dhcpd),
// and checks every client gets what dhcpd gave it.
func keaServesTheImport(t *testing.T, k keatest.Kea, w *keatest.Wire, conf, leases string, byDHCPD map[string]keatest.Offer) {
	out := filepath.Join(t.TempDir(), "site")
	code, text := run(t, "import", "--from-dhcpd", conf, "--leases", leases, "--kea-version", k.Line, "-o", out, "--allow-partial")
	if code != ExitOK {
		t.Fatalf("import: exit %d\n%s", code, text)
	}
	for _, want := range []string{"dhcpd.conf:83:1: on commit { … } not converted", "mclt 5; not converted", "in hot-standby mode", "keaops.yaml: ok: 0 errors"} {
		if !strings.Contains(text, want) {
			t.Errorf("the import does not say %q:\n%s", want, text)
		}
	}
	site, findings, err := LoadAndValidate(context.Background(), SiteArgs{Site: filepath.Join(out, "keaops.yaml")})
	if err != nil || findings.HasErrors() {
		t.Fatal(err, findings)
	}
	lease, err := os.ReadFile(filepath.Join(out, memfile.File))
	if err != nil {
		t.Fatal(err)
	}
	// What the import cannot know: each node's interface and files.
	dirs := map[string]keatest.Dirs{}
	for i, n := range site.Nodes {
		d := keatest.NewDirs(t, filepath.Join(t.TempDir(), n.Name))
		dirs[n.Name] = d
		n.Interfaces = []string{w.ServerIfaces[i]}
		n.Paths.ControlSocket = filepath.Join(d.Run, "kea4-ctrl-socket")
		n.Paths.LeaseFile = filepath.Join(d.Lib, memfile.File)
		n.Paths.LogFile = filepath.Join(d.Log, "kea-dhcp4.log")
		n.KeaDirs.ControlSocket, n.KeaDirs.Data, n.KeaDirs.Log = d.Run, d.Lib, d.Log
		if err := os.WriteFile(n.Paths.LeaseFile, lease, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rendered, err := kea.Render(site)
	if err != nil {
		t.Fatal(err)
	}
	nodes := map[string]*keatest.Node{}
	for _, nc := range rendered {
		files := map[string][]byte{}
		for _, f := range nc.Files {
			files[f.Name] = f.Data
		}
		nodes[nc.Node.Name] = k.StartIn(t, w.Server, dirs[nc.Node.Name], files[kea.Dhcp4File], files[kea.AgentFile], "unix://"+nc.Node.Paths.ControlSocket, "", "")
	}
	waitPairHealthy(t, nodes)
	ctx := context.Background()
	for _, c := range wireClients {
		o, err := w.DORAWith(ctx, c.mac, c.vendor, c.clientID, askFor...)
		if err != nil {
			t.Errorf("%s from Kea %s: %v", c.name, k, err)
			continue
		}
		d := byDHCPD[c.mac]
		// The lease time is the one thing that differs, and rightly: a
		// dhcpd failover pair gives a new client the MCLT (5 s here), Kea
		// the rest of the lease it took over from dhcpd.leases.
		kl, dl := o.Options["lease"], d.Options["lease"]
		delete(o.Options, "lease")
		delete(d.Options, "lease")
		if o.Addr != d.Addr || !reflect.DeepEqual(o.Options, d.Options) {
			t.Errorf("%s: dhcpd gave %s %v; Kea %s gives %s %v", c.name, d.Addr, d.Options, k, o.Addr, o.Options)
		}
		if n, err := strconv.Atoi(kl); err != nil || n <= 0 || n > 3600 {
			t.Errorf("%s: Kea %s gives a lease of %q s; want up to the 3600 s of default-lease-time (dhcpd gave %s)", c.name, k, kl, dl)
		}
		o.Options["lease"], d.Options["lease"] = kl, dl
	}
}
