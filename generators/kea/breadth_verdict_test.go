package kea

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keaops/keaops/internal/artifact"
	"github.com/keaops/keaops/internal/diff"
	"github.com/keaops/keaops/internal/keatest"
	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/validate"
	"github.com/keaops/keaops/sources/keaconfig"
	"github.com/keaops/keaops/sources/yamlsrc"
)

// breadthCase is a site written in YAML, with Kea's verdict on its render
// per version line: ok unless the line is in rejectOn.
type breadthCase struct {
	name                        string
	site, subnets, reservations string
	rejectOn                    []string // "2.2", "2.6", "3.0"; "*" for all
	keaopsOnly                  bool     // a mistake Kea accepts silently; keaops refuses it
	// keaopsRejectsOn: lines where Kea takes it but keaops refuses it
	// (Kea prints back something else: a diff that would never end).
	keaopsRejectsOn []string
}

func (c breadthCase) ok(line string) bool {
	for _, l := range c.rejectOn {
		if l == line || l == "*" {
			return false
		}
	}
	return true
}

const ddnsSite = `defaults:
  dhcp-ddns: {enable-updates: true}
  ddns-send-updates: true
  ddns-qualifying-suffix: home.arpa.
ddns:
  tsig-keys:
    - {name: k1, algorithm: HMAC-SHA256, secret: {env: DDNS_KEY}}
  forward:
    - {name: home.arpa., key: k1, servers: [127.0.0.1]}
  reverse:
    - {name: 30.30.10.in-addr.arpa., servers: [{ip: 127.0.0.1, port: 5353, key: k1}]}
`

const breadthSubnet = "  - {name: IoT, prefix: 10.30.30.0/24, pools: [10.30.30.100-10.30.30.200]}\n"

var breadthCases = []breadthCase{
	{name: "a class named VENDOR_CLASS_docsis", site: "client-classes:\n  - {name: VENDOR_CLASS_docsis3.0, options: {tftp-server-name: cm.lan}}\n"},
	{name: "redefining KNOWN", site: "client-classes:\n  - {name: KNOWN}\n", keaopsOnly: true},
	{name: "an escaped comma in option data", subnets: "subnets:\n  - {name: IoT, prefix: 10.30.30.0/24, options: {host-name: 'a\\,b'}}\n"},
	{name: "classless-static-route", subnets: "subnets:\n  - {name: IoT, prefix: 10.30.30.0/24, options: {classless-static-route: '10.0.0.0/8 - 10.30.30.1'}}\n", rejectOn: []string{"2.2"}},
	{name: "a site option from option-def", site: "option-def:\n  - {name: site-id, code: 224, type: uint16}\ndefaults:\n  options: {site-id: 42}\n"},
	{name: "a site option with a bad value", site: "option-def:\n  - {name: site-id, code: 224, type: uint16}\ndefaults:\n  options: {site-id: 70000}\n", rejectOn: []string{"*"}},
	{name: "option-def redefining a standard option's code", site: "option-def:\n  - {name: my-dns, code: 6, type: ipv4-address}\n", rejectOn: []string{"*"}},
	{name: "vendor options in option 43", site: `option-def:
  - {name: acs-server, code: 1, type: ipv4-address, space: vendor-encapsulated-options-space}
defaults:
  options:
    vendor-encapsulated-options: {data: ""}
    acs-server: {data: 10.0.0.5, space: vendor-encapsulated-options-space}
`},
	{name: "an option in a space without a definition", site: "defaults:\n  options:\n    acs-server: {data: 10.0.0.5, space: vendor-encapsulated-options-space}\n", rejectOn: []string{"*"}},
	{name: "a shared network", subnets: `shared-networks:
  - {name: floor-1, relay: 10.0.0.1, valid-lifetime: 600, authoritative: true, dns: 10.0.0.53}
subnets:
  - {name: A, prefix: 10.1.0.0/24, shared-network: floor-1, pools: [10.1.0.10-10.1.0.20]}
  - {name: B, prefix: 10.2.0.0/24, shared-network: floor-1, match-client-id: false}
` + breadthSubnet},
	{name: "two shared networks of one name", subnets: `shared-networks:
  - {name: floor-1}
  - {name: floor-1}
subnets:
  - {name: A, prefix: 10.1.0.0/24, shared-network: floor-1}
`, rejectOn: []string{"*"}},
	{name: "offer-lifetime", site: "defaults: {offer-lifetime: 60}\n", rejectOn: []string{"2.2"}},
	{name: "ddns-conflict-resolution-mode", site: "defaults: {ddns-conflict-resolution-mode: no-check-with-dhcid}\n", rejectOn: []string{"2.2"}},
	{name: "global settings", site: `defaults:
  authoritative: true
  echo-client-id: false
  match-client-id: false
  host-reservation-identifiers: [hw-address, client-id, flex-id]
  expired-leases-processing: {hold-reclaimed-time: 1800}
  dhcp-ddns: {enable-updates: true, server-port: 53099}
  ddns-send-updates: true
  ddns-qualifying-suffix: home.arpa.
  calculate-tee-times: true
  t1-percent: 0.4
  next-server: 10.0.0.9
  boot-file-name: pxelinux.0
`},
	{name: "class fields", site: "client-classes:\n  - {name: pxe, test: \"option[93].hex == 0x0000\", next-server: 10.0.0.9, boot-file-name: pxelinux.0, valid-lifetime: 300, max-valid-lifetime: 600}\n"},
	{name: "global and address-less reservations", subnets: "subnets:\n" + breadthSubnet, reservations: `reservations:
  - {global: true, hw-address: "02:00:00:00:00:01", hostname: everywhere}
  - {global: true, duid: "00:03:00:01:02:00:00:00:00:02", ip-address: 10.30.30.20}
  - {subnet: IoT, circuit-id: "'port-7'", hostname: sensor-7}
  - {subnet: IoT, flex-id: "01:02:03", client-classes: [lab], next-server: 10.30.30.5}
`, site: "client-classes:\n  - {name: lab}\n"},
	{name: "escape hatch at every scope", site: `kea:
  dhcp4o6-port: 6767
  interfaces-config: {dhcp-socket-type: udp}
client-classes:
  - {name: lab, kea: {option-def: []}}
`, subnets: `shared-networks:
  - {name: floor-1, kea: {user-context: {floor: 1}}}
subnets:
  - name: A
    prefix: 10.1.0.0/24
    shared-network: floor-1
    kea: {"4o6-interface": eth9}
    pools: [{range: 10.1.0.10-10.1.0.20, kea: {user-context: {rack: 3}}}]
`, reservations: "reservations:\n  - {hw-address: \"02:00:00:00:00:03\", ip-address: 10.1.0.3, kea: {user-context: {asset: 7}}}\n"},
	{name: "loggers, hook libraries and host databases", site: `loggers:
  - name: kea-dhcp4
    severity: DEBUG
    debuglevel: 40
    output-options: [{output: stdout, pattern: "%d %m\\n"}]
  - {name: kea-dhcp4.leases, severity: INFO, output-options: [{output: /var/log/kea/leases.log, maxver: 4, maxsize: 2048000, flush: false}]}
hooks-libraries:
  - {library: libdhcp_stat_cmds.so}
  - library: libdhcp_flex_option.so
    parameters: {options: [{code: 67, add: "ifelse(option[host-name].exists,concat(option[host-name].text,'.boot'),'')"}]}
hosts-databases:
  - {type: postgresql, name: kea, host: 127.0.0.1, user: kea, password: {env: KEA_HOSTS_DB}, kea: {connect-timeout: 5, readonly: true}}
lease-database: {type: memfile, lfc-interval: 1800, kea: {max-row-errors: 10}}
`},
	{name: "a hook library keaops loads itself", site: "hooks-libraries:\n  - {library: libdhcp_lease_cmds.so}\n", keaopsOnly: true},
	{name: "several classes on a subnet and a pool", site: "client-classes:\n  - {name: a}\n  - {name: b}\n",
		subnets:  "subnets:\n  - {name: A, prefix: 10.1.0.0/24, client-classes: [a, b], pools: [{range: 10.1.0.10-10.1.0.20, client-classes: [b, a]}]}\n",
		rejectOn: []string{"2.2", "2.6"}},
	{name: "require-client-classes", site: "client-classes:\n  - {name: a, only-if-required: true}\n",
		subnets:         "subnets:\n  - {name: A, prefix: 10.1.0.0/24, require-client-classes: [a], pools: [{range: 10.1.0.10-10.1.0.20, require-client-classes: [a]}]}\n",
		keaopsRejectsOn: []string{"3.0"}},
	{name: "ddns-use-conflict-resolution", site: "defaults: {ddns-use-conflict-resolution: false}\n", keaopsRejectsOn: []string{"2.6", "3.0"}},
	{name: "evaluate-additional-classes", site: "client-classes:\n  - {name: a, only-if-required: true}\n",
		subnets:  "subnets:\n  - {name: A, prefix: 10.1.0.0/24, evaluate-additional-classes: [a], pools: [{range: 10.1.0.10-10.1.0.20, evaluate-additional-classes: [a]}]}\n",
		rejectOn: []string{"2.2", "2.6"}},
	{name: "ddns", site: ddnsSite, subnets: "subnets:\n  - {name: IoT, prefix: 10.30.30.0/24, ddns-qualifying-suffix: iot.home.arpa.}\n"},
	{name: "ddns with a key that no tsig-keys defines", site: strings.Replace(ddnsSite, "key: k1}", "key: k2}", 1), keaopsOnly: true},
	{name: "ddns with a forward zone without its trailing dot", site: strings.Replace(ddnsSite, "name: home.arpa.", "name: home.arpa", 1), keaopsOnly: true},
	{name: "a template class", site: "client-classes:\n  - {name: per-circuit, template-test: \"substring(relay4[1].hex, 0, 4)\", valid-lifetime: 600}\n", rejectOn: []string{"2.2"}},
	{name: "a raw key the model owns", subnets: "subnets:\n  - {name: A, prefix: 10.1.0.0/24, kea: {valid-lifetime: 600}}\n", keaopsOnly: true},
	{name: "raw that clashes with the render", subnets: "subnets:\n  - {name: A, prefix: 10.1.0.0/24, kea: {user-context: {name: other}}}\n", keaopsOnly: true},
	{name: "a literal secret in raw", site: "kea:\n  hosts-database: {type: postgresql, name: kea, user: kea, password: hunter2}\n", keaopsOnly: true},
}

// TestBreadthAgreesWithKea: for what real configurations use, keaops's
// check gives Kea's verdict, on every Kea version the tests provide — and
// where Kea accepts a mistake silently (keaopsOnly), keaops still refuses.
func TestBreadthAgreesWithKea(t *testing.T) {
	for _, k := range keatest.Versions(t) {
		t.Run(k.Line, func(t *testing.T) {
			for _, c := range breadthCases {
				t.Run(c.name, func(t *testing.T) { breadthVerdict(t, k, c) })
			}
		})
	}
}

func breadthVerdict(t *testing.T, k keatest.Kea, c breadthCase) {
	s, ok := breadthSite(t, k.Line, c)
	if want := c.ok(k.Line) && !c.keaopsOnly && !slices.Contains(c.keaopsRejectsOn, k.Line); ok != want {
		t.Errorf("keaops check ok %v; want %v", ok, want)
	}
	if c.keaopsOnly || s == nil {
		return
	}
	onThisMachine(s)
	nodes, err := Render(s)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	// Every file of the node, each by its own daemon's -t: the verdict
	// is the worst of them.
	var errs []error
	for _, f := range nodes[0].Files {
		p := filepath.Join(t.TempDir(), f.Name)
		os.WriteFile(p, withSecrets(t, f), 0o600)
		check := map[string]func(context.Context, string) error{Dhcp4File: k.CheckConfig, AgentFile: k.CheckAgentConfig, D2File: k.CheckD2Config}[f.Name]
		if err := check(context.Background(), p); err != nil {
			errs = append(errs, err)
		}
	}
	if (len(errs) == 0) != c.ok(k.Line) {
		t.Errorf("kea -t: %v; the table says ok %v", errs, c.ok(k.Line))
	}
}

// breadthSite loads a case for a version line and checks it as keaops
// check does; ok reports no errors. The site is returned when it loads.
func breadthSite(t *testing.T, line string, c breadthCase) (*model.Site, bool) {
	t.Helper()
	dir := t.TempDir()
	site := "kea-version: \"" + line + "\"\nnodes:\n  - {name: kea1, control-url: \"http://127.0.0.1:8000/\"}\n" + c.site
	files := map[string]string{"keaops.yaml": site, "subnets.yaml": c.subnets, "reservations.yaml": c.reservations}
	if files["subnets.yaml"] == "" {
		files["subnets.yaml"] = "subnets:\n" + breadthSubnet
	}
	for name, data := range files {
		if data != "" {
			os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644)
		}
	}
	s, findings, err := yamlsrc.Load(context.Background(), filepath.Join(dir, "keaops.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if s == nil {
		t.Logf("findings: %v", findings)
		return nil, false
	}
	findings = append(findings, validate.Site(s)...)
	findings = append(findings, Check(s)...)
	if findings.HasErrors() {
		t.Logf("findings: %v", findings)
	}
	return s, !findings.HasErrors()
}

// roundTrip holds a rendered kea-dhcp4.json to the site it came from.
func roundTrip(t *testing.T, want *model.Site, file []byte) {
	t.Helper()
	dhcp4, err := keaconfig.Unwrap(file)
	if err != nil {
		t.Fatal(err)
	}
	have, err := keaconfig.Parse(dhcp4, "rendered")
	if err != nil {
		t.Fatal(err)
	}
	if cs := diff.Sites(have, want); len(cs) > 0 {
		var lines []string
		for _, c := range cs {
			lines = append(lines, c.String())
		}
		t.Errorf("%d changes after a round trip:\n  %s", len(cs), strings.Join(lines, "\n  "))
	}
	if d := model.Drift(have); d != nil {
		t.Errorf("drift right after rendering: %v", d)
	}
	if len(have.Unmodelled) > 0 {
		t.Errorf("unmodelled after a round trip: %v", have.Unmodelled)
	}
	if have.Raw.Text() != want.Raw.Text() {
		t.Errorf("global escape hatch %s, rendered from %s", have.Raw.Text(), want.Raw.Text())
	}
	for i, sn := range have.Subnets {
		if i < len(want.Subnets) && sn.Raw.Empty() != want.Subnets[i].Raw.Empty() {
			t.Errorf("subnet %s: escape hatch %s", sn.Prefix, sn.Raw.Text())
		}
	}
}

// TestBreadthRoundTrip: each breadth case keaops accepts renders to its
// golden file for every version keaops renders for, and reads back
// (keaconfig) as what it was rendered from: no change, no drift, nothing
// in the escape hatch the site did not put there, nothing unmodelled.
func TestBreadthRoundTrip(t *testing.T) {
	for _, v := range Versions {
		for _, c := range breadthCases {
			if c.keaopsOnly {
				continue
			}
			t.Run(v.String()+"/"+c.name, func(t *testing.T) {
				s, ok := breadthSite(t, v.String(), c)
				if !ok {
					t.Skipf("not a Kea %s config (keaops check refuses it, as TestBreadthAgreesWithKea holds against real Kea)", v)
				}
				nodes, err := Render(s)
				if err != nil {
					t.Fatal(err)
				}
				dir := filepath.Join("testdata", "breadth", strings.ReplaceAll(c.name, " ", "-"))
				for _, f := range nodes[0].Files {
					switch f.Name {
					case Dhcp4File:
						golden(t, filepath.Join(dir, v.String()+".json"), f.Data)
						roundTrip(t, s, f.Data)
					case D2File:
						golden(t, filepath.Join(dir, v.String()+"."+D2File), f.Data)
					}
				}
			})
		}
	}
}

// testSecret is what every secret reference resolves to in these tests:
// base64, as a TSIG key's secret must be.
const testSecret = "a2Vhb3BzLXRlc3Qta2V5LTAxMjM0NTY3ODlhYmNkZWY="

// withSecrets is a rendered file as keaops applies it: its placeholders
// resolved.
func withSecrets(t *testing.T, f File) []byte {
	t.Helper()
	at := make([]artifact.Secret, len(f.Secrets))
	for i, s := range f.Secrets {
		at[i] = artifact.Secret{Offset: s.Offset, Ref: s.Ref}
	}
	data, err := artifact.ResolveSecrets(f.Data, at, func(string) (string, error) { return testSecret, nil })
	if err != nil {
		t.Fatal(err)
	}
	return data
}
