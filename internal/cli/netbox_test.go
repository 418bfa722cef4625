package cli

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/keaops/keaops/internal/keatest"
	"github.com/keaops/keaops/internal/netboxtest"
)

var update = flag.Bool("update", false, "rewrite examples/netbox/netbox.json from the test NetBox")

const (
	netboxToken   = "6f1e0d1c2b3a49586776655443322110ffeeddcc"
	exampleNetBox = "https://netbox.example.net"
)

// northNetBox is the NetBox behind examples/netbox: the north building's
// prefixes, pools and addresses, plus objects the example's selection
// leaves out (another site, a container, a custom status go-netbox could
// not decode, a range with another role, an address with status active).
func northNetBox(t testing.TB) *netboxtest.Server {
	s := netboxtest.New(netboxToken).Start(t)
	s.MaxPageSize = 3
	sel := func(p netboxtest.PrefixSpec) netboxtest.Obj {
		if p.Site == "" {
			p.Site, p.Role, p.Tags = "north", "dhcp", []string{"kea"}
		}
		return s.Prefix(p)
	}
	type cf = netboxtest.Obj
	s.Add("ipam/prefixes",
		sel(netboxtest.PrefixSpec{ID: 30, Prefix: "10.20.10.0/24", VLAN: 10, VLANName: "staff", Description: "staff desks, floors 1-3",
			CustomFields: cf{"kea_subnet_id": 2010, "dhcp_gateway": "10.20.10.1/24"}}),
		sel(netboxtest.PrefixSpec{ID: 31, Prefix: "10.20.20.0/24", VLAN: 20, VLANName: "voice",
			CustomFields: cf{"kea_subnet_id": 2020, "dhcp_gateway": "10.20.20.1", "dhcp_valid_lifetime": 86400, "dhcp_options": cf{"tftp-server-name": "10.20.0.69"}}}),
		sel(netboxtest.PrefixSpec{ID: 32, Prefix: "10.20.30.0/24", VLAN: 30, VLANName: "lab",
			CustomFields: cf{"kea_subnet_id": 2030, "dhcp_gateway": "10.20.30.1", "dhcp_ntp": "10.20.0.123"}}),
		sel(netboxtest.PrefixSpec{ID: 33, Prefix: "10.20.40.0/24", VLAN: 40, VLANName: "facilities",
			CustomFields: cf{"kea_subnet_id": 2040, "dhcp_gateway": "10.20.40.1", "dhcp_dns": []any{"10.20.0.53"}}}),
		s.Prefix(netboxtest.PrefixSpec{ID: 34, Prefix: "10.20.0.0/16", Status: "container", Site: "north", Role: "dhcp", Tags: []string{"kea"}}),
		s.Prefix(netboxtest.PrefixSpec{ID: 35, Prefix: "10.20.50.0/24", Status: "dhcp-pool", Site: "north", Role: "dhcp", Tags: []string{"kea"}}),
		s.Prefix(netboxtest.PrefixSpec{ID: 36, Prefix: "10.30.10.0/24", Site: "south", Role: "dhcp", Tags: []string{"kea"}}),
	)
	s.Add("ipam/ip-ranges",
		s.Range(netboxtest.RangeSpec{ID: 40, Start: "10.20.10.100/24", End: "10.20.10.199/24", Role: "dhcp-pool", Description: "staff pool"}),
		s.Range(netboxtest.RangeSpec{ID: 41, Start: "10.20.20.50/24", End: "10.20.20.249/24", Role: "dhcp-pool"}),
		s.Range(netboxtest.RangeSpec{ID: 42, Start: "10.20.30.100/24", End: "10.20.30.199/24", Role: "dhcp-pool"}),
		s.Range(netboxtest.RangeSpec{ID: 43, Start: "10.20.40.200/24", End: "10.20.40.250/24", Role: "dhcp-pool"}),
		s.Range(netboxtest.RangeSpec{ID: 44, Start: "10.20.10.10/24", End: "10.20.10.19/24", Role: "infrastructure"}),
	)
	s.Add("ipam/ip-addresses",
		s.Address(netboxtest.AddressSpec{ID: 501, Address: "10.20.10.20/24", DNSName: "printer-staff-1.north.example.net", Interface: 4001, IfName: "eth0", Device: "printer-staff-1", Description: "HP M479"}),
		s.Address(netboxtest.AddressSpec{ID: 502, Address: "10.20.10.21/24", Status: "reserved", Interface: 4002, IfName: "eth0", Device: "nas-staff"}),
		s.Address(netboxtest.AddressSpec{ID: 503, Address: "10.20.20.10/24", Interface: 4003, IfName: "eth0", Device: "conf-phone-1"}),
		s.Address(netboxtest.AddressSpec{ID: 504, Address: "10.20.30.10/24", Interface: 7001, IfName: "ens18", Device: "ci-runner-1", VM: true}),
		s.Address(netboxtest.AddressSpec{ID: 505, Address: "10.20.40.10/24", Interface: 4005, IfName: "eth0", Device: "bms-controller"}),
		s.Address(netboxtest.AddressSpec{ID: 506, Address: "10.20.40.11/24", DNSName: "camera-lobby", CustomFields: cf{"dhcp_hw_address": "AC:CC:8E:00:40:11"}}),
		s.Address(netboxtest.AddressSpec{ID: 507, Address: "10.20.10.22/24", Status: "active", Interface: 4007, IfName: "eth0", Device: "router-staff"}),
	)
	phone := []netboxtest.Obj{s.MAC(803, "00:04:F2:20:10:01", 4003, "eth0", "conf-phone-1", false), s.MAC(804, "00:04:F2:20:10:02", 4003, "eth0", "conf-phone-1", false)}
	s.Add("dcim/mac-addresses",
		s.MAC(801, "00:80:77:AA:10:20", 4001, "eth0", "printer-staff-1", false),
		s.MAC(802, "00:11:32:AB:CD:21", 4002, "eth0", "nas-staff", false),
		phone[0], phone[1],
		s.MAC(805, "BC:24:11:30:00:10", 7001, "ens18", "ci-runner-1", true),
		s.MAC(806, "00:1B:C5:40:00:10", 4005, "eth0", "bms-controller", false),
		s.MAC(807, "00:1B:C5:10:00:22", 4007, "eth0", "router-staff", false),
	)
	s.Add("dcim/interfaces", s.Interface(4003, "eth0", "conf-phone-1", 804, "00:04:F2:20:10:02", phone...))
	return s
}

// northSite copies examples/netbox to a temporary directory with its NetBox
// URL pointing at s, and the token in the environment.
func northSite(t *testing.T, s *netboxtest.Server) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"keaops.yaml", "reservations.yaml", "netbox.json"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", "netbox", f))
		if err != nil {
			t.Fatal(err)
		}
		b = []byte(strings.ReplaceAll(string(b), exampleNetBox, s.URL))
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	t.Setenv("NETBOX_TOKEN", netboxToken)
	return filepath.Join(dir, "keaops.yaml")
}

// TestNetBoxExampleSnapshot: examples/netbox/netbox.json is exactly what
// keaops netbox snapshot writes for the example's NetBox (-update rewrites
// it), --check says so, and says which objects changed when NetBox did.
func TestNetBoxExampleSnapshot(t *testing.T) {
	s := northNetBox(t)
	site := northSite(t, s)
	out := filepath.Join(t.TempDir(), "netbox.json")
	code, text := run(t, "netbox", "snapshot", "-s", site, "-o", out)
	if code != ExitOK || !strings.Contains(text, "wrote "+out+": 4 prefixes, 4 IP ranges and 6 IP addresses from "+s.URL) {
		t.Fatalf("exit %d\n%s", code, text)
	}
	got, _ := os.ReadFile(out)
	got = []byte(strings.ReplaceAll(string(got), s.URL, exampleNetBox))
	example := filepath.Join("..", "..", "examples", "netbox", "netbox.json")
	if *update {
		os.WriteFile(example, got, 0o644)
	}
	if want, _ := os.ReadFile(example); string(got) != string(want) {
		t.Errorf("examples/netbox/netbox.json is not what keaops netbox snapshot writes; go test ./internal/cli -run TestNetBoxExampleSnapshot -update\n%s", got)
	}

	if code, text := run(t, "netbox", "snapshot", "-s", site, "--check"); code != ExitOK || !strings.Contains(text, "is up to date") {
		t.Errorf("--check on the example: exit %d\n%s", code, text)
	}
	s.Add("ipam/ip-addresses", s.Address(netboxtest.AddressSpec{ID: 520, Address: "10.20.10.30/24", Interface: 4001, IfName: "eth0", Device: "printer-staff-1"}))
	s.Objects["ipam/ip-ranges"] = s.Objects["ipam/ip-ranges"][1:]
	code, text = run(t, "netbox", "snapshot", "-s", site, "--check")
	if code != ExitChanges || !strings.Contains(text, "- netbox:ipam/ip-ranges/40\n") || !strings.Contains(text, "+ netbox:ipam/ip-addresses/520\n") {
		t.Errorf("--check after NetBox changed: exit %d\n%s", code, text)
	}
	code, text, progress := runSplit(t, "netbox", "snapshot", "-s", site, "--check", "--format", "json")
	if !strings.Contains(progress, `msg="reading NetBox"`) {
		t.Errorf("no progress on stderr: %q", progress)
	}
	var rep snapshotReport
	if err := json.Unmarshal([]byte(text), &rep); err != nil || code != ExitChanges || rep.UpToDate || rep.Written || rep.IPAddresses != 7 ||
		!slices.Contains(rep.Changes, "- netbox:ipam/ip-ranges/40") || !slices.Contains(rep.Changes, "+ netbox:ipam/ip-addresses/520") {
		t.Errorf("--check --format json after NetBox changed: exit %d, %v\n%s", code, err, text)
	}
}

// TestNetBoxExampleRenders: the example renders a full HA pair from the
// snapshot, each node with its own this-server-name, the same as from
// NetBox live, and Kea accepts both nodes' configs.
func TestNetBoxExampleRenders(t *testing.T) {
	s := northNetBox(t)
	site := northSite(t, s)
	keatest.Require(t)
	t.Setenv("KEA_API_PASSWORD", "x")
	snapDir, liveDir := t.TempDir(), t.TempDir()
	before := s.Requests.Load()
	if code, text := run(t, "render", "-s", site, "-o", snapDir); code != ExitOK {
		t.Fatalf("render from the snapshot: exit %d\n%s", code, text)
	}
	if n := s.Requests.Load() - before; n != 0 {
		t.Errorf("render from the snapshot sent %d requests to NetBox", n)
	}
	if code, text := run(t, "render", "-s", site, "--netbox-live", "-o", liveDir); code != ExitOK {
		t.Fatalf("render from NetBox: exit %d\n%s", code, text)
	}
	for _, node := range []string{"kea-north-1", "kea-north-2"} {
		a, err := os.ReadFile(filepath.Join(snapDir, node, "kea-dhcp4.json"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(liveDir, node, "kea-dhcp4.json"))
		if string(a) != string(b) {
			t.Errorf("%s: the render from the snapshot and from NetBox differ", node)
		}
		for _, want := range []string{`"this-server-name": "` + node + `"`, `"subnet": "10.20.10.0/24"`, `"id": 2040`, `"pool": "10.20.40.200-10.20.40.250"`,
			`"hw-address": "00:04:f2:20:10:02"`, `"hostname": "printer-staff-1.north.example.net"`, `"hostname": "door-controller-1"`, `"name": "tftp-server-name"`} {
			if !strings.Contains(string(a), want) {
				t.Errorf("%s: the render has no %s", node, want)
			}
		}
		for _, not := range []string{"10.20.50.0", "10.30.10.0", "10.20.10.22", "10.20.10.10-"} {
			if strings.Contains(string(a), not) {
				t.Errorf("%s: the render has %s, which the selection leaves out", node, not)
			}
		}
	}
	// Every target renders, and passes that Kea's -t.
	orig, _ := os.ReadFile(site)
	for _, k := range keatest.Versions(t) {
		other := filepath.Join(filepath.Dir(site), "keaops-"+k.Line+".yaml")
		os.WriteFile(other, []byte(strings.Replace(string(orig), `kea-version: "2.2"`, `kea-version: "`+k.Line+`"`, 1)), 0o644)
		out := t.TempDir()
		if code, text := run(t, "render", "-s", other, "-o", out); code != ExitOK {
			t.Fatalf("render for %s: exit %d\n%s", k.Line, code, text)
		}
		for _, node := range []string{"kea-north-1", "kea-north-2"} {
			for _, name := range []string{"kea-dhcp4.json", "kea-ctrl-agent.json"} {
				b, err := os.ReadFile(filepath.Join(out, node, name))
				if err != nil {
					t.Fatal(err)
				}
				// kea-dhcp4 -t opens the interfaces: move the node onto this machine.
				here := filepath.Join(t.TempDir(), name)
				os.WriteFile(here, []byte(strings.ReplaceAll(string(b), `"ens192"`, `"lo"`)), 0o600)
				check := k.CheckConfig
				if name == "kea-ctrl-agent.json" {
					check = k.CheckAgentConfig
				}
				if err := check(context.Background(), here); err != nil {
					t.Errorf("%s -t %s/%s: %v", k, node, name, err)
				}
			}
		}
	}
}

// TestNetBoxMergedChecks: YAML and NetBox records go through the same
// checks, and a finding about a NetBox object names it.
func TestNetBoxMergedChecks(t *testing.T) {
	s := northNetBox(t)
	site := northSite(t, s)
	dir := filepath.Dir(site)
	os.WriteFile(filepath.Join(dir, "subnets.yaml"), []byte("subnets:\n  - name: printers\n    prefix: 10.20.10.0/25\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "reservations.yaml"), []byte("reservations:\n  - {hostname: dup, hw-address: \"02:00:00:00:00:01\", ip-address: 10.20.10.20}\n  - {hostname: lost, hw-address: \"02:00:00:00:00:02\", ip-address: 10.99.0.5}\n"), 0o644)
	b, _ := os.ReadFile(site)
	os.WriteFile(site, []byte(strings.Replace(string(b), "  reservations: reservations.yaml\n", "  subnets: subnets.yaml\n  reservations: reservations.yaml\n", 1)), 0o644)
	code, text := run(t, "check", "-s", site)
	for _, want := range []string{
		filepath.Join(dir, "subnets.yaml") + ":3:13: error: subnet printers (10.20.10.0/25) overlaps subnet staff (10.20.10.0/24) at netbox:ipam/prefixes/30 (10.20.10.0/24)",
		filepath.Join(dir, "reservations.yaml") + ":2:66: error: ip-address 10.20.10.20 is already reserved for printer-staff-1.north.example.net at netbox:ipam/ip-addresses/501 (10.20.10.20/24)",
		filepath.Join(dir, "reservations.yaml") + ":3:67: error: ip-address 10.99.0.5 is in no subnet",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("check does not say\n%s\n in:\n%s", want, text)
		}
	}
	if code != ExitProblems {
		t.Errorf("exit %d", code)
	}

	// A snapshot taken for another selection is refused, not half-used.
	b, _ = os.ReadFile(site)
	os.WriteFile(site, []byte(strings.Replace(string(b), "tag: kea", "tag: [kea, ipv4]", 1)), 0o644)
	if code, text := run(t, "check", "-s", site); code != ExitProblems || !strings.Contains(text, "netbox.json was taken with another selection than keaops.yaml asks for") {
		t.Errorf("selection changed: exit %d\n%s", code, text)
	}
	// Without the token, a live read says what is missing.
	t.Setenv("NETBOX_TOKEN", "")
	if code, text := run(t, "check", "-s", site, "--netbox-live"); code != ExitProblems || !strings.Contains(text, "the NetBox token (env:NETBOX_TOKEN): environment variable NETBOX_TOKEN is not set") {
		t.Errorf("no token: exit %d\n%s", code, text)
	}
}

// TestNetBoxLiveLog: what a live read logs (here, NetBox edited between
// two pages) goes to the command's error stream, where CI collects it, not
// to the process's.
func TestNetBoxLiveLog(t *testing.T) {
	s := northNetBox(t)
	site := northSite(t, s)
	// The server selects a page's objects before OnPage runs: an edit
	// while the first page is served shows in the counts of the next.
	var edited atomic.Bool
	s.OnPage = func(endpoint string, offset int) {
		if endpoint == "ipam/ip-addresses" && offset == 0 && edited.CompareAndSwap(false, true) {
			s.Add("ipam/ip-addresses", s.Address(netboxtest.AddressSpec{ID: 508, Address: "10.20.30.11/24", DNSName: "ci-runner-2", CustomFields: netboxtest.Obj{"dhcp_hw_address": "BC:24:11:30:00:11"}}))
		}
	}
	code, text := run(t, "check", "-s", site, "--netbox-live")
	if !edited.Load() || code != ExitOK || !strings.Contains(text, "NetBox changed during the read; reading again") ||
		!strings.Contains(text, "endpoint=ipam/ip-addresses") || !strings.Contains(text, "10 reservations") {
		t.Errorf("edited %v, exit %d; want the re-read logged to the command's output:\n%s", edited.Load(), code, text)
	}
}

// TestNetBoxMergeRequestPlan: the merge-request flow. The snapshot is
// committed; NetBox gains an address on a new device; a new snapshot
// makes the plan against main show exactly that, read offline (the plan
// sends no request to NetBox).
func TestNetBoxMergeRequestPlan(t *testing.T) {
	s := northNetBox(t)
	site := northSite(t, s)
	dir := filepath.Dir(site)
	git := gitIn(t, dir)
	git("init", "-q", "-b", "main")
	git("add", ".")
	git("commit", "-qm", "base")

	s.Add("ipam/ip-addresses", s.Address(netboxtest.AddressSpec{ID: 530, Address: "10.20.30.40/24", DNSName: "scope-2", Interface: 4030, IfName: "eth0", Device: "scope-2"}))
	s.Add("dcim/mac-addresses", s.MAC(830, "00:1B:C5:30:00:40", 4030, "eth0", "scope-2", false))
	if code, out := run(t, "netbox", "snapshot", "-s", site); code != ExitOK {
		t.Fatalf("snapshot: exit %d\n%s", code, out)
	}
	before := s.Requests.Load()
	code, out := run(t, "diff", "-s", site, "--against", "main", "--exit-code")
	if code != ExitChanges || !strings.Contains(out, "reservation scope-2 00:1b:c5:30:00:40 → 10.20.30.40 (lab)") || !strings.Contains(out, "netbox:ipam/ip-addresses/530 (10.20.30.40/24)") {
		t.Errorf("plan: exit %d\n%s", code, out)
	}
	if n := s.Requests.Load() - before; n != 0 {
		t.Errorf("the plan sent %d requests to NetBox", n)
	}
}
