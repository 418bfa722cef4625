package keatest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Wire is a DHCP test network in namespaces this test creates: a server
// namespace with two veths (one per Kea node), a client namespace with one,
// all bridged in a third. Nothing is added to the machine's own namespace;
// everything is deleted when the test ends.
type Wire struct {
	Server, LAN, Client string
	// ServerIfaces are the servers' interfaces in Server; ClientIface the
	// client's in Client.
	ServerIfaces [2]string
	ClientIface  string
}

func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// NewWire builds the network, addressing the server interfaces with
// serverAddrs (CIDR). It skips the test, saying why, where namespaces
// cannot be created (not root, no iproute2).
func NewWire(t testing.TB, serverAddrs [2]string) *Wire {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("DHCP-on-the-wire tests need root to create network namespaces")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("DHCP-on-the-wire tests need iproute2 (ip)")
	}
	if _, err := exec.LookPath("busybox"); err != nil {
		t.Fatal("busybox not found: run make setup")
	}
	Require(t) // perfdhcp is the default Kea's
	b := make([]byte, 3)
	rand.Read(b)
	id := hex.EncodeToString(b)
	w := &Wire{Server: "ko-s-" + id, LAN: "ko-l-" + id, Client: "ko-c-" + id,
		ServerIfaces: [2]string{"ks1" + id, "ks2" + id}, ClientIface: "kc" + id}
	t.Cleanup(func() {
		for _, ns := range []string{w.Client, w.Server, w.LAN} {
			_ = ip("netns", "del", ns)
		}
	})
	must := func(args ...string) {
		t.Helper()
		if err := ip(args...); err != nil {
			if strings.Contains(err.Error(), "Operation not permitted") {
				t.Skipf("cannot create network namespaces here: %v", err)
			}
			t.Fatal(err)
		}
	}
	for _, ns := range []string{w.Server, w.LAN, w.Client} {
		must("netns", "add", ns)
		must("-n", ns, "link", "set", "lo", "up")
	}
	must("-n", w.LAN, "link", "add", "br0", "type", "bridge")
	must("-n", w.LAN, "link", "set", "br0", "up")
	pairs := []struct{ end, ns string }{{w.ServerIfaces[0], w.Server}, {w.ServerIfaces[1], w.Server}, {w.ClientIface, w.Client}}
	for i, p := range pairs {
		peer := "kl" + strconv.Itoa(i) + id
		must("link", "add", p.end, "type", "veth", "peer", "name", peer)
		must("link", "set", p.end, "netns", p.ns)
		must("link", "set", peer, "netns", w.LAN)
		must("-n", w.LAN, "link", "set", peer, "master", "br0")
		must("-n", w.LAN, "link", "set", peer, "up")
		must("-n", p.ns, "link", "set", p.end, "up")
	}
	for i, a := range serverAddrs {
		must("-n", w.Server, "addr", "add", a, "dev", w.ServerIfaces[i])
	}
	return w
}

var leaseRE = regexp.MustCompile(`lease of ([0-9.]+) obtained from ([0-9.]+)`)

// DORA runs one DHCP exchange from the client namespace with the given MAC
// and returns the leased address and the server that answered.
func (w *Wire) DORA(ctx context.Context, mac string) (addr, server string, err error) {
	if err := ip("-n", w.Client, "link", "set", w.ClientIface, "address", mac); err != nil {
		return "", "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", "netns", "exec", w.Client, "busybox", "udhcpc",
		"-i", w.ClientIface, "-f", "-q", "-n", "-t", "3", "-T", "2", "-s", "/bin/true").CombinedOutput()
	if m := leaseRE.FindStringSubmatch(string(out)); m != nil {
		return m[1], m[2], nil
	}
	return "", "", fmt.Errorf("no lease for %s (%v): %s", mac, err, strings.TrimSpace(string(out)))
}

// Load is a perfdhcp run in the client namespace, started by StartLoad.
type Load struct {
	cmd *exec.Cmd
	out strings.Builder
	// exited is closed when perfdhcp has exited: a close can be waited on
	// by Wait and by the cleanup alike.
	exited chan struct{}
	w      *Wire
	addr   string
	// End is when perfdhcp stops sending: anything a test wants measured
	// must be over well before it.
	End time.Time
}

// StartLoad sends DHCP exchanges at rate per second from the client
// namespace, as a relay with relayAddr (CIDR, inside the served subnet) as
// perfdhcp requires, for period, from clients different MACs (fewer than
// the pool has addresses). Wait for it to read the drop counts.
//
// The load ends by its period, never by a signal: perfdhcp stops at once on
// SIGINT and counts the answers still in flight as drops, so a signal
// would make a lossless run look lossy whenever an exchange was under way.
func (w *Wire) StartLoad(t testing.TB, relayAddr string, rate, clients int, period time.Duration) *Load {
	t.Helper()
	if err := ip("-n", w.Client, "addr", "add", relayAddr, "dev", w.ClientIface); err != nil {
		t.Fatal(err)
	}
	l := &Load{w: w, addr: relayAddr, exited: make(chan struct{}), End: time.Now().Add(period)}
	// Kea's perfdhcp, from the default Kea's root filesystem.
	l.cmd = Host(t).Command(w.Client, "perfdhcp", "-4", "-l", w.ClientIface,
		"-r", strconv.Itoa(rate), "-p", strconv.Itoa(int(period.Seconds())),
		// Clients come back: a pool must not run dry however long the
		// load runs, or its exhaustion would read as drops.
		"-R", strconv.Itoa(clients),
		// An answer later than this is a drop; a loaded test machine
		// can take longer than the default second.
		"-d", "2",
		// After the period, wait this long for the answers still in
		// flight: without it they count as drops.
		"-W", "2000000")
	l.cmd.Stdout, l.cmd.Stderr = &l.out, &l.out
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = l.cmd.Wait(); close(l.exited) }()
	t.Cleanup(func() {
		select {
		case <-l.exited:
		default:
			_ = l.cmd.Process.Kill()
			<-l.exited
		}
	})
	return l
}

// Drops is what perfdhcp counted for one exchange type.
type Drops struct{ Sent, Received, Dropped int }

var statRE = regexp.MustCompile(`(?s)\*\*\*Statistics for: (DISCOVER-OFFER|REQUEST-ACK)\*\*\*.*?sent packets: (\d+).*?received packets: (\d+).*?drops: (\d+)`)

// Wait waits for the load's period and its exit wait to pass and returns
// the DISCOVER-OFFER and REQUEST-ACK counts. A perfdhcp that does not exit
// in time is killed and reported.
func (l *Load) Wait() (map[string]Drops, string, error) {
	select {
	case <-l.exited:
	case <-time.After(time.Until(l.End) + 15*time.Second):
		_ = l.cmd.Process.Kill()
		<-l.exited
		return nil, l.out.String(), fmt.Errorf("perfdhcp did not end after its period")
	}
	_ = ip("-n", l.w.Client, "addr", "del", l.addr, "dev", l.w.ClientIface)
	out := l.out.String()
	stats := map[string]Drops{}
	for _, m := range statRE.FindAllStringSubmatch(out, -1) {
		s, _ := strconv.Atoi(m[2])
		r, _ := strconv.Atoi(m[3])
		d, _ := strconv.Atoi(m[4])
		stats[m[1]] = Drops{s, r, d}
	}
	if len(stats) == 0 {
		return nil, out, fmt.Errorf("perfdhcp printed no statistics")
	}
	return stats, out, nil
}

// Offer is what a client got in one exchange: the address, the server,
// and the options udhcpc hands its script (router, dns, domain, ntpsrv,
// tftp, hostname, boot_file, siaddr, lease …).
type Offer struct {
	Addr, Server string
	Options      map[string]string
}

// DORAWith runs one DHCP exchange from the client namespace with the
// given MAC, sending vendor as its vendor class (option 60) when not
// empty and clientID as its client identifier (hex, "" for udhcpc's
// default of 01+MAC), and asking for the options named (udhcpc's names:
// ntpsrv, tftp, bootfile …).
func (w *Wire) DORAWith(ctx context.Context, mac, vendor, clientID string, ask ...string) (Offer, error) {
	if err := ip("-n", w.Client, "link", "set", w.ClientIface, "address", mac); err != nil {
		return Offer{}, err
	}
	dir, err := os.MkdirTemp("", "keaops-udhcpc-")
	if err != nil {
		return Offer{}, err
	}
	defer os.RemoveAll(dir)
	script := dir + "/script"
	// The options arrive as the script's environment on "bound".
	if err := os.WriteFile(script, []byte("#!/bin/sh\n[ \"$1\" = bound ] && env > \""+dir+"/env\"\nexit 0\n"), 0o755); err != nil {
		return Offer{}, err
	}
	args := []string{"netns", "exec", w.Client, "busybox", "udhcpc", "-i", w.ClientIface, "-f", "-q", "-n", "-t", "3", "-T", "2", "-s", script}
	if vendor != "" {
		args = append(args, "-V", vendor)
	}
	if clientID != "" {
		args = append(args, "-C", "-x", "0x3d:"+clientID)
	}
	for _, o := range ask {
		args = append(args, "-O", o)
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	m := leaseRE.FindStringSubmatch(string(out))
	if m == nil {
		return Offer{}, fmt.Errorf("no lease for %s (%v): %s", mac, err, strings.TrimSpace(string(out)))
	}
	env, err := os.ReadFile(dir + "/env")
	if err != nil {
		return Offer{}, fmt.Errorf("udhcpc bound %s but its script did not run: %v", m[1], err)
	}
	o := Offer{Addr: m[1], Server: m[2], Options: map[string]string{}}
	for _, line := range strings.Split(string(env), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if ok && dhcpVars[k] {
			o.Options[k] = v
		}
	}
	return o, nil
}

// dhcpVars are the variables udhcpc sets from the server's answer.
var dhcpVars = map[string]bool{"ip": true, "subnet": true, "router": true, "dns": true, "domain": true, "hostname": true, "ntpsrv": true,
	"tftp": true, "bootfile": true, "boot_file": true, "siaddr": true, "sname": true, "lease": true, "broadcast": true, "opt43": true, "mtu": true}
