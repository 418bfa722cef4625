package kea

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keaops/keaops/internal/keatest"
)

// namedConf is a BIND server for the test's zones on 127.0.0.1:5353 of
// the server namespace, taking updates signed with the test's key.
const namedConf = `options {
	directory "DIR";
	pid-file "DIR/named.pid";
	listen-on port 5353 { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
};
controls { };
key "k1" { algorithm hmac-sha256; secret "SECRET"; };
zone "home.arpa" { type primary; file "DIR/home.arpa.db"; allow-update { key k1; }; };
zone "30.30.10.in-addr.arpa" { type primary; file "DIR/30.30.10.db"; allow-update { key k1; }; };
`

const zoneFile = `$TTL 300
@ IN SOA ns.home.arpa. hostmaster.home.arpa. 1 3600 600 86400 300
@ IN NS ns.home.arpa.
`

const forwardZone = zoneFile + "ns IN A 127.0.0.1\n"

// TestDDNSOnTheWire: a site with DDNS, rendered, runs on real daemons in a
// network namespace — kea-dhcp4, kea-dhcp-ddns of each Kea version the
// tests provide, and BIND's named — and a DHCP client that asks for an
// address with its host name gets it, and its A and PTR records appear.
func TestDDNSOnTheWire(t *testing.T) {
	if _, err := exec.LookPath("named"); err != nil {
		t.Fatal("named not found: run make setup")
	}
	for _, k := range keatest.Versions(t) {
		t.Run(k.Line, func(t *testing.T) { ddnsOnTheWire(t, k) })
	}
}

func ddnsOnTheWire(t *testing.T, k keatest.Kea) {
	w := keatest.NewWire(t, [2]string{"10.30.30.2/24", "10.30.30.3/24"})
	dirs := keatest.NewDirs(t, t.TempDir())
	site, ok := breadthSite(t, k.Line, breadthCase{
		site:    ddnsSite + "  \n",
		subnets: "subnets:\n  - {name: IoT, prefix: 10.30.30.0/24, pools: [10.30.30.100-10.30.30.150]}\n",
	})
	if !ok {
		t.Fatal("the DDNS site does not pass check")
	}
	// The reverse zone's server sits on 5353 in the case; the forward one
	// on 53: both are this named.
	site.DDNS.Forward[0].Servers[0].Port = 5353
	n := site.Nodes[0]
	n.Interfaces = []string{w.ServerIfaces[0]}
	n.Paths.ControlSocket = filepath.Join(dirs.Run, "kea4-ctrl-socket")
	n.Paths.D2ControlSocket = filepath.Join(dirs.Run, "kea-ddns-ctrl-socket")
	n.Paths.LeaseFile = filepath.Join(dirs.Lib, "leases4.csv")
	n.Paths.LogFile = filepath.Join(dirs.Log, "kea-dhcp4.log")
	n.Paths.D2LogFile = filepath.Join(dirs.Log, "kea-dhcp-ddns.log")
	nodes, err := Render(site)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range nodes[0].Files {
		files[f.Name] = withSecrets(t, f)
	}

	zones := filepath.Join(dirs.Root, "named")
	os.MkdirAll(zones, 0o755)
	conf := strings.NewReplacer("DIR", zones, "SECRET", testSecret).Replace(namedConf)
	os.WriteFile(filepath.Join(zones, "named.conf"), []byte(conf), 0o644)
	os.WriteFile(filepath.Join(zones, "home.arpa.db"), []byte(forwardZone), 0o644)
	os.WriteFile(filepath.Join(zones, "30.30.10.db"), []byte(zoneFile), 0o644)
	named := exec.Command("ip", "netns", "exec", w.Server, "named", "-g", "-c", filepath.Join(zones, "named.conf"))
	namedLog, _ := os.Create(filepath.Join(dirs.Log, "named.out"))
	named.Stdout, named.Stderr = namedLog, namedLog
	if err := named.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { named.Process.Kill(); named.Wait(); namedLog.Close() })

	d2log := k.StartDaemon(t, w.Server, dirs, "kea-dhcp-ddns", D2File, files[D2File])
	k.StartIn(t, w.Server, dirs, files[Dhcp4File], nil, "unix://"+n.Paths.ControlSocket, "", "")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var addr string
	err = keatest.Eventually(ctx, 500*time.Millisecond, func() (bool, error) {
		if err := exec.Command("ip", "-n", w.Client, "link", "set", w.ClientIface, "address", "02:00:00:00:d0:01").Run(); err != nil {
			return false, err
		}
		out, err := exec.CommandContext(ctx, "ip", "netns", "exec", w.Client, "busybox", "udhcpc", "-i", w.ClientIface,
			"-f", "-q", "-n", "-t", "3", "-T", "2", "-s", "/bin/true", "-x", "hostname:printer-1").CombinedOutput()
		if i := strings.Index(string(out), "lease of "); i >= 0 {
			addr = strings.Fields(string(out)[i+len("lease of "):])[0]
			return true, nil
		}
		return false, err
	})
	if err != nil {
		t.Fatalf("no lease: %v\n%s", err, logs(dirs))
	}
	dig := func(args ...string) string {
		out, _ := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", w.Server, "dig", "@127.0.0.1", "-p", "5353", "+short"}, args...)...).Output()
		return strings.TrimSpace(string(out))
	}
	octets := strings.Split(addr, ".")
	ptr := octets[3] + "." + octets[2] + "." + octets[1] + "." + octets[0] + ".in-addr.arpa."
	err = keatest.Eventually(ctx, 200*time.Millisecond, func() (bool, error) {
		return dig("printer-1.home.arpa.", "A") == addr && dig(ptr, "PTR") == "printer-1.home.arpa.", nil
	})
	if err != nil {
		d2, _ := os.ReadFile(d2log)
		t.Fatalf("%s leased %s, but DNS has A %q and PTR %q: %v\n%s\n%s", k, addr, dig("printer-1.home.arpa.", "A"), dig(ptr, "PTR"), err, d2, logs(dirs))
	}
	t.Logf("%s: printer-1 leased %s; A and PTR records are in DNS", k, addr)
}

func logs(d keatest.Dirs) string {
	var b strings.Builder
	for _, name := range []string{"kea-dhcp4.out", "named.out"} {
		data, _ := os.ReadFile(filepath.Join(d.Log, name))
		if len(data) > 3000 {
			data = data[len(data)-3000:]
		}
		b.WriteString("--- " + name + "\n" + string(data) + "\n")
	}
	return b.String()
}
