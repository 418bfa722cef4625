package netbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/netboxtest"
	"github.com/keaops/keaops/internal/validate"
)

const token = "0123456789abcdef0123456789abcdef01234567"

// campus fills a fake NetBox with a small campus: three selected prefixes
// (two on VLANs, one in a VRF-less lab), one prefix another team keeps
// with a custom status, IP ranges, and addresses on device and VM
// interfaces with NetBox 4.2+ MAC objects.
func campus(t testing.TB) (*netboxtest.Server, *model.NetBox) {
	s := netboxtest.New(token).Start(t)
	s.MaxPageSize = 2 // several pages for everything
	s.Add("ipam/prefixes",
		s.Prefix(netboxtest.PrefixSpec{ID: 12, Prefix: "10.0.1.0/24", VLAN: 100, VLANName: "office", Site: "dc1", Role: "dhcp", Tags: []string{"kea"},
			Description: "office LAN", CustomFields: netboxtest.Obj{"kea_subnet_id": 101, "dhcp_gateway": "10.0.1.1/24", "dhcp_dns": "10.0.0.53, 10.0.0.54",
				"dhcp_options": netboxtest.Obj{"domain-search": []any{"office.example.net", "example.net"}}}}),
		s.Prefix(netboxtest.PrefixSpec{ID: 13, Prefix: "10.0.2.0/24", VLAN: 200, VLANName: "voice", Site: "dc1", Role: "dhcp", Tags: []string{"kea"},
			CustomFields: netboxtest.Obj{"dhcp_gateway": "10.0.2.1", "dhcp_valid_lifetime": 7200}}),
		s.Prefix(netboxtest.PrefixSpec{ID: 14, Prefix: "10.0.3.0/24", Site: "dc1", Role: "dhcp", Tags: []string{"kea"}, Description: "lab"}),
		// Not selected: another site, a custom status go-netbox cannot
		// decode, no kea tag.
		s.Prefix(netboxtest.PrefixSpec{ID: 15, Prefix: "10.9.0.0/24", Site: "dc2", Role: "dhcp", Tags: []string{"kea"}}),
		s.Prefix(netboxtest.PrefixSpec{ID: 16, Prefix: "10.0.4.0/24", Status: "dhcp-pool", Site: "dc1", Role: "dhcp", Tags: []string{"kea"}}),
		s.Prefix(netboxtest.PrefixSpec{ID: 17, Prefix: "10.0.5.0/24", Site: "dc1", Role: "dhcp"}),
	)
	s.Add("ipam/ip-ranges",
		s.Range(netboxtest.RangeSpec{ID: 5, Start: "10.0.1.100/24", End: "10.0.1.199/24", Role: "dhcp-pool", Description: "office pool"}),
		s.Range(netboxtest.RangeSpec{ID: 6, Start: "10.0.2.100/24", End: "10.0.2.149/24", Role: "dhcp-pool"}),
		s.Range(netboxtest.RangeSpec{ID: 7, Start: "10.0.2.150/24", End: "10.0.2.199/24", Role: "dhcp-pool"}),
		s.Range(netboxtest.RangeSpec{ID: 8, Start: "10.0.3.10/24", End: "10.0.3.20/24", Role: "static"}),      // not a pool role
		s.Range(netboxtest.RangeSpec{ID: 9, Start: "10.9.0.100/24", End: "10.9.0.200/24", Role: "dhcp-pool"}), // unselected prefix
	)
	s.Add("ipam/ip-addresses",
		s.Address(netboxtest.AddressSpec{ID: 501, Address: "10.0.1.10/24", DNSName: "printer-1.example.net", Interface: 42, IfName: "eth0", Device: "printer-1"}),
		s.Address(netboxtest.AddressSpec{ID: 502, Address: "10.0.1.11/24", Status: "reserved", Interface: 43, IfName: "eth0", Device: "nas-1"}),
		s.Address(netboxtest.AddressSpec{ID: 503, Address: "10.0.2.20/24", Interface: 44, IfName: "eth0", Device: "phone-20"}),                   // two MACs, one primary
		s.Address(netboxtest.AddressSpec{ID: 504, Address: "10.0.3.5/24", Interface: 7, IfName: "ens18", Device: "build-vm", VM: true}),          // VM interface
		s.Address(netboxtest.AddressSpec{ID: 505, Address: "10.0.3.6/24", DNSName: "ghost"}),                                                     // no interface
		s.Address(netboxtest.AddressSpec{ID: 506, Address: "10.0.3.7/24", CustomFields: netboxtest.Obj{"dhcp_hw_address": "02-00-00-00-00-07"}}), // MAC from a custom field
		s.Address(netboxtest.AddressSpec{ID: 507, Address: "10.0.1.12/24", Status: "active", Interface: 45, IfName: "eth0", Device: "ap-1"}),     // status not selected
		s.Address(netboxtest.AddressSpec{ID: 508, Address: "10.9.0.5/24", Interface: 46, IfName: "eth0", Device: "far-1"}),                       // unselected prefix
	)
	s.Add("dcim/mac-addresses",
		s.MAC(77, "AA:BB:CC:DD:EE:01", 42, "eth0", "printer-1", false),
		s.MAC(78, "AA:BB:CC:DD:EE:02", 43, "eth0", "nas-1", false),
		s.MAC(79, "AA:BB:CC:DD:EE:03", 44, "eth0", "phone-20", false),
		s.MAC(80, "AA:BB:CC:DD:EE:04", 44, "eth0", "phone-20", false),
		s.MAC(81, "BC:24:11:00:00:01", 7, "ens18", "build-vm", true),
		s.MAC(82, "AA:BB:CC:DD:EE:05", 45, "eth0", "ap-1", false),
	)
	s.Add("dcim/interfaces", s.Interface(44, "eth0", "phone-20", 80, "AA:BB:CC:DD:EE:04"))
	cfg := &model.NetBox{
		URL:       s.URL + "/",
		Prefixes:  model.NetBoxFilter{Tag: []string{"kea"}, Site: []string{"dc1"}, Role: []string{"dhcp"}},
		Ranges:    model.NetBoxFilter{Role: []string{"dhcp-pool"}},
		Addresses: &model.NetBoxFilter{},
		Pos:       model.Pos{File: "keaops.yaml", Line: 3, Col: 3},
	}
	return s, cfg
}

func opts(s *netboxtest.Server, cfg *model.NetBox) Options {
	o := OptionsFor(cfg, token)
	o.PageSize = 1000
	o.RetryWait = time.Millisecond
	return o
}

func TestFetchAndConvert(t *testing.T) {
	s, cfg := campus(t)
	// "next" links name another host, as behind a misconfigured proxy:
	// keaops must page by offset and never go there.
	var followed atomic.Int32
	decoy := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed.Add(1) }))
	t.Cleanup(decoy.Close)
	s.NextBase = decoy.URL
	// With latency, independent lists and pages overlap; two may be in
	// flight at once, and two are.
	s.Latency = 20 * time.Millisecond
	o := opts(s, cfg)
	o.Concurrency = 2
	snap, err := Fetch(context.Background(), cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int32
	for _, p := range snap.Prefixes {
		ids = append(ids, p.ID)
	}
	if fmt.Sprint(ids) != "[12 13 14]" || len(snap.IPRanges) != 3 || len(snap.Addresses) != 6 {
		t.Fatalf("read prefixes %v, %d ranges, %d addresses; want [12 13 14], 3, 6", ids, len(snap.IPRanges), len(snap.Addresses))
	}
	if n := followed.Load(); n != 0 {
		t.Errorf("followed a next link %d times", n)
	}
	if m := s.MaxInFlight.Load(); m != 2 {
		t.Errorf("%d requests were in flight at most; want the limit, 2", m)
	}

	subnets, res, findings := Convert(snap, cfg, "netbox.json")
	got := describe(subnets, res, findings)
	want := `subnet office 10.0.1.0/24 id 101 (explicit) vlan 100 pools [10.0.1.100-10.0.1.199] options [routers=10.0.1.1 domain-name-servers=10.0.0.53,10.0.0.54 domain-search=office.example.net,example.net] at netbox:ipam/prefixes/12 (10.0.1.0/24)
subnet voice 10.0.2.0/24 id 167772672 vlan 200 pools [10.0.2.100-10.0.2.149 10.0.2.150-10.0.2.199] valid 7200 options [routers=10.0.2.1] at netbox:ipam/prefixes/13 (10.0.2.0/24)
subnet lab 10.0.3.0/24 id 167772928 vlan 0 pools [] options [] at netbox:ipam/prefixes/14 (10.0.3.0/24)
reservation 10.0.1.10 aa:bb:cc:dd:ee:01 printer-1.example.net at netbox:ipam/ip-addresses/501 (10.0.1.10/24)
reservation 10.0.1.11 aa:bb:cc:dd:ee:02 nas-1 at netbox:ipam/ip-addresses/502 (10.0.1.11/24)
reservation 10.0.2.20 aa:bb:cc:dd:ee:04 phone-20 at netbox:ipam/ip-addresses/503 (10.0.2.20/24)
reservation 10.0.3.5 bc:24:11:00:00:01 build-vm at netbox:ipam/ip-addresses/504 (10.0.3.5/24)
reservation 10.0.3.7 02:00:00:00:00:07  at netbox:ipam/ip-addresses/506 (10.0.3.7/24)
netbox:ipam/ip-addresses/505 (10.0.3.6/24): warning: no reservation for 10.0.3.6: it is assigned to no interface; assign it to one with a MAC address, or set the dhcp_hw_address custom field
`
	if got != want {
		t.Errorf("converted:\n%s\nwant:\n%s", got, want)
	}
}

func describe(subnets []*model.Subnet, res []*model.Reservation, findings model.Findings) string {
	var b strings.Builder
	for _, s := range subnets {
		var pools, options []string
		for _, p := range s.Pools {
			pools = append(pools, p.From.String()+"-"+p.To.String())
		}
		for _, o := range s.Options {
			options = append(options, o.Name+"="+strings.Join(o.Values, ","))
		}
		explicit := ""
		if s.IDExplicit {
			explicit = " (explicit)"
		}
		valid := ""
		if s.Lifetimes.Valid != nil {
			valid = fmt.Sprintf(" valid %d", s.Lifetimes.Valid.Value)
		}
		fmt.Fprintf(&b, "subnet %s %s id %d%s vlan %d pools %v%s options %v at %s\n", s.Name, s.Prefix, s.ID, explicit, s.VLAN, pools, valid, options, s.Pos)
	}
	for _, r := range res {
		fmt.Fprintf(&b, "reservation %s %s %s at %s\n", r.IP, r.HWAddress, r.Hostname, r.Pos)
	}
	for _, f := range findings {
		fmt.Fprintln(&b, f)
	}
	return b.String()
}

// TestSnapshotDeterministic: the same objects give the same bytes, however
// NetBox orders them and however the pages interleave; the file reads
// back to the same snapshot.
func TestSnapshotDeterministic(t *testing.T) {
	s, cfg := campus(t)
	var first []byte
	for i := range 3 {
		if i == 2 { // same objects, listed in reverse
			for k, objs := range s.Objects {
				for a, b := 0, len(objs)-1; a < b; a, b = a+1, b-1 {
					objs[a], objs[b] = objs[b], objs[a]
				}
				s.Objects[k] = objs
			}
		}
		snap, err := Fetch(context.Background(), cfg, opts(s, cfg))
		if err != nil {
			t.Fatal(err)
		}
		b, err := snap.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = b
		} else if !bytes.Equal(first, b) {
			t.Fatalf("read %d gave different bytes:\n%s\nvs\n%s", i, b, first)
		}
	}
	for _, bad := range []string{"created", "last_updated", "2025-03-01", token, "owner_team"} {
		if bytes.Contains(first, []byte(bad)) {
			t.Errorf("the snapshot holds %q", bad)
		}
	}
	back, findings := ParseSnapshot("netbox.json", first)
	if len(findings) > 0 {
		t.Fatal(findings)
	}
	again, _ := back.Marshal()
	if !bytes.Equal(again, first) {
		t.Errorf("a snapshot read back writes different bytes:\n%s", again)
	}
	// A live read and its snapshot file give the same model.
	live, _ := Fetch(context.Background(), cfg, opts(s, cfg))
	ls, lr, lf := Convert(live, cfg, "live")
	fs, fr, ff := Convert(back, cfg, "netbox.json")
	if describe(ls, lr, lf) != describe(fs, fr, ff) {
		t.Errorf("live and snapshot differ:\n%s\nvs\n%s", describe(ls, lr, lf), describe(fs, fr, ff))
	}
}

func TestFetchFailures(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*netboxtest.Server, *model.NetBox, *Options)
		want  []string // in the error
	}{
		{"wrong token", func(s *netboxtest.Server, _ *model.NetBox, o *Options) { o.Token = "wrong-token-value" },
			[]string{"NetBox refused GET /api/ipam/prefixes/?", "403 Forbidden (Invalid token)", "check sources.netbox.token"}},
		{"server errors beyond the retries", func(s *netboxtest.Server, _ *model.NetBox, o *Options) { s.Fail.Store(10); o.Retries = 2 },
			[]string{"GET /api/ipam/prefixes/?", "502 Bad Gateway (after 2 retries)"}},
		{"malformed JSON", func(s *netboxtest.Server, _ *model.NetBox, _ *Options) {
			s.Malformed = map[string]string{"ipam/ip-ranges": `{"count": 3, "results": [{"id": 5,`}
		}, []string{"GET /api/ipam/ip-ranges/?", "not a NetBox list", "unexpected end of JSON input"}},
		{"an HTML error page with status 200", func(s *netboxtest.Server, _ *model.NetBox, _ *Options) {
			s.Malformed = map[string]string{"ipam/prefixes": `<!DOCTYPE html><html><body>Sign in</body></html>`}
		}, []string{"GET /api/ipam/prefixes/?", "not a NetBox list", "<!DOCTYPE html>"}},
		{"a selected object with an undecodable value", func(s *netboxtest.Server, cfg *model.NetBox, _ *Options) {
			cfg.Prefixes.Status = []string{"active", "dhcp-pool"}
		}, []string{"netbox:ipam/prefixes/16 (10.0.4.0/24) cannot be read", "dhcp-pool is not a valid PrefixStatus", "narrow the selection"}},
		{"an object missing a required field", func(s *netboxtest.Server, _ *model.NetBox, _ *Options) {
			for _, a := range s.Objects["ipam/ip-addresses"] {
				if a["id"] == 503 {
					delete(a, "nat_outside")
				}
			}
		}, []string{"netbox:ipam/ip-addresses/503 (10.0.2.20/24) cannot be read", "nat_outside"}},
		{"a redirect to another host", func(s *netboxtest.Server, cfg *model.NetBox, o *Options) {
			other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "" {
					t.Error("the token went to another host")
				}
			}))
			t.Cleanup(other.Close)
			redirect := httptest.NewServer(http.RedirectHandler(strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+"/api/ipam/prefixes/", http.StatusFound))
			t.Cleanup(redirect.Close)
			o.URL = redirect.URL
		}, []string{"NetBox redirected to http://localhost:", "keaops only talks to 127.0.0.1:"}},
		{"no token", func(_ *netboxtest.Server, _ *model.NetBox, o *Options) { o.Token = "" }, []string{"no NetBox API token"}},
		{"an empty body with status 200", func(s *netboxtest.Server, _ *model.NetBox, _ *Options) {
			s.Malformed = map[string]string{"dcim/mac-addresses": ""}
		}, []string{"NetBox GET /api/dcim/mac-addresses/: the answer is empty"}},
	}
	var logs bytes.Buffer // every test's debug log, retries included
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, cfg := campus(t)
			o := opts(s, cfg)
			o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			tt.setup(s, cfg, &o)
			_, err := Fetch(context.Background(), cfg, o)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("the error shows the token: %v", err)
			}
		})
	}
	if !strings.Contains(logs.String(), "retrying request") || strings.Contains(logs.String(), token) {
		t.Errorf("want retries logged, without the token:\n%s", logs.String())
	}
}

// TestRequestLinesStayShort: with hundreds of prefixes and thousands of
// interfaces, batching keeps every request line under gunicorn's default
// limit (4,094 bytes), which many NetBox installations run behind.
func TestRequestLinesStayShort(t *testing.T) {
	s := netboxtest.New(token).Start(t)
	netboxtest.FillLarge(s, 120, 25)
	cfg := &model.NetBox{URL: s.URL, Prefixes: model.NetBoxFilter{Tag: []string{"kea"}, Site: []string{"dc1"}}, Ranges: model.NetBoxFilter{Role: []string{"dhcp-pool"}}, Addresses: &model.NetBoxFilter{}}
	snap, err := Fetch(context.Background(), cfg, opts(s, cfg))
	if err != nil || len(snap.Addresses) != 3000 {
		t.Fatalf("%v; read %d addresses", err, len(snap.Addresses))
	}
	longest := ""
	for _, q := range s.Queries() {
		if len(q) > len(longest) {
			longest = q
		}
	}
	if line := len("GET " + longest + " HTTP/1.1"); line > 4094 || line < 1000 {
		t.Errorf("the longest request line is %d bytes: %s", line, longest)
	} else {
		t.Logf("longest request line: %d bytes", line)
	}
}

func TestFetchRecovers(t *testing.T) {
	t.Run("server errors then success", func(t *testing.T) {
		s, cfg := campus(t)
		s.Fail.Store(2)
		if _, err := Fetch(context.Background(), cfg, opts(s, cfg)); err != nil {
			t.Fatal(err)
		}
		if s.Fail.Load() > 0 {
			t.Error("the failures were not served")
		}
	})
	t.Run("bearer token", func(t *testing.T) {
		s, cfg := campus(t)
		s.Token = "nbt_AbCdEf012345.0123456789abcdef0123456789abcdef"
		o := opts(s, cfg)
		o.Token = s.Token
		if _, err := Fetch(context.Background(), cfg, o); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("an edit between pages is read again", func(t *testing.T) {
		s, cfg := campus(t)
		// The server selects a page's objects before OnPage runs, and the
		// later pages are read concurrently: an edit while the first page
		// is served is what every later page sees.
		var edited atomic.Bool
		s.OnPage = func(endpoint string, offset int) {
			if endpoint == "ipam/ip-addresses" && offset == 0 && edited.CompareAndSwap(false, true) {
				s.Add("ipam/ip-addresses", s.Address(netboxtest.AddressSpec{ID: 600, Address: "10.0.1.60/24", Interface: 42, IfName: "eth0", Device: "printer-1"}))
			}
		}
		snap, err := Fetch(context.Background(), cfg, opts(s, cfg))
		if err != nil {
			t.Fatal(err)
		}
		if !edited.Load() || len(snap.Addresses) != 7 {
			t.Errorf("edited %v, %d addresses; want the new one read too (7)", edited.Load(), len(snap.Addresses))
		}
	})
	t.Run("an empty selection", func(t *testing.T) {
		s, cfg := campus(t)
		cfg.Prefixes.Tag = []string{"no-such-tag"}
		snap, err := Fetch(context.Background(), cfg, opts(s, cfg))
		if err != nil {
			t.Fatal(err)
		}
		subnets, res, findings := Convert(snap, cfg, "netbox.json")
		if len(subnets)+len(res) != 0 || len(findings) != 1 || !strings.Contains(findings[0].String(), "matched no prefixes") {
			t.Errorf("got %d subnets, %d reservations, findings %v", len(subnets), len(res), findings)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		s, cfg := campus(t)
		s.Latency = 50 * time.Millisecond
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		if _, err := Fetch(ctx, cfg, opts(s, cfg)); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v; want the deadline", err)
		}
	})
}

func TestConvertFindings(t *testing.T) {
	base := func() *Snapshot {
		return &Snapshot{Format: 1, NetBox: "https://NetBox.example.net", Prefixes: []Prefix{{ID: 1, Display: "10.0.1.0/24", Prefix: "10.0.1.0/24", VLAN: &VLAN{VID: 10, Name: "lan"}}}}
	}
	cfg := &model.NetBox{URL: "https://netbox.example.net/", Addresses: &model.NetBoxFilter{}, Pos: model.Pos{File: "keaops.yaml", Line: 4, Col: 3}}
	tests := []struct {
		name string
		edit func(*Snapshot)
		want string
	}{
		{"subnet id out of range", func(s *Snapshot) { s.Prefixes[0].CustomFields = map[string]any{"kea_subnet_id": 0.0} },
			`netbox:ipam/prefixes/1 (10.0.1.0/24): error: custom field kea_subnet_id: 0 is not a whole number from 1 to 4294967294`},
		{"gateway not an address", func(s *Snapshot) { s.Prefixes[0].CustomFields = map[string]any{"dhcp_gateway": "10.0.1.300"} },
			`netbox:ipam/prefixes/1 (10.0.1.0/24): error: custom field dhcp_gateway: "10.0.1.300" is not a list of IPv4 addresses`},
		{"options not an object", func(s *Snapshot) { s.Prefixes[0].CustomFields = map[string]any{"dhcp_options": "domain-search=x"} },
			`netbox:ipam/prefixes/1 (10.0.1.0/24): error: custom field dhcp_options: "domain-search=x" is not a JSON object of option names and values`},
		{"option set twice", func(s *Snapshot) {
			s.Prefixes[0].CustomFields = map[string]any{"dhcp_gateway": "10.0.1.1", "dhcp_options": map[string]any{"routers": "10.0.1.2"}}
		}, `netbox:ipam/prefixes/1 (10.0.1.0/24): error: option "routers" is set both by custom field dhcp_options and by another custom field: set it once`},
		{"range outside the prefixes", func(s *Snapshot) {
			s.IPRanges = []IPRange{{ID: 3, Display: "10.0.1.250-10.0.2.10/24", Start: "10.0.1.250", End: "10.0.2.10"}}
		}, `netbox:ipam/ip-ranges/3 (10.0.1.250-10.0.2.10/24): error: range 10.0.1.250-10.0.2.10 is not inside one selected prefix of its VRF: keaops cannot tell which subnet it is a pool of`},
		{"range in another VRF", func(s *Snapshot) {
			s.IPRanges = []IPRange{{ID: 3, Display: "r", Start: "10.0.1.10", End: "10.0.1.20", VRF: &VRF{ID: 2, Name: "guest"}}}
		}, `netbox:ipam/ip-ranges/3 (r): error: range 10.0.1.10-10.0.1.20 is not inside one selected prefix of its VRF: keaops cannot tell which subnet it is a pool of`},
		{"bad MAC custom field", func(s *Snapshot) {
			s.Addresses = []IPAddress{{ID: 9, Display: "10.0.1.9/24", Address: "10.0.1.9/24", CustomFields: map[string]any{"dhcp_hw_address": "zz:zz"}}}
		}, `netbox:ipam/ip-addresses/9 (10.0.1.9/24): error: custom field dhcp_hw_address: "zz:zz": `},
		{"device name that is no host name", func(s *Snapshot) {
			s.Addresses = []IPAddress{{ID: 9, Display: "10.0.1.9/24", Address: "10.0.1.9/24", Interface: &Interface{Type: "dcim.interface", ID: 1, Name: "eth0", Parent: "Printer (upstairs)", MAC: "aa:bb:cc:dd:ee:ff"}}}
		}, `netbox:ipam/ip-addresses/9 (10.0.1.9/24): warning: device name "Printer (upstairs)" is not a host name, so the reservation for 10.0.1.9 has none; set the address's DNS name`},
		{"several MACs and no primary", func(s *Snapshot) {
			s.Addresses = []IPAddress{{ID: 9, Display: "10.0.1.9/24", Address: "10.0.1.9/24", Interface: &Interface{Type: "dcim.interface", ID: 1, Name: "eth0", Parent: "sw", MACs: []string{"aa:bb:cc:dd:ee:01", "aa:bb:cc:dd:ee:02"}}}}
		}, `netbox:ipam/ip-addresses/9 (10.0.1.9/24): warning: no reservation for 10.0.1.9: interface eth0 of sw has 2 MAC addresses (aa:bb:cc:dd:ee:01, aa:bb:cc:dd:ee:02) and no primary one; mark one primary in NetBox`},
		{"taken from another NetBox", func(s *Snapshot) { s.NetBox = "https://netbox-staging.example.net" },
			`keaops.yaml:4:3: error: netbox.json was taken from https://netbox-staging.example.net, but keaops.yaml reads NetBox at https://netbox.example.net/`},
		{"selection changed since the snapshot", func(s *Snapshot) { s.Selection.Prefixes.Tag = []string{"kea"} },
			`keaops.yaml:4:3: error: netbox.json was taken with another selection than keaops.yaml asks for`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			s.Selection = SelectionOf(cfg)
			tt.edit(s)
			_, _, findings := Convert(s, cfg, "netbox.json")
			var all []string
			for _, f := range findings {
				all = append(all, f.String())
			}
			if len(all) != 1 || !strings.HasPrefix(all[0], tt.want) {
				t.Errorf("findings:\n%s\nwant one starting:\n%s", strings.Join(all, "\n"), tt.want)
			}
		})
	}
}

func TestParseSnapshotErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "netbox.json:1:1: error: the file is empty"},
		{"{\n  \"format\": 1,\n  \"prefixes\": [{\"id\": \"12\"}]\n}", `netbox.json:3:27: error: prefixes.id: want int32, not a JSON string`},
		{"{\n  \"format\": 1,\n  \"prefix\": []\n}", `netbox.json:3:3: error: unknown field "prefix"`},
		{"{\"format\": 1,\n\"prefixes\": [}", `netbox.json:2:14: error: invalid character '}' looking for beginning of value`},
		{"{\"format\": 2}", `netbox.json: error: snapshot format 2 is not one this keaops reads (1)`},
		{"{\"format\": 1} {}", `netbox.json:1:15: error: unexpected data after the snapshot object`},
		{"{\"format\": 1, \"prefixes\": [{\"id\": 3}],\n\"ip-addresses\": [{\"id\": 3},\n {\"id\": 30}, {\"id\": 3}]}", `netbox.json:3:15: error: ip-addresses: object 3 appears twice`},
	}
	for _, tt := range tests {
		_, findings := ParseSnapshot("netbox.json", []byte(tt.in))
		if len(findings) != 1 || !strings.HasPrefix(findings[0].String(), tt.want) {
			t.Errorf("ParseSnapshot(%q) = %v; want %q", tt.in, findings, tt.want)
		}
	}
}

// TestFetchPrivateCA: an HTTPS NetBox with a private CA is trusted with
// ca-file, and refused without it.
func TestFetchPrivateCA(t *testing.T) {
	s, ca := netboxtest.New(token).StartTLS(t)
	s.Add("ipam/prefixes", s.Prefix(netboxtest.PrefixSpec{ID: 1, Prefix: "10.0.1.0/24"}))
	cfg := &model.NetBox{URL: s.URL, Addresses: &model.NetBoxFilter{}}
	o := opts(s, cfg)
	o.Retries = 0
	if _, err := Fetch(context.Background(), cfg, o); err == nil || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
		t.Errorf("without the CA: %v", err)
	}
	o.CAFile = ca
	snap, err := Fetch(context.Background(), cfg, o)
	if err != nil || len(snap.Prefixes) != 1 {
		t.Errorf("with the CA: %v", err)
	}
	o.CAFile = filepath.Join(t.TempDir(), "missing.pem")
	if _, err := Fetch(context.Background(), cfg, o); err == nil || !strings.Contains(err.Error(), "reading the NetBox CA bundle") {
		t.Errorf("a missing CA file: %v", err)
	}
}

// TestPoolsGoToTheMostSpecificPrefix: a range inside a selected /16 and a
// selected /24 of the same VRF is a pool of the /24; the same addresses in
// another VRF are a pool of that VRF's prefix.
func TestPoolsGoToTheMostSpecificPrefix(t *testing.T) {
	cfg := &model.NetBox{Pos: model.Pos{File: "keaops.yaml"}}
	s := &Snapshot{Format: 1, Selection: SelectionOf(cfg),
		Prefixes: []Prefix{
			{ID: 1, Display: "10.0.0.0/16", Prefix: "10.0.0.0/16", Description: "site"},
			{ID: 2, Display: "10.0.1.0/24", Prefix: "10.0.1.0/24", Description: "lan"},
			{ID: 3, Display: "10.0.1.0/24", Prefix: "10.0.1.0/24", Description: "guest", VRF: &VRF{ID: 7, Name: "guest"}},
		},
		IPRanges: []IPRange{
			{ID: 10, Display: "a", Start: "10.0.1.100", End: "10.0.1.200"},
			{ID: 11, Display: "b", Start: "10.0.2.100", End: "10.0.2.200"},
			{ID: 12, Display: "c", Start: "10.0.1.10", End: "10.0.1.20", VRF: &VRF{ID: 7}},
		},
	}
	subnets, _, findings := Convert(s, cfg, "netbox.json")
	got := describe(subnets, nil, findings)
	want := `subnet site 10.0.0.0/16 id 167772160 vlan 0 pools [10.0.2.100-10.0.2.200] options [] at netbox:ipam/prefixes/1 (10.0.0.0/16)
subnet lan 10.0.1.0/24 id 167772416 vlan 0 pools [10.0.1.100-10.0.1.200] options [] at netbox:ipam/prefixes/2 (10.0.1.0/24)
subnet guest 10.0.1.0/24 id 167772416 vlan 0 pools [10.0.1.10-10.0.1.20] options [] at netbox:ipam/prefixes/3 (10.0.1.0/24)
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// Secret placeholder text in NetBox's dhcp_options custom field is an
// error at check, at the NetBox object: resolved at apply time, it would
// hand the site's API password to every DHCP client.
func TestPlaceholderFromNetBox(t *testing.T) {
	s := &Snapshot{Format: 1, Prefixes: []Prefix{{ID: 1, Display: "10.0.1.0/24", Prefix: "10.0.1.0/24", VLAN: &VLAN{VID: 10, Name: "lan"},
		CustomFields: map[string]any{"dhcp_options": map[string]any{"domain-name": "${keaops-secret:env:KEA_API_PASSWORD}"}}}}}
	cfg := &model.NetBox{Addresses: &model.NetBoxFilter{}}
	s.Selection = SelectionOf(cfg)
	subnets, _, findings := Convert(s, cfg, "netbox.json")
	if findings.HasErrors() {
		t.Fatal(findings)
	}
	var got []string
	for _, f := range validate.Site(&model.Site{KeaVersion: model.Version{Major: 2, Minor: 2}, HA: model.HA{Mode: model.HANone}, Subnets: subnets}) {
		if f.Check == "secret" {
			got = append(got, f.String())
		}
	}
	want := "netbox:ipam/prefixes/1 (10.0.1.0/24): error: option domain-name holds secret placeholder text"
	if len(got) != 1 || !strings.HasPrefix(got[0], want) {
		t.Errorf("findings %q, want one starting %q", got, want)
	}
}
