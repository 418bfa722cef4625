package keaconfig

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/keaops/keaops/internal/model"
)

// A subnet as Kea 2.2's config-get returns it: inherited values filled in,
// pools without spaces, fields keaops does not model.
const liveSubnet = `{
  "valid-lifetime": 600,
  "option-data": [{"always-send": false, "code": 6, "csv-format": true, "data": "10.0.0.53, 10.0.0.54", "name": "domain-name-servers", "space": "dhcp4"}],
  "hooks-libraries": [{"library": "/x/libdhcp_ha.so", "parameters": {"high-availability": [{
     "this-server-name": "n2", "mode": "load-balancing", "heartbeat-delay": 10000,
     "peers": [{"name": "n1", "role": "primary", "url": "http://10.0.0.1:8080/"}, {"name": "n2", "role": "secondary", "url": "http://10.0.0.2:8080/"}]}]}}],
  "subnet4": [{"4o6-interface": "", "calculate-tee-times": false, "id": 7, "subnet": "192.0.2.0/24", "valid-lifetime": 600,
    "user-context": {"name": "Lab", "vlan": 77},
    "pools": [{"option-data": [], "pool": "192.0.2.100-192.0.2.149", "client-class": "HA_n1"},
              {"option-data": [], "pool": "192.0.2.150-192.0.2.199", "client-class": "HA_n2"},
              {"pool": "192.0.2.224/28"}],
    "reservations": [{"boot-file-name": "", "client-classes": [], "hostname": "r10", "hw-address": "02:00:00:00:00:10", "ip-address": "192.0.2.10", "next-server": "0.0.0.0", "option-data": []},
                     {"client-id": "01:02:03:04", "ip-address": "192.0.2.11"}]}]
}`

func TestParseLive(t *testing.T) {
	s, err := Parse(json.RawMessage(liveSubnet), "n2 (live)")
	if err != nil {
		t.Fatal(err)
	}
	if ThisServer(json.RawMessage(liveSubnet)) != "n2" || s.HA.Mode != model.HALoadBalancing || len(s.Nodes) != 2 || s.Nodes[1].Role != model.RoleSecondary {
		t.Errorf("HA = %+v, nodes %d", s.HA, len(s.Nodes))
	}
	sn := s.Subnets[0]
	// 600 is what the subnet inherits: config-get prints it there too.
	if sn.ID != 7 || sn.Name != "Lab" || sn.VLAN != 77 || sn.Lifetimes.Valid != nil || s.Defaults.Lifetimes.Valid.Value != 600 {
		t.Errorf("subnet = %+v", sn)
	}
	if !s.Raw.Empty() || !sn.Raw.Empty() || len(s.Unmodelled) > 0 {
		t.Errorf("defaults taken for settings: raw %v, subnet raw %v, unmodelled %v", s.Raw.Fields, sn.Raw.Fields, s.Unmodelled)
	}
	if len(sn.Pools) != 2 || sn.Pools[0].From.String() != "192.0.2.100" || sn.Pools[0].To.String() != "192.0.2.199" || len(sn.Pools[0].ClientClasses) != 0 ||
		sn.Pools[1].From.String() != "192.0.2.224" || sn.Pools[1].To.String() != "192.0.2.239" {
		t.Errorf("pools (split joined, prefix read) = %+v %+v", sn.Pools[0], sn.Pools[len(sn.Pools)-1])
	}
	if len(s.Reservations) != 2 || s.Reservations[0].HWAddress != "02:00:00:00:00:10" || s.Reservations[1].ClientID != "01:02:03:04" || s.Reservations[0].Subnet != "192.0.2.0/24" {
		t.Errorf("reservations = %+v", s.Reservations)
	}
	if o := s.Defaults.Options[0]; o.Name != "domain-name-servers" || len(o.Values) != 2 || o.Values[1] != "10.0.0.54" {
		t.Errorf("options = %+v", o)
	}
	if s.Reservations[0].Pos.File != "n2 (live)" {
		t.Errorf("position = %v", s.Reservations[0].Pos)
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		`{"subnet4": [{"id": 1, "subnet": "not-a-prefix"}]}`,
		`{"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "x-y"}]}]}`,
		`{"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "reservations": [{"hw-address": "zz", "ip-address": "192.0.2.1"}]}]}`,
		`{"subnet4": "no"}`,
		`[`,
	} {
		if _, err := Parse(json.RawMessage(in), "x"); err == nil {
			t.Errorf("Parse(%s) accepted", in)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(liveSubnet))
	f.Add([]byte(`{"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.0/33"}]}]}`))
	f.Add([]byte(`{"hooks-libraries": [{"library": "libdhcp_ha.so", "parameters": {"high-availability": []}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Parse(b, "fuzz") // must not panic
	})
}

func TestClean(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"a": 1, // c` + "\n" + `"b": [1, 2,], # d` + "\n" + `/* e */ "c": "x // # /* y", }`, `{"a": 1,     ` + "\n" + `"b": [1, 2 ],    ` + "\n" + `        "c": "x // # /* y"  }`},
		{`{"a": "\"#\""}`, `{"a": "\"#\""}`},
	} {
		got, err := Clean([]byte(c.in))
		if err != nil || string(got) != c.want {
			t.Errorf("Clean(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for in, want := range map[string]string{
		`{"a": 1 /* open`:              "x.json:1:9: a /* comment that is never closed",
		"{\n  \"a\": \"open\n}":        "x.json:2:8: a string that does not end on its line",
		"{\n  \"a\": 1,\n  \"b\" 2\n}": "x.json:3:7: invalid character '2' after object key",
		"{\"a\": [1, 2}":               "x.json:1:12: invalid character '}' after array element",
		"{\"a\": 1} {}":                "x.json:1:10: more after the end of the configuration",
		"{\"a\": ":                     "x.json:1:7: the configuration ends too early",
	} {
		var v any
		if err := Decode("x.json", []byte(in), &v); err == nil || err.Error() != want {
			t.Errorf("Decode(%q) = %v; want %s", in, err, want)
		}
	}
}

// FuzzDecode: Kea's dialect never panics the reader, strict JSON is left
// as it is, and whatever Clean returns has the input's length (offsets
// stay true for error positions).
func FuzzDecode(f *testing.F) {
	f.Add([]byte(liveSubnet))
	f.Add([]byte("// c\n{\"a\": [1,], /* x */ \"b\": \"#\"}"))
	f.Add([]byte(`{"a": "\"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		clean, err := Clean(b)
		if err == nil && len(clean) != len(b) {
			t.Fatalf("Clean changed the length: %d → %d", len(b), len(clean))
		}
		if json.Valid(b) && err == nil && !bytes.Equal(clean, b) {
			t.Fatalf("Clean changed strict JSON %q to %q", b, clean)
		}
		var v any
		_ = Decode("fuzz.json", b, &v)
	})
}

// FuzzImport: the import's reads of kea-dhcp4, kea-dhcp-ddns and
// kea-ctrl-agent objects (literal secrets made references) never panic.
func FuzzImport(f *testing.F) {
	f.Add([]byte(`{"lease-database": {"type": "mysql", "password": "x"}, "hooks-libraries": [{"library": "/l/libdhcp_x.so", "parameters": {"token": "t"}}]}`))
	f.Add([]byte(`{"tsig-keys": [{"name": "k", "algorithm": "hmac-sha256", "secret": "c2VjcmV0"}], "forward-ddns": {"ddns-domains": [{"name": "a.", "dns-servers": [{"ip-address": "10.0.0.1", "port": 5353}]}]}}`))
	f.Add([]byte(`{"http-host": "10.0.0.1", "http-port": 8000, "cert-file": "/c", "authentication": {"clients": [{"user": "u", "password": "p"}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _ = Import(b, "fuzz")
		_, _, _ = ImportD2(b, "fuzz")
		_, _, _ = ImportAgent(b, "fuzz")
	})
}
