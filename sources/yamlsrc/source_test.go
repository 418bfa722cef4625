package yamlsrc

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keaops/keaops/internal/model"
)

func writeSite(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func findingStrings(dir string, fs model.Findings) []string {
	fs.Sort()
	var out []string
	for _, f := range fs {
		out = append(out, strings.ReplaceAll(f.String(), dir+string(filepath.Separator), ""))
	}
	return out
}

const okSite = "kea-version: \"2.2\"\nnodes:\n  - {name: kea1, control-url: \"http://127.0.0.1:8000/\"}\n"

func TestBadFiles(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		site  string // path to load, relative to the temp dir
		want  []string
	}{
		{name: "missing site file", files: map[string]string{}, site: "keaops.yaml",
			want: []string{"keaops.yaml: error: file does not exist"}},
		{name: "empty file", files: map[string]string{"keaops.yaml": "\n  \n"},
			want: []string{"keaops.yaml: error: file is empty"}},
		{name: "comments only", files: map[string]string{"keaops.yaml": "# nothing yet\n"},
			want: []string{"keaops.yaml: error: file has no YAML document (only comments?)"}},
		{name: "empty document", files: map[string]string{"keaops.yaml": "---\n# nothing yet\n"},
			want: []string{"keaops.yaml: error: file has an empty YAML document"}},
		{name: "syntax error", files: map[string]string{"keaops.yaml": "kea-version: \"2.2\nnodes: [\n"},
			want: []string{"keaops.yaml:3:1: error: invalid YAML: found unexpected end of stream"}},
		// yaml.v3 names the line the enclosing list starts on (1 here);
		// the mistake is a key indented one space short on line 7.
		{name: "bad indent deep in a list", files: map[string]string{"keaops.yaml": okSite, "reservations.yaml": "reservations:\n" +
			"  - hostname: a\n    hw-address: \"02:00:00:00:00:01\"\n    ip-address: 10.0.0.1\n" +
			"  - hostname: b\n    hw-address: \"02:00:00:00:00:02\"\n   ip-address: 10.0.0.2\n" +
			"  - hostname: c\n    hw-address: \"02:00:00:00:00:03\"\n    ip-address: 10.0.0.3\n"},
			want: []string{"reservations.yaml:7:4: error: invalid YAML: did not find expected '-' indicator"}},
		{name: "mapping value where none fits", files: map[string]string{"keaops.yaml": okSite + "sources:\n- subnets\n subnets: x.yaml\n"},
			want: []string{"keaops.yaml:6:2: error: invalid YAML: mapping values are not allowed in this context"}},
		{name: "tab indentation", files: map[string]string{"keaops.yaml": "nodes:\n\t- name: a\n"},
			want: []string{"keaops.yaml:2:1: error: tab character in indentation: YAML indents with spaces only"}},
		{name: "duplicate key", files: map[string]string{"keaops.yaml": okSite + "kea-version: \"2.4\"\n"},
			want: []string{"keaops.yaml:4:1: error: duplicate key \"kea-version\" (first at line 1)"}},
		{name: "top level is a list", files: map[string]string{"keaops.yaml": "- a\n- b\n"},
			want: []string{"keaops.yaml:1:1: error: the top level must be a mapping (key: value), not a list"}},
		{name: "unquoted version is a number", files: map[string]string{"keaops.yaml": strings.Replace(okSite, `"2.2"`, "2.2", 1)},
			want: []string{"keaops.yaml:1:14: error: kea-version: invalid value 2.2: want a Kea version keaops renders for, quoted: 2.2, 2.4, 2.6, 3.0 or 3.2"}},
		// A misspelt required field is one mistake, said once: the
		// suggestion names the missing field.
		{name: "missing required and unknown key together", files: map[string]string{"keaops.yaml": "nodse: []\n"},
			want: []string{
				"keaops.yaml:1:1: error: missing required field \"kea-version\"",
				"keaops.yaml:1:1: error: unknown field \"nodse\" (did you mean \"nodes\"?)",
			}},
		{name: "unknown key that explains no missing field", files: map[string]string{"keaops.yaml": okSite + "nodse: []\n"},
			want: []string{"keaops.yaml:4:1: error: unknown field \"nodse\" (did you mean \"nodes\"?)"}},
		{name: "named source file missing", files: map[string]string{"keaops.yaml": okSite + "sources: {subnets: nets.yaml}\n"},
			want: []string{"keaops.yaml:4:20: error: subnets file \"nets.yaml\" does not exist (paths are relative to keaops.yaml)"}},
		{name: "wrong types in a record", files: map[string]string{"keaops.yaml": okSite, "subnets.yaml": "subnets:\n  - name: A\n    prefix: 10.0.0.0/24\n    vlan: ten\n    pools: 10.0.0.10-10.0.0.20\n"},
			want: []string{
				"subnets.yaml:4:11: error: subnets.0.vlan: invalid value \"ten\": want a VLAN id from 1 to 4094",
				"subnets.yaml:5:12: error: subnets.0.pools: invalid value \"10.0.0.10-10.0.0.20\": want a range such as 10.0.0.100-10.0.0.199, a prefix such as 10.0.0.128/25, or {range: ..., client-class: ..., options: ...}",
			}},
		{name: "one bad record does not hide another", files: map[string]string{"keaops.yaml": okSite, "reservations.yaml": `reservations:
  - hostname: ok-1
    hw-address: "02:00:00:00:00:01"
    global: sometimes
  - hostname: Bad_Host
    hw-adress: "02:00:00:00:00:02"
    ip-address: 10.0.0.300
  - ip-address: 10.0.0.3
    hw-address: "zz:00:00:00:00:03"
    colour: blue
`},
			want: []string{
				"reservations.yaml:4:13: error: reservations.0.global: invalid value \"sometimes\": want true or false (true: Kea's global reservation, for any subnet that looks up global ones)",
				"reservations.yaml:5:15: error: reservations.1.hostname: invalid value \"Bad_Host\": want an RFC 1123 host name: letters, digits and '-', labels separated by '.'",
				"reservations.yaml:6:5: error: unknown field \"hw-adress\" (did you mean \"hw-address\"?)",
				"reservations.yaml:7:17: error: reservations.1.ip-address: invalid value \"10.0.0.300\": want an IPv4 address",
				"reservations.yaml:9:17: error: reservations.2.hw-address: invalid value \"zz:00:00:00:00:03\": want a MAC address: aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF or aabb.ccdd.eeff",
				"reservations.yaml:10:5: error: unknown field \"colour\"",
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := writeSite(t, c.files)
			site := c.site
			if site == "" {
				site = "keaops.yaml"
			}
			_, fs, err := Load(context.Background(), filepath.Join(dir, site))
			if err != nil {
				t.Fatal(err)
			}
			got := findingStrings(dir, fs)
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(c.want, "\n  "))
			}
		})
	}
}

// TestAliasBomb: twenty levels of aliases, each doubling the last, would
// expand to 2^21 nodes from 22 lines; the budget stops it with one finding.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("x-a0: &a0 [x, x]\n")
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&b, "x-a%d: &a%d [*a%d, *a%d]\n", i, i, i-1, i-1)
	}
	b.WriteString("reservations: [*a20]\n")
	_, fs := parseDoc("bomb.yaml", []byte(b.String()))
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "aliases expand to more than 1048576 nodes") {
		t.Fatalf("findings = %v", fs)
	}
}

func TestFileTooLarge(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "reservations.yaml")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	// A sparse 50 MiB file: the size check must answer before any read.
	if err := f.Truncate(50 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	os.WriteFile(filepath.Join(dir, "keaops.yaml"), []byte(okSite), 0o600)
	_, fs, err := Load(context.Background(), filepath.Join(dir, "keaops.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := "reservations.yaml: error: file is 50.0 MiB, over the 32 MiB limit for one input file"
	if got := strings.Join(findingStrings(dir, fs), "\n"); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestConvert(t *testing.T) {
	dir := writeSite(t, map[string]string{
		"keaops.yaml": `kea-version: "2.4"
defaults: &d
  valid-lifetime: 3600
  dns: [10.0.0.53, 10.0.0.54]
nodes:
  - {name: kea1, control-url: "http://127.0.0.1:8000/"}
`,
		"subnets.yaml": `x-base: &base
  valid-lifetime: 600
subnets:
  - <<: *base
    name: IoT
    prefix: 10.30.30.0/24
    pools: [10.30.30.100-10.30.30.199, 10.30.30.0/26]
  - name: Lab
    prefix: 10.40.0.0/16
    id: 77
    options:
      tftp-server-name: {data: boot.lan, always-send: true}
`,
		"reservations.yaml": `reservations:
  - {hostname: a, hw-address: "AA-BB-CC-00-11-22", ip-address: 10.30.30.10}
  - {hostname: b, hw-address: "aabb.cc00.1123", ip-address: 10.30.30.11}
  - {hostname: c, hw-address: "AABBCC001124", ip-address: 10.30.30.12}
  - {hostname: d, client-id: "01-AA-BB", ip-address: 10.30.30.13}
`,
	})
	site, fs, err := Load(context.Background(), filepath.Join(dir, "keaops.yaml"))
	if err != nil || len(fs) > 0 {
		t.Fatalf("err=%v findings=%v", err, fs)
	}
	if site.KeaVersion != (model.Version{Major: 2, Minor: 4}) {
		t.Errorf("version = %v", site.KeaVersion)
	}
	if got := site.Defaults.Options[0]; got.Name != "domain-name-servers" || strings.Join(got.Values, ",") != "10.0.0.53,10.0.0.54" {
		t.Errorf("dns option = %+v", got)
	}
	iot, lab := site.Subnets[0], site.Subnets[1]
	if iot.ID != 169745920 || iot.IDExplicit || lab.ID != 77 || !lab.IDExplicit {
		t.Errorf("ids: IoT %d %v, Lab %d %v", iot.ID, iot.IDExplicit, lab.ID, lab.IDExplicit)
	}
	if iot.Lifetimes.Valid == nil || iot.Lifetimes.Valid.Value != 600 {
		t.Errorf("merge key not applied: %+v", iot.Lifetimes)
	}
	if len(iot.Pools) != 2 || iot.Pools[1].From.String() != "10.30.30.0" || iot.Pools[1].To.String() != "10.30.30.63" {
		t.Errorf("pools = %+v", iot.Pools)
	}
	if o := lab.Options[0]; o.Name != "tftp-server-name" || !o.AlwaysSend || o.Values[0] != "boot.lan" {
		t.Errorf("long-form option = %+v", o)
	}
	var ids []string
	for _, r := range site.Reservations {
		_, v := r.Identifier()
		ids = append(ids, v)
	}
	want := "aa:bb:cc:00:11:22 aa:bb:cc:00:11:23 aa:bb:cc:00:11:24 01:aa:bb"
	if got := strings.Join(ids, " "); got != want {
		t.Errorf("identifiers = %s, want %s", got, want)
	}
}

// TestNetBoxSection: sources.netbox reads into the model with paths made
// relative to the site file, and its mistakes are positioned findings.
func TestNetBoxSection(t *testing.T) {
	site := okSite + `sources:
  netbox:
    url: https://netbox.example.net/
    token: {file: /etc/keaops/netbox.token}
    snapshot: nb/netbox.json
    ca-file: ca.pem
    timeout: 10
    concurrency: 8
    retries: 0
    prefixes: {tag: [kea, v4], site: dc1}
    ip-ranges: {role: dhcp-pool}
    ip-addresses: false
    custom-fields: {gateway: dhcp_default_gateway}
`
	dir := writeSite(t, map[string]string{"keaops.yaml": site})
	s, findings, err := Load(context.Background(), filepath.Join(dir, "keaops.yaml"))
	if err != nil || len(findings) != 0 {
		t.Fatal(err, findings)
	}
	n := s.NetBox
	got := fmt.Sprintf("%s %s %s %s %v %d %v %v %v %s %s", n.URL, n.Token.Ref(), strings.TrimPrefix(n.Snapshot, dir), strings.TrimPrefix(n.CAFile, dir), n.Timeout, n.Concurrency,
		n.Prefixes, n.Ranges.Role, n.Addresses == nil, n.Field("gateway"), n.Field("dns"))
	want := "https://netbox.example.net/ file:/etc/keaops/netbox.token /nb/netbox.json /ca.pem 10s 8 {[kea v4] [] [dc1] [] []} [dhcp-pool] true dhcp_default_gateway dhcp_dns"
	if got != want {
		t.Errorf("read\n%s\nwant\n%s", got, want)
	}
	if n.Retries == nil || *n.Retries != 0 {
		t.Errorf("retries: 0 read as %v; want no retries, not the default", n.Retries)
	}

	for _, tc := range []struct{ section, want string }{
		{"    url: netbox.example.net\n    prefixes: {}\n", `keaops.yaml:6:10: error: sources.netbox.url: invalid value "netbox.example.net": want NetBox's base URL, e.g. https://netbox.example.net/`},
		{"    url: https://nb/\n    prefxes: {tag: kea}\n", `keaops.yaml:7:5: error: unknown field "prefxes" (did you mean "prefixes"?)`},
		{"    url: https://nb/\n    prefixes: {}\n    prefxes: {tag: kea}\n", `keaops.yaml:8:5: error: unknown field "prefxes" (did you mean "prefixes"?)`},
		{"    url: https://nb/\n    prefixes: {tag: kea}\n    custom-fields: {gatway: x}\n", `keaops.yaml:8:21: error: unknown field "gatway" (did you mean "gateway"?)`},
		{"    url: https://nb/\n    prefixes: {status: [active, \"bad value\"]}\n", `keaops.yaml:7:33: error: sources.netbox.prefixes.status.1: invalid value "bad value": want a NetBox status value such as active, or a list of them`},
	} {
		dir := writeSite(t, map[string]string{"keaops.yaml": okSite + "sources:\n  netbox:\n" + tc.section})
		_, findings, _ := Load(context.Background(), filepath.Join(dir, "keaops.yaml"))
		got := findingStrings(dir, findings)
		if len(got) != 1 || !strings.HasPrefix(got[0], tc.want) {
			t.Errorf("%q: findings %q; want only %q", tc.section, got, tc.want)
		}
	}
}

// Inputs that are not regular files: a FIFO would block open(2) for ever,
// a device would be read without end. Each is one finding, at once.
func TestNonRegularInputs(t *testing.T) {
	dir := writeSite(t, map[string]string{"keaops.yaml": okSite + "sources: {subnets: fifo.yaml, reservations: [/dev/zero, /dev/urandom]}\n"})
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan []string, 1)
	go func() {
		_, fs, err := Load(context.Background(), filepath.Join(dir, "keaops.yaml"))
		if err != nil {
			t.Error(err)
		}
		done <- findingStrings(dir, fs)
	}()
	select {
	case got := <-done:
		want := []string{
			"/dev/urandom: error: is not a regular file (a FIFO or a device?): keaops reads only regular files",
			"/dev/zero: error: is not a regular file (a FIFO or a device?): keaops reads only regular files",
			"fifo.yaml: error: is not a regular file (a FIFO or a device?): keaops reads only regular files",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Load blocked on a FIFO or a device")
	}
}
