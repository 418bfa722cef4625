package validate_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/validate"
	"github.com/keaops/keaops/sources/yamlsrc"
)

// A single node without HA: cases that are not about HA start here.
const baseSite = `kea-version: "2.2"
nodes:
  - name: kea1
    control-url: http://127.0.0.1:8000/
`

const baseSubnets = `subnets:
  - name: IoT
    prefix: 10.30.30.0/24
    pools: [10.30.30.100-10.30.30.199]
`

type tc struct {
	name         string
	site         string // keaops.yaml; baseSite when empty
	subnets      string // subnets.yaml; baseSubnets when empty
	reservations string // reservations.yaml; none when empty
	want         []string
}

// run loads the case through the real YAML source, so positions are the
// ones a user sees, and compares every finding exactly.
func run(t *testing.T, cases []tc) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			write := func(name, body, def string) {
				if body == "" {
					body = def
				}
				if body == "" {
					return
				}
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			write("keaops.yaml", c.site, baseSite)
			write("subnets.yaml", c.subnets, baseSubnets)
			write("reservations.yaml", c.reservations, "")
			site, findings, err := yamlsrc.Load(context.Background(), filepath.Join(dir, "keaops.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if site == nil {
				t.Fatalf("no site: %v", findings)
			}
			findings = append(findings, validate.Site(site)...)
			findings.Sort()
			var got []string
			for _, f := range findings {
				got = append(got, strings.ReplaceAll(f.String(), dir+string(filepath.Separator), ""))
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("findings:\n  got:\n    %s\n  want:\n    %s", strings.Join(got, "\n    "), strings.Join(c.want, "\n    "))
			}
		})
	}
}

func TestSubnets(t *testing.T) {
	run(t, []tc{
		{name: "valid", want: nil},
		{name: "overlap", subnets: `subnets:
  - name: Core
    prefix: 10.0.0.0/16
  - name: Lab
    prefix: 10.0.5.0/24
`, want: []string{"subnets.yaml:5:13: error: subnet Lab (10.0.5.0/24) overlaps subnet Core (10.0.0.0/16) at subnets.yaml:3:13"}},
		{name: "overlap found past a small subnet", subnets: `subnets:
  - name: Big
    prefix: 10.0.0.0/8
  - name: Small
    prefix: 10.1.0.0/24
  - name: Late
    prefix: 10.200.0.0/16
`, want: []string{
			"subnets.yaml:5:13: error: subnet Small (10.1.0.0/24) overlaps subnet Big (10.0.0.0/8) at subnets.yaml:3:13",
			"subnets.yaml:7:13: error: subnet Late (10.200.0.0/16) overlaps subnet Big (10.0.0.0/8) at subnets.yaml:3:13",
		}},
		{name: "host bits set", subnets: `subnets:
  - name: Lab
    prefix: 10.0.5.1/24
`, want: []string{"subnets.yaml:3:13: error: prefix 10.0.5.1/24 has host bits set: did you mean 10.0.5.0/24?"}},
		{name: "duplicate prefix", subnets: `subnets:
  - name: A
    prefix: 10.0.5.0/24
  - name: B
    prefix: 10.0.5.0/24
`, want: []string{"subnets.yaml:5:13: error: prefix 10.0.5.0/24 is also subnet A at subnets.yaml:3:13"}},
		{name: "duplicate name", subnets: `subnets:
  - name: A
    prefix: 10.0.5.0/24
  - name: A
    prefix: 10.0.6.0/24
`, want: []string{"subnets.yaml:4:5: error: subnet name \"A\" is already used by 10.0.5.0/24 at subnets.yaml:2:5"}},
		{name: "duplicate explicit id", subnets: `subnets:
  - name: A
    prefix: 10.0.5.0/24
    id: 7
  - name: B
    prefix: 10.0.6.0/24
    id: 7
`, want: []string{"subnets.yaml:7:9: error: subnet id 7 of B (explicit) is already used by A (explicit) at subnets.yaml:2:5"}},
		{name: "explicit id collides with derived id", subnets: `subnets:
  - name: A
    prefix: 0.0.0.7/32
    id: 9
  - name: B
    prefix: 10.0.6.0/24
    id: 7
  - name: C
    prefix: 0.0.0.7/32
`, want: []string{
			"subnets.yaml:9:13: error: prefix 0.0.0.7/32 is also subnet A at subnets.yaml:3:13",
			"subnets.yaml:9:13: error: subnet id 7 of C (derived from 0.0.0.7) is already used by B (explicit) at subnets.yaml:5:5; give one of them an explicit id",
		}},
		{name: "id out of range", subnets: `subnets:
  - name: A
    prefix: 10.0.5.0/24
    id: 4294967295
`, want: []string{"subnets.yaml:4:9: error: subnets.0.id: invalid value 4294967295: want a subnet id from 1 to 4294967294"}},
		{name: "id zero", subnets: `subnets:
  - name: A
    prefix: 10.0.5.0/24
    id: 0
`, want: []string{"subnets.yaml:4:9: error: subnets.0.id: invalid value 0: want a subnet id from 1 to 4294967294"}},
		{name: "no id derivable from 0.0.0.0", subnets: `subnets:
  - name: A
    prefix: 0.0.0.0/24
`, want: []string{"subnets.yaml:3:5: error: no id can be derived from 0.0.0.0/24: set an explicit id"}},
	})
}

func TestPools(t *testing.T) {
	run(t, []tc{
		{name: "outside subnet", subnets: `subnets:
  - name: A
    prefix: 10.0.5.0/24
    pools: [10.0.6.10-10.0.6.20]
`, want: []string{"subnets.yaml:4:13: error: pool 10.0.6.10-10.0.6.20 is outside subnet A (10.0.5.0/24)"}},
		{name: "reversed", subnets: `subnets:
  - name: A
    prefix: 10.0.5.0/24
    pools:
      - 10.0.5.200 - 10.0.5.100
`, want: []string{"subnets.yaml:5:9: error: pool 10.0.5.200-10.0.5.100 is reversed: the first address is after the last"}},
		{name: "overlap in one subnet", subnets: `subnets:
  - name: A
    prefix: 10.0.5.0/24
    pools:
      - 10.0.5.100-10.0.5.150
      - range: 10.0.5.150-10.0.5.160
`, want: []string{"subnets.yaml:6:16: error: pool 10.0.5.150-10.0.5.160 overlaps pool 10.0.5.100-10.0.5.150 of subnet A at subnets.yaml:5:9"}},
		{name: "network and broadcast", subnets: `subnets:
  - name: A
    prefix: 10.0.5.0/24
    pools: [10.0.5.0/24]
`, want: []string{
			"subnets.yaml:4:13: error: pool 10.0.5.0-10.0.5.255 includes the broadcast address 10.0.5.255 of 10.0.5.0/24",
			"subnets.yaml:4:13: error: pool 10.0.5.0-10.0.5.255 includes the network address 10.0.5.0 of 10.0.5.0/24",
		}},
		{name: "pool prefix with host bits", subnets: `subnets:
  - name: A
    prefix: 10.0.5.0/24
    pools: [10.0.5.129/25]
`, want: []string{"subnets.yaml:4:13: error: pool 10.0.5.129/25 has host bits set: did you mean 10.0.5.128/25?"}},
		{name: "exhausted by reservations", subnets: `subnets:
  - name: A
    prefix: 10.0.5.0/24
    pools: [10.0.5.10-10.0.5.11]
`, reservations: `reservations:
  - {hw-address: "02:00:00:00:00:01", ip-address: 10.0.5.10}
  - {hw-address: "02:00:00:00:00:02", ip-address: 10.0.5.11}
`, want: []string{
			"reservations.yaml:2:51: warning: ip-address 10.0.5.10 is inside the dynamic pool 10.0.5.10-10.0.5.11 of A: Kea gives it only to this host, but the subnet cannot use reservations-out-of-pool (faster, and no conflicts with leases already handed out); move it out of the pool",
			"reservations.yaml:3:51: warning: ip-address 10.0.5.11 is inside the dynamic pool 10.0.5.10-10.0.5.11 of A: Kea gives it only to this host, but the subnet cannot use reservations-out-of-pool (faster, and no conflicts with leases already handed out); move it out of the pool",
			"subnets.yaml:4:13: error: pool 10.0.5.10-10.0.5.11 is exhausted by reservations: all 2 addresses are reserved (first at reservations.yaml:2:51), none is left for dynamic clients",
		}},
	})
}

func TestReservations(t *testing.T) {
	run(t, []tc{
		{name: "broadcast MAC and a router outside the subnet", reservations: "reservations:\n  - hw-address: \"FF:FF:FF:FF:FF:FF\"\n    ip-address: 10.30.30.5\n    options: {routers: 10.31.0.1}\n",
			want: []string{
				"reservations.yaml:2:17: warning: hw-address ff:ff:ff:ff:ff:ff is no device's address (a placeholder?): no client will ever get this reservation",
				"reservations.yaml:4:15: warning: routers 10.31.0.1 of the reservation for 10.30.30.5 is outside its subnet IoT (10.30.30.0/24): the host could not reach it",
			}},
		{name: "valid with inferred and named subnets", reservations: `reservations:
  - {hostname: a, hw-address: "02:00:00:00:00:01", ip-address: 10.30.30.10}
  - {hostname: b, hw-address: "02:00:00:00:00:02", ip-address: 10.30.30.11, subnet: IoT}
  - {hostname: c, client-id: "01:02:00:00:00:00:03", ip-address: 10.30.30.12, subnet: 10.30.30.0/24}
`},
		{name: "duplicate ip", reservations: `reservations:
  - {hostname: a, hw-address: "02:00:00:00:00:01", ip-address: 10.30.30.10}
  - {hostname: b, hw-address: "02:00:00:00:00:02", ip-address: 10.30.30.10}
`, want: []string{"reservations.yaml:3:64: error: ip-address 10.30.30.10 is already reserved for a at reservations.yaml:2:64"}},
		{name: "duplicate mac in any spelling", reservations: `reservations:
  - {hw-address: "02:00:00:00:00:0A", ip-address: 10.30.30.10}
  - {hw-address: "02-00-00-00-00-0a", ip-address: 10.30.30.11}
  - {hw-address: "0200.0000.000a", ip-address: 10.30.30.12}
`, want: []string{
			"reservations.yaml:3:18: error: hw-address 02:00:00:00:00:0a is already reserved in subnet IoT for hw-address 02:00:00:00:00:0a at reservations.yaml:2:18",
			"reservations.yaml:4:18: error: hw-address 02:00:00:00:00:0a is already reserved in subnet IoT for hw-address 02:00:00:00:00:0a at reservations.yaml:2:18",
		}},
		{name: "same mac in two subnets is legal", subnets: `subnets:
  - {name: A, prefix: 10.0.1.0/24}
  - {name: B, prefix: 10.0.2.0/24}
`, reservations: `reservations:
  - {hw-address: "02:00:00:00:00:0a", ip-address: 10.0.1.10}
  - {hw-address: "02:00:00:00:00:0a", ip-address: 10.0.2.10}
`},
		{name: "duplicate client-id", reservations: `reservations:
  - {client-id: "01:02:03:04", ip-address: 10.30.30.10}
  - {client-id: "01020304", ip-address: 10.30.30.11}
`, want: []string{"reservations.yaml:3:17: error: client-id 01:02:03:04 is already reserved in subnet IoT for client-id 01:02:03:04 at reservations.yaml:2:17"}},
		{name: "outside named subnet", subnets: `subnets:
  - {name: A, prefix: 10.0.1.0/24}
  - {name: B, prefix: 10.0.2.0/24}
`, reservations: `reservations:
  - {hw-address: "02:00:00:00:00:0a", ip-address: 10.0.2.10, subnet: A}
`, want: []string{"reservations.yaml:2:51: error: ip-address 10.0.2.10 is outside subnet A (10.0.1.0/24)"}},
		{name: "unknown subnet", reservations: `reservations:
  - {hw-address: "02:00:00:00:00:0a", ip-address: 10.30.30.10, subnet: Lab}
`, want: []string{"reservations.yaml:2:72: error: subnet \"Lab\" does not exist"}},
		{name: "in no subnet", reservations: `reservations:
  - {hw-address: "02:00:00:00:00:0a", ip-address: 192.0.2.10}
`, want: []string{"reservations.yaml:2:51: error: ip-address 192.0.2.10 is in no subnet"}},
		// A subnet with an error of its own is left out of the model; the
		// reservations it would hold are not reported again.
		{name: "in a subnet dropped for its own error", subnets: `subnets:
  - {name: IoT, prefix: 10.30.30.0/24, dns: [10.30.30.1, "bad value"]}
  - {name: Lab, prefix: 10.40.40.0/24, lifetime: 60}
`, reservations: `reservations:
  - {hw-address: "02:00:00:00:00:0a", ip-address: 10.30.30.10}
  - {hw-address: "02:00:00:00:00:0b", ip-address: 10.99.0.10, subnet: Lab}
  - {hw-address: "02:00:00:00:00:0c", ip-address: 10.50.0.10}
`, want: []string{
			"reservations.yaml:4:51: error: ip-address 10.50.0.10 is in no subnet",
			"subnets.yaml:2:58: error: subnets.0.dns.1: invalid value \"bad value\": want an IPv4 address or a list of them",
			"subnets.yaml:3:40: error: unknown field \"lifetime\"",
		}},
		{name: "a subnet that is not a mapping", subnets: "subnets:\n  - 10.30.30.0/24\n", reservations: `reservations:
  - {hw-address: "02:00:00:00:00:0a", ip-address: 10.30.30.10}
`, want: []string{"subnets.yaml:2:5: error: subnets.0: want a mapping (key: value), not the value \"10.30.30.0/24\""}},
		{name: "subnets file unreadable", subnets: "subnets:\n  - name: IoT\n   prefix: 10.30.30.0/24\n", reservations: `reservations:
  - {hw-address: "02:00:00:00:00:0a", ip-address: 10.30.30.10}
`, want: []string{"subnets.yaml:3:4: error: invalid YAML: did not find expected '-' indicator"}},
		{name: "network and broadcast", reservations: `reservations:
  - {hw-address: "02:00:00:00:00:0a", ip-address: 10.30.30.0}
  - {hw-address: "02:00:00:00:00:0b", ip-address: 10.30.30.255}
`, want: []string{
			"reservations.yaml:2:51: error: ip-address 10.30.30.0 is the network address of IoT (10.30.30.0/24)",
			"reservations.yaml:3:51: error: ip-address 10.30.30.255 is the broadcast address of IoT (10.30.30.0/24)",
		}},
		{name: "duplicate hostname is a warning", reservations: `reservations:
  - {hostname: cam, hw-address: "02:00:00:00:00:0a", ip-address: 10.30.30.10}
  - {hostname: CAM, hw-address: "02:00:00:00:00:0b", ip-address: 10.30.30.11}
`, want: []string{"reservations.yaml:3:16: warning: hostname \"CAM\" is also used by the reservation for 10.30.30.10 at reservations.yaml:2:16"}},
		{name: "no identifier", reservations: `reservations:
  - {hostname: cam, ip-address: 10.30.30.10}
`, want: []string{"reservations.yaml:2:5: error: reservation for 10.30.30.10 has no identifier: set hw-address, client-id, duid, circuit-id or flex-id"}},
		{name: "two identifiers", reservations: `reservations:
  - {hw-address: "02:00:00:00:00:0a", client-id: "01:02", ip-address: 10.30.30.10}
`, want: []string{"reservations.yaml:2:50: error: both hw-address and client-id are set: Kea matches a reservation on one identifier, keep one"}},
	})
}

func TestOptionsAndGateway(t *testing.T) {
	run(t, []tc{
		{name: "unknown option with suggestion", subnets: `subnets:
  - name: A
    prefix: 10.0.5.0/24
    options:
      domain-name-server: 10.0.0.1
`, want: []string{"subnets.yaml:5:7: error: unknown DHCPv4 option \"domain-name-server\" (did you mean \"domain-name-servers\"?)"}},
		{name: "wrong types", subnets: `subnets:
  - name: A
    prefix: 10.0.5.0/24
    options:
      routers: notanip
      interface-mtu: 70000
      ip-forwarding: maybe
      domain-name: [a.example, b.example]
`, want: []string{
			"subnets.yaml:5:7: error: option \"routers\": value \"notanip\" is not an IPv4 address",
			"subnets.yaml:6:7: error: option \"interface-mtu\": value \"70000\" is not an unsigned 16-bit integer",
			"subnets.yaml:7:7: error: option \"ip-forwarding\": value \"maybe\" is not true or false",
			"subnets.yaml:8:7: error: option \"domain-name\" takes one value, not a list of 2",
		}},
		{name: "options on every level", site: baseSite + `defaults:
  options: {ntp-servers: x}
client-classes:
  - {name: voip, options: {tftp-server-name: ""}}
`, subnets: `subnets:
  - name: A
    prefix: 10.0.5.0/24
    pools:
      - {range: 10.0.5.100-10.0.5.200, options: {routers: 10.0.5.300}}
`, reservations: `reservations:
  - {hw-address: "02:00:00:00:00:0a", ip-address: 10.0.5.10, options: {boot-size: -1}}
`, want: []string{
			"keaops.yaml:6:13: error: option \"ntp-servers\": value \"x\" is not an IPv4 address",
			"keaops.yaml:8:28: error: option \"tftp-server-name\" has no value",
			"reservations.yaml:2:72: error: option \"boot-size\": value \"-1\" is not an unsigned 16-bit integer",
			"subnets.yaml:5:50: error: option \"routers\": value \"10.0.5.300\" is not an IPv4 address",
		}},
		{name: "option set twice", subnets: `subnets:
  - name: A
    prefix: 10.0.5.0/24
    gateway: 10.0.5.1
    options:
      routers: 10.0.5.2
`, want: []string{"subnets.yaml:6:7: error: option \"routers\" is also set at line 4: set it once"}},
		{name: "gateway outside subnet and inside pool", subnets: `subnets:
  - name: A
    prefix: 10.0.5.0/24
    gateway: 10.0.6.1
  - name: B
    prefix: 10.0.7.0/24
    pools: [10.0.7.1-10.0.7.100]
    gateway: 10.0.7.1
  - name: C
    prefix: 10.0.8.0/24
    gateway: 10.0.8.255
`, want: []string{
			"subnets.yaml:4:14: error: gateway 10.0.6.1 is outside subnet A (10.0.5.0/24)",
			"subnets.yaml:8:14: error: gateway 10.0.7.1 is inside the pool 10.0.7.1-10.0.7.100: Kea would lease the router's address to a client",
			"subnets.yaml:11:14: error: gateway 10.0.8.255 is the network or broadcast address of 10.0.8.0/24",
		}},
		{name: "computed option warns", subnets: `subnets:
  - name: A
    prefix: 10.0.5.0/24
    options: {dhcp-lease-time: 3600}
`, want: []string{"subnets.yaml:4:15: warning: option \"dhcp-lease-time\" is computed by Kea: set valid-lifetime instead"}},
	})
}

func TestLifetimes(t *testing.T) {
	run(t, []tc{
		{name: "zero valid", site: baseSite + "defaults:\n  valid-lifetime: 0\n",
			want: []string{"keaops.yaml:6:19: error: valid-lifetime 0: every lease would expire at once"}},
		{name: "renew >= rebind in defaults", site: baseSite + "defaults:\n  renew-timer: 1800\n  rebind-timer: 1800\n  valid-lifetime: 3600\n",
			want: []string{"keaops.yaml:7:17: error: renew-timer 1800 must be less than rebind-timer 1800"}},
		{name: "subnet override against defaults", site: baseSite + "defaults:\n  valid-lifetime: 3600\n  renew-timer: 900\n  rebind-timer: 1800\n",
			subnets: `subnets:
  - name: A
    prefix: 10.0.5.0/24
    rebind-timer: 7200
`, want: []string{"subnets.yaml:4:19: error: rebind-timer 7200 must be less than valid-lifetime 3600 in subnet A"}},
	})
}

func TestClientClasses(t *testing.T) {
	run(t, []tc{
		{name: "undefined references", site: baseSite + "client-classes:\n  - {name: voip}\n", subnets: `subnets:
  - name: A
    prefix: 10.0.5.0/24
    client-class: voip
    pools:
      - {range: 10.0.5.100-10.0.5.200, client-class: printers}
`, reservations: `reservations:
  - {hw-address: "02:00:00:00:00:0a", ip-address: 10.0.5.10, client-classes: [voip, KNOWN, cameras]}
`, want: []string{
			"reservations.yaml:2:5: error: client class \"cameras\" is not defined in client-classes of the site file",
			"subnets.yaml:6:17: error: client class \"printers\" is not defined in client-classes of the site file",
		}},
		{name: "duplicate and builtin definitions", site: baseSite + "client-classes:\n  - {name: voip}\n  - {name: voip}\n  - {name: KNOWN}\n",
			want: []string{
				"keaops.yaml:7:5: error: client class \"voip\" is already defined at keaops.yaml:6:5",
				"keaops.yaml:8:5: error: client class \"KNOWN\" is built into Kea and cannot be redefined",
			}},
		// The position is the character at fault, inside the quotes.
		{name: "tests Kea would refuse", site: baseSite + "client-classes:\n  - name: ipxe\n    test: \"option[175].exist\"\n  - name: mac\n    test: pkt4.mac ==\n  - {name: later, test: \"member('ipxe') and member('after')\"}\n  - {name: after}\n",
			want: []string{
				"keaops.yaml:7:24: error: client class ipxe: test \"option[175].exist\": expected text, hex or exists, found \"exist\"",
				"keaops.yaml:9:22: error: client class mac: test \"pkt4.mac ==\": expected a value, found the end of the expression",
				"keaops.yaml:10:52: error: client class later: test \"member('ipxe') and member('after')\": member('after'): no such class is defined before this one (Kea allows only earlier classes and its built-in ones)",
			}},
	})
}

const pairNodes = `nodes:
  - name: kea1
    role: primary
    control-url: http://127.0.0.1:8001/
    ha-url: http://127.0.0.1:8101/
  - name: kea2
    role: standby
    control-url: http://127.0.0.1:8002/
    ha-url: http://127.0.0.1:8102/
`

func TestHA(t *testing.T) {
	hs := "kea-version: \"2.4\"\nha:\n  mode: hot-standby\n"
	run(t, []tc{
		{name: "valid hot-standby pair", site: hs + pairNodes},
		{name: "two nodes without HA", site: "kea-version: \"2.4\"\n" + pairNodes,
			want: []string{"keaops.yaml:7:5: error: 2 nodes without HA would each serve the same pools and hand out the same addresses twice: set ha.mode"}},
		{name: "duplicate names and two primaries", site: hs + strings.ReplaceAll(strings.ReplaceAll(pairNodes, "kea2", "kea1"), "standby", "primary"),
			want: []string{
				"keaops.yaml:2:1: error: hot-standby needs exactly one primary node, found 2",
				"keaops.yaml:2:1: error: hot-standby needs exactly one standby node, found 0",
				"keaops.yaml:9:5: error: node name \"kea1\" is already used at keaops.yaml:5:5",
			}},
		{name: "role invalid for mode", site: "kea-version: \"2.4\"\nha:\n  mode: load-balancing\n" + pairNodes,
			want: []string{
				"keaops.yaml:2:1: error: load-balancing needs exactly one secondary node, found 0",
				"keaops.yaml:10:5: error: role standby is not valid in load-balancing mode: use one of primary, secondary, backup",
			}},
		{name: "passive-backup needs a backup", site: "kea-version: \"2.4\"\nha:\n  mode: passive-backup\n" + strings.ReplaceAll(pairNodes, "standby", "backup")},
		{name: "peer url by name", site: hs + strings.ReplaceAll(pairNodes, "ha-url: http://127.0.0.1:8102/", "ha-url: http://kea2.lan:8102/"),
			want: []string{"keaops.yaml:12:5: error: ha-url host \"kea2.lan\" must be an IP address: Kea does not resolve names for HA peers"}},
		{name: "same port twice", site: hs + strings.ReplaceAll(pairNodes, "8102", "8001"),
			want: []string{"keaops.yaml:12:5: error: node kea2: HA listener 127.0.0.1:8001 is already used by the control URL of node kea1"}},
		{name: "dedicated listener on the control port", site: hs + strings.ReplaceAll(pairNodes, "8101", "8001"),
			want: []string{"keaops.yaml:8:5: error: node kea1: ha-url 127.0.0.1:8001 is the control URL, but with the dedicated HA listener kea-dhcp4 binds it itself: give it its own port"}},
		{name: "2.2 default goes through the control agent", site: "kea-version: \"2.2\"\nha:\n  mode: hot-standby\n" + pairNodes,
			want: []string{
				"keaops.yaml:8:5: error: node kea1: without the dedicated HA listener its partner reaches it through the Control Agent, so ha-url must equal control-url (http://127.0.0.1:8001/)",
				"keaops.yaml:12:5: error: node kea2: without the dedicated HA listener its partner reaches it through the Control Agent, so ha-url must equal control-url (http://127.0.0.1:8002/)",
			}},
		{name: "dedicated listener needs core multi-threading", site: "kea-version: \"2.2\"\nha:\n  mode: hot-standby\n  multi-threading: {enable: true, dedicated-listener: true}\n" + pairNodes,
			want: []string{"keaops.yaml:2:1: error: HA multi-threading (needed for the dedicated HA listener) requires multi-threading.enable: true for kea-dhcp4 itself"}},
		{name: "timers over uint16", site: hs + "  heartbeat-delay: 10000\n  max-response-delay: 70000\n  max-ack-delay: 0\n" + pairNodes,
			want: []string{"keaops.yaml:5:23: error: max-response-delay 70000 is over 65535 ms, the most Kea 2.4 accepts (config-test passes it, config-set then fails and stops DHCP)"}},
		{name: "delayed updates outside load-balancing", site: hs + "  delayed-updates-limit: 10\n" + pairNodes,
			want: []string{"keaops.yaml:4:26: error: delayed-updates-limit must be 0 in hot-standby mode (Kea refuses to load HA otherwise): it applies to load-balancing only"}},
		{name: "response delay not above heartbeat", site: hs + "  heartbeat-delay: 10000\n  max-response-delay: 10000\n" + pairNodes,
			want: []string{"keaops.yaml:5:23: warning: max-response-delay 10000 should be greater than heartbeat-delay 10000, or a single late heartbeat declares the partner down"}},
		{name: "HA listener reachable without client certificates", site: hs + strings.ReplaceAll(pairNodes, "127.0.0.1:81", "10.0.0.1:81"),
			want: []string{
				"keaops.yaml:8:5: warning: node kea1: the HA listener 10.0.0.1:8101 checks no credentials (Kea ignores basic auth there): anyone who reaches it can send HA commands (lease updates, maintenance); use https with cert-required: true, or keep it on a network only the partner reaches",
				"keaops.yaml:12:5: warning: node kea2: the HA listener 10.0.0.1:8102 checks no credentials (Kea ignores basic auth there): anyone who reaches it can send HA commands (lease updates, maintenance); use https with cert-required: true, or keep it on a network only the partner reaches",
			}},
		{name: "HA listener open to every command", site: hs + "  restrict-commands: false\n" + strings.ReplaceAll(strings.ReplaceAll(pairNodes, "127.0.0.1:81", "10.0.0.1:81"), "    ha-url: http://10.0.0.1:8102/\n", "    ha-url: http://127.0.0.1:8102/\n"),
			want: []string{
				"keaops.yaml:9:5: warning: node kea1: the HA listener 10.0.0.1:8101 takes every command without authentication (restrict-commands: false, no TLS client certificates): anyone who reaches it can read the config, passwords included, and change it",
			}},
		{name: "missing role and ha-url", site: hs + `nodes:
  - name: kea1
    role: primary
    control-url: http://127.0.0.1:8001/
    ha-url: http://127.0.0.1:8101/
  - name: kea2
    control-url: http://127.0.0.1:8002/
`, want: []string{
			"keaops.yaml:2:1: error: hot-standby needs exactly one standby node, found 0",
			"keaops.yaml:9:5: error: node kea2 has no ha-url: in hot-standby mode its partner must know where to reach it",
			"keaops.yaml:9:5: error: node kea2 has no role: hot-standby needs one of primary, standby, backup",
		}},
	})
}

func TestSecrets(t *testing.T) {
	run(t, []tc{
		{name: "literal password", site: baseSite + "control-auth:\n  user: kea-api\n  password: hunter2\n",
			want: []string{"keaops.yaml:7:13: error: control-auth.password: invalid value \"hunter2\": want a secret reference such as {env: KEA_API_PASSWORD} or {file: /etc/keaops/kea-api.pass}"}},
		{name: "both env and file", site: baseSite + "control-auth:\n  user: kea-api\n  password: {env: X, file: /x}\n",
			want: []string{"keaops.yaml:7:13: error: a secret reference takes exactly one of env or file"}},
		{name: "plain http across the network", site: strings.ReplaceAll(baseSite, "127.0.0.1", "10.0.0.1") + "control-auth:\n  user: kea-api\n  password: {env: KEA_API_PASSWORD}\n",
			want: []string{"keaops.yaml:4:5: warning: node kea1: basic-auth credentials would cross the network unencrypted over http; use https"}},
		{name: "database without host", site: baseSite + "lease-database:\n  type: mysql\n  name: kea\n  user: kea\n  password: {file: /etc/kea/db.pass}\n",
			want: []string{"keaops.yaml:5:1: error: a mysql lease database needs host"}},
		// The site's own control-auth reference, as data: Kea would hand
		// the API password to every client if it were resolved.
		{name: "placeholder as option data", site: baseSite + "control-auth:\n  user: kea-api\n  password: {env: KEA_API_PASSWORD}\n",
			subnets:      baseSubnets + "    options:\n      domain-name: \"${keaops-secret:env:KEA_API_PASSWORD}\"\n",
			reservations: "reservations:\n  - hw-address: \"02:00:00:00:00:01\"\n    ip-address: 10.30.30.5\n    options: {root-path: \"x${keaops-secret:file:/etc/shadow}\"}\n",
			want: []string{
				"reservations.yaml:4:15: error: option root-path holds secret placeholder text (${keaops-secret:…): secrets are given as {env: NAME} or {file: PATH} where keaops takes them, never as data",
				"subnets.yaml:6:7: error: option domain-name holds secret placeholder text (${keaops-secret:…): secrets are given as {env: NAME} or {file: PATH} where keaops takes them, never as data",
			}},
		{name: "placeholder in a class test and a comment", site: baseSite + "client-classes:\n  - name: c\n    test: \"option[12].text == '${keaops-secret:env:X}'\"\n    comment: \"${keaops-secret:env:Y}\"\n",
			want: []string{
				"keaops.yaml:6:5: error: comment holds secret placeholder text (${keaops-secret:…): secrets are given as {env: NAME} or {file: PATH} where keaops takes them, never as data",
				"keaops.yaml:6:5: error: test holds secret placeholder text (${keaops-secret:…): secrets are given as {env: NAME} or {file: PATH} where keaops takes them, never as data",
			}},
	})
}

// The findings type must sort stably by position however checks ran.
func TestFindingsSorted(t *testing.T) {
	fs := model.Findings{
		model.Errorf(model.Pos{File: "b", Line: 1}, "x", "m"),
		model.Errorf(model.Pos{File: "a", Line: 10, Col: 2}, "x", "m"),
		model.Warnf(model.Pos{File: "a", Line: 2, Col: 9}, "x", "m"),
	}
	fs.Sort()
	got := fs[0].Pos.String() + " " + fs[1].Pos.String() + " " + fs[2].Pos.String()
	if got != "a:2:9 a:10:2 b:1" {
		t.Errorf("order = %s", got)
	}
}

func TestHooks(t *testing.T) {
	hs := "kea-version: \"3.0\"\nha:\n  mode: hot-standby\n"
	both := strings.ReplaceAll(pairNodes, "    ha-url: http://127.0.0.1:8102/\n", "    ha-url: http://127.0.0.1:8102/\n    hooks: [subnet_cmds, host_cmds]\n")
	both = strings.Replace(both, "    ha-url: http://127.0.0.1:8101/\n", "    ha-url: http://127.0.0.1:8101/\n    hooks: [host_cmds, subnet_cmds]\n", 1)
	run(t, []tc{
		{name: "both nodes, any order", site: hs + both},
		{name: "one node only", site: hs + strings.Replace(pairNodes, "    ha-url: http://127.0.0.1:8102/\n", "    ha-url: http://127.0.0.1:8102/\n    hooks: [host_cmds]\n", 1),
			want: []string{"keaops.yaml:13:5: error: node kea2 loads hooks [host_cmds] but kea1 loads []: the nodes of a pair load the same hooks"}},
		{name: "a hook Kea does not have", site: hs + strings.Replace(both, "[host_cmds, subnet_cmds]", "[host_cmds, flex_id]", 1),
			want: []string{
				// The schema drops the node, so the pair lacks its primary.
				"keaops.yaml:2:1: error: hot-standby needs exactly one primary node, found 0",
				`keaops.yaml:9:24: error: nodes.0.hooks.1: invalid value "flex_id": want host_cmds or subnet_cmds: hook libraries the node's Kea has, which let keaops change reservations, pools and options live`,
			}},
		{name: "Kea 2.6", site: strings.Replace(hs, "3.0", "2.6", 1) + both,
			want: []string{
				"keaops.yaml:9:5: warning: Kea 2.6 packages from distributions do not ship [host_cmds subnet_cmds] (open source from 2.7.7): list them only if this node has ISC's subscriber hooks, or config-test fails",
				"keaops.yaml:14:5: warning: Kea 2.6 packages from distributions do not ship [subnet_cmds host_cmds] (open source from 2.7.7): list them only if this node has ISC's subscriber hooks, or config-test fails",
			}},
	})
}
