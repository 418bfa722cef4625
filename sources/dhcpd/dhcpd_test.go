package dhcpd

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/keaops/keaops/internal/model"
)

// conf reads a dhcpd.conf held in memory, with the files it includes.
func conf(t *testing.T, files map[string]string) (*Conf, error) {
	t.Helper()
	return read("dhcpd.conf", func(p string) ([]byte, error) {
		s, ok := files[p]
		if !ok {
			return nil, fs.ErrNotExist
		}
		return []byte(s), nil
	})
}

func mustConf(t *testing.T, src string) *Conf {
	t.Helper()
	c, err := conf(t, map[string]string{"dhcpd.conf": src})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSyntaxErrorsArePositioned(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"unclosed block", "subnet 10.0.0.0 netmask 255.0.0.0 {\n  range 10.0.0.1 10.0.0.9;\n", "dhcpd.conf:1:35: the block of \"subnet\" opened here is never closed"},
		{"missing semicolon", "default-lease-time 600\n", `dhcpd.conf:1:1: "default-lease-time 600" is not ended by ';'`},
		{"missing semicolon in a block", "host a {\n  hardware ethernet 02:00:00:00:00:01\n}\n", `dhcpd.conf:2:3: "hardware ethernet 02:00:00:00:00:01;" is not ended by ';' before the '}' at 3:1`},
		{"stray brace", "}\n", "dhcpd.conf:1:1: '}' without a block to close"},
		{"unclosed string", "option domain-name \"x;\n", "dhcpd.conf:1:20: string not closed before the end of the line"},
		{"brace without statement", "{ }", "dhcpd.conf:1:1: '{' without a statement before it"},
		{"missing include", `include "nope.conf";`, `dhcpd.conf:1:1: include: file does not exist`},
		{"include loop", `include "dhcpd.conf";`, "dhcpd.conf includes itself"},
		{"control character", "option\x01 x;", "dhcpd.conf:1:7: unexpected control character 0x01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := conf(t, map[string]string{"dhcpd.conf": tc.src})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v; want %q", err, tc.want)
			}
		})
	}
}

func TestIncludedFilesKeepTheirPositions(t *testing.T) {
	c, err := conf(t, map[string]string{
		"dhcpd.conf": "subnet 10.0.0.0 netmask 255.255.255.0 { }\ninclude \"hosts.conf\";\n",
		"hosts.conf": "# hosts\n\nhost a { hardware ethernet 02:00:00:00:00:01; fixed-address 10.0.0.5; bogus-param 1; }\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Site.Reservations) != 1 || c.Site.Reservations[0].Pos.String() != "hosts.conf:3:1" {
		t.Fatalf("reservations %+v", c.Site.Reservations)
	}
	if len(c.NotConverted) != 1 || !strings.HasPrefix(c.NotConverted[0].String(), "hosts.conf:3:71: bogus-param 1; in host a not converted") {
		t.Errorf("not converted: %v", c.NotConverted)
	}
}

// TestWrongInputIsReportedNotChanged: mistakes in a dhcpd.conf are the
// user's to fix; the import names them where they are and converts the
// rest as it is.
func TestWrongInputIsReportedNotChanged(t *testing.T) {
	c := mustConf(t, `subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.100 10.0.0.200; }
host a { hardware ethernet 02:00:00:00:00:01; fixed-address 10.0.0.5; }
host b { hardware ethernet 02:00:00:00:00:02; fixed-address 10.0.0.5; }
host c { hardware ethernet 02:00:00:00:00:03; fixed-address 192.168.9.9; }
subnet 10.1.0.1 netmask 255.255.255.0 { }
subnet 10.2.0.0 netmask 255.255.255.0 { range 10.3.0.1 10.3.0.9; }
`)
	want := []string{
		"dhcpd.conf:3:61: host b: fixed-address 10.0.0.5 is also host a's (dhcpd.conf:2:1): two clients for one address; converted as it is, for you to decide",
		"dhcpd.conf:4:61: host c: fixed-address 192.168.9.9 is in no subnet of the configuration: dhcpd never hands it out, so it is not converted",
		"dhcpd.conf:5:8: subnet 10.1.0.1 has host bits set for netmask 255.255.255.0: did you mean 10.1.0.0?",
		"dhcpd.conf:6:41: range 10.3.0.1-10.3.0.9 is not inside subnet 10.2.0.0/24",
	}
	var got []string
	for _, f := range c.Wrong {
		got = append(got, f.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("wrong:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	ips := 0
	for _, r := range c.Site.Reservations {
		if r.IP.String() == "10.0.0.5" {
			ips++
		}
	}
	if ips != 2 || len(c.Site.Reservations) != 2 {
		t.Errorf("want both hosts of 10.0.0.5 converted and the one outside every subnet not: %d reservations", len(c.Site.Reservations))
	}
}

func TestFailoverBecomesHA(t *testing.T) {
	peer := func(body string) string {
		return `failover peer "p" { ` + body + ` address 10.0.0.1; peer address 10.0.0.2; max-response-delay 30; }
subnet 10.0.0.0 netmask 255.255.255.0 { pool { failover peer "p"; range 10.0.0.100 10.0.0.200; } }`
	}
	for _, tc := range []struct {
		name, body string
		mode       model.HAMode
		primary    bool
		report     string
	}{
		{"split 128 halves the clients", "primary; mclt 60; split 128;", model.HALoadBalancing, true, "mclt 60; not converted"},
		{"split 255 is hot standby", "primary; mclt 60; split 255;", model.HAHotStandby, true, "mclt 60; not converted"},
		{"another split is reported", "primary; split 64;", model.HALoadBalancing, true, "split 64 not converted exactly"},
		{"the secondary's file", "secondary;", model.HALoadBalancing, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustConf(t, peer(tc.body))
			f := c.Failover
			if f == nil || f.Mode != tc.mode || f.Primary != tc.primary || f.Address.String() != "10.0.0.1" || f.PeerAddress.String() != "10.0.0.2" || f.MaxResponseDelay != 30 {
				t.Fatalf("failover %+v", f)
			}
			found := tc.report == ""
			for _, n := range c.NotConverted {
				found = found || strings.Contains(n.Text, tc.report)
			}
			if !found {
				t.Errorf("no report of %q: %v", tc.report, c.NotConverted)
			}
			if len(c.Site.Subnets) != 1 || len(c.Site.Subnets[0].Pools) != 1 {
				t.Errorf("the failover pool is not converted: %+v", c.Site.Subnets)
			}
		})
	}
}

func TestExpressions(t *testing.T) {
	for _, tc := range []struct{ dhcpd, kea, err string }{
		{`substring(option vendor-class-identifier, 0, 6) = "Aastra"`, `substring(option[60].hex,0,6) == 'Aastra'`, ""},
		{`option user-class = "ipxe"`, `option[77].hex == 'ipxe'`, ""},
		{`exists agent.circuit-id and not (option host-name = "x")`, `(relay4[1].exists) and (not ((option[12].hex == 'x')))`, ""},
		{`substring(hardware, 1, 3) = 00:11:22`, `substring(pkt4.mac,0,3) == 0x001122`, ""},
		{`suffix(option dhcp-client-identifier, 2) != 1:2`, `not (substring(option[61].hex,-2,'all') == 0x0102)`, ""},
		{`option vendor-class-identifier = "it's"`, `option[60].hex == 0x69742773`, ""},
		{`known or option dhcp-message-type = 1`, "", `"1": Kea's expressions have no such term`},
		{`option vendor-class-identifier ~~ "^MSFT"`, "", "regular expressions"},
		{`substring(hardware, 0, 1) = 1`, "", "hardware type"},
		{`pick-first-value(option host-name, "x")`, "", "no such term"},
		{`option foo.bar = "x"`, "", "knows no code"},
	} {
		t.Run(tc.dhcpd, func(t *testing.T) {
			toks, _, err := lex("t", []byte(tc.dhcpd))
			if err != nil {
				t.Fatal(err)
			}
			got, err := translate(toks)
			switch {
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("error %v; want %q", err, tc.err)
			case tc.err == "" && (err != nil || got != tc.kea):
				t.Errorf("got %q (%v); want %q", got, err, tc.kea)
			}
		})
	}
}

// TestScopesAndInheritance: groups flatten into what they hold, a host's
// own parameters win, options by their Kea names.
func TestScopesAndInheritance(t *testing.T) {
	c := mustConf(t, `option domain-name "example.org";
option bootfile-name "global.efi";
option dhcp-renewal-time 900;
group {
  option domain-name "lab.example.org";
  next-server 10.0.0.9;
  subnet 10.0.0.0 netmask 255.255.255.0 {
    option routers 10.0.0.1;
    default-lease-time 600;
    range 10.0.0.100 10.0.0.150;
    group {
      option ntp-servers 10.0.0.123;
      host a { hardware ethernet 02:00:00:00:00:01; fixed-address 10.0.0.5; option ntp-servers 10.0.0.124; }
    }
  }
}
host b { uid 01:02:00:00:00:00:02; }
`)
	s := c.Site
	if len(s.Subnets) != 1 {
		t.Fatal(s.Subnets)
	}
	sn := s.Subnets[0]
	opts := func(list []*model.Option) string {
		var out []string
		for _, o := range list {
			out = append(out, o.Key()+"="+strings.Join(o.Values, ","))
		}
		return strings.Join(out, " ")
	}
	if got := opts(sn.Options); got != "routers=10.0.0.1 domain-name=lab.example.org" {
		t.Errorf("subnet options %s", got)
	}
	if sn.Settings["next-server"].Value != "10.0.0.9" || sn.Lifetimes.Valid.Value != 600 {
		t.Errorf("subnet settings %v lifetimes %v", sn.Settings, sn.Lifetimes)
	}
	if got := opts(s.Defaults.Options); got != "domain-name=example.org boot-file-name=global.efi" || s.Defaults.Lifetimes.Renew.Value != 900 {
		t.Errorf("global options %s, lifetimes %+v", got, s.Defaults.Lifetimes)
	}
	a, b := s.Reservations[0], s.Reservations[1]
	if got := opts(a.Options); got != "ntp-servers=10.0.0.124" || a.Subnet != sn.Name {
		t.Errorf("host a: options %s, subnet %s", got, a.Subnet)
	}
	if !b.Global || b.ClientID != "01:02:00:00:00:00:02" || s.Settings["reservations-global"].Value != true {
		t.Errorf("host b without an address: %+v, global settings %v", b, s.Settings)
	}
}

// TestPoolsInGroups: a pool written in a group belongs to the subnet or
// shared network the group is in; one in no address scope is reported.
func TestPoolsInGroups(t *testing.T) {
	c := mustConf(t, `subnet 10.0.0.0 netmask 255.255.255.0 { group { pool { range 10.0.0.10 10.0.0.20; } } }
shared-network n { subnet 10.1.0.0 netmask 255.255.255.0 { } group { pool { range 10.1.0.10 10.1.0.20; } } }
group { pool { range 10.2.0.1 10.2.0.9; } }
`)
	if len(c.Site.Subnets) != 2 || len(c.Site.Subnets[0].Pools) != 1 || len(c.Site.Subnets[1].Pools) != 1 {
		t.Fatalf("subnets %+v", c.Site.Subnets)
	}
	if len(c.NotConverted) != 1 || !strings.Contains(c.NotConverted[0].String(), "dhcpd.conf:3:9: a pool outside a subnet or shared network") {
		t.Errorf("not converted: %v", c.NotConverted)
	}
}

func TestLeases(t *testing.T) {
	src := `authoring-byte-order little-endian;
server-duid "\000\001";
lease 10.0.0.100 {
  starts 2 2026/12/01 10:00:00;
  ends 2 2026/12/01 11:00:00;
  binding state active;
  hardware ethernet 02:00:00:00:00:01;
  uid "\001\002\000\000\000\000\001";
  client-hostname "laptop";
}
lease 10.0.0.101 {
  starts epoch 1764583200;
  ends never;
  binding state active;
  hardware ethernet 02:00:00:00:00:02;
}
lease 10.0.0.101 {
  starts epoch 1764583200;
  ends epoch 1764586800;
  binding state free;
}
lease 10.0.0.102 {
  ends 2 2026/12/01 11:00:00;
  binding state backup;
}
lease 10.0.0.103 { binding state active; }
`
	l, err := readLeases("dhcpd.leases", func(string) ([]byte, error) { return []byte(src), nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Active) != 1 {
		t.Fatalf("active %+v", l.Active)
	}
	a := l.Active[0]
	if a.IP.String() != "10.0.0.100" || a.HWAddress != "02:00:00:00:00:01" || a.ClientID != "01:02:00:00:00:00:01" || a.Hostname != "laptop" ||
		a.End.Sub(a.Start).Seconds() != 3600 || a.End.UTC().Format("15:04") != "11:00" {
		t.Errorf("lease %+v", a)
	}
	if l.States["active"] != 2 || l.States["free"] != 1 || l.States["backup"] != 1 {
		t.Errorf("states %v", l.States)
	}
	if len(l.Skipped) != 1 || !strings.Contains(l.Skipped[0].String(), "dhcpd.leases:26:1: lease 10.0.0.103: an active lease without an end") {
		t.Errorf("skipped %v", l.Skipped)
	}
}

// FuzzReadConf: any dhcpd.conf, with any included file, reads without a
// panic; a failure is a positioned *Error or an include's.
func FuzzReadConf(f *testing.F) {
	f.Add([]byte(`subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.1 10.0.0.9; pool { allow members of "x"; range 10.0.0.20 10.0.0.30; } }
class "x" { match if substring(option vendor-class-identifier, 0, 3) = "abc"; }
include "inc";`), []byte(`host h { hardware ethernet 02:00:00:00:00:01; fixed-address 10.0.0.5; option host-name "h"; }`))
	f.Add([]byte(`failover peer "p" { primary; address 10.0.0.1; peer address 10.0.0.2; split 128; }
option space s; option s.o code 1 = { ip-address, unsigned integer 8 }; vendor-option-space s;
shared-network n { subnet 10.1.0.0 netmask 255.255.0.0 { } pool { range 10.1.0.1 10.1.0.2; } }`), []byte(`subclass "x" "v" { option domain-name "d"; }`))
	f.Fuzz(func(t *testing.T, main, inc []byte) {
		_, err := read("main", func(p string) ([]byte, error) {
			if p == "main" {
				return main, nil
			}
			return inc, nil
		})
		var pe *Error
		if err != nil && !errors.As(err, &pe) && !strings.Contains(err.Error(), "includes") {
			t.Fatalf("an error without a position: %v", err)
		}
	})
}

// FuzzReadLeases: any dhcpd.leases reads without a panic.
func FuzzReadLeases(f *testing.F) {
	f.Add([]byte("lease 10.0.0.1 { starts 2 2026/12/01 10:00:00; ends epoch 1; binding state active; hardware ethernet 02:00:00:00:00:01; uid \"\\001x\"; }"))
	f.Fuzz(func(t *testing.T, src []byte) {
		_, _ = readLeases("l", func(string) ([]byte, error) { return src, nil })
	})
}
