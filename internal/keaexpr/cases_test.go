package keaexpr

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/keaops/keaops/internal/keatest"
)

// cases are class tests with kea-dhcp4's verdict: TestCheck holds keaops
// to it, TestKeaAgrees holds it to the real kea-dhcp4 -t, so keaops
// accepts and rejects exactly what Kea does on every case. The config
// around each test defines a class "earlier" before it and "later" after.
var cases = []struct {
	expr string
	ok   bool
}{
	{"option[175].exists", true},
	{"option[host-name].text == 'printer'", true},
	{"option[12].hex == 0x666f6f", true},
	{"substring(option[60].hex,0,9) == 'PXEClient'", true},
	{"pkt4.mac == 0x010203040506", true},
	{"pkt4.giaddr == 10.0.0.1", true},
	{"pkt4.msgtype == 1 and pkt4.htype == 1", true},
	{"relay4[2].hex == 'abc'", true},
	{"relay4[1].exists", true},
	{"not option[175].exists", true},
	{"not not option[175].exists", true},
	{"option[175].exists and option[93].hex == 0x0007", true},
	{"(option[175].exists or member('KNOWN')) and not member('earlier')", true},
	{"(option[175].exists or known) and not member('earlier')", false},
	{"member('KNOWN')", true},
	{"member('ALL') or member('VENDOR_CLASS_docsis3.0')", true},
	{"unknown", false},
	{"vendor[4491].exists", true},
	{"vendor[*].exists", true},
	{"vendor.enterprise == 4491", true},
	{"vendor[4491].option[1].hex == 'docsis3.0'", true},
	{"vendor[4491].option[1].exists", true},
	{"vendor-class[4491].exists", true},
	{"vendor-class[4491].data == 'x'", true},
	{"vendor-class[4491].data[1] == 'x'", true},
	{"vendor-class.enterprise == 4491", true},
	{"concat('a','b') == 'ab'", true},
	{"'a' + 'b' + 'c' == 'abc'", true},
	{"ifelse(option[175].exists, 'a', 'b') == 'a'", true},
	{"split('a.b', '.', 2) == 'b'", true},
	{"hexstring(pkt4.mac, ':') == '01:02:03:04:05:06'", true},
	{"addrtotext(pkt4.ciaddr) == '10.0.0.1'", true},
	{"uint8totext(0x01) == '1' or int32totext(pkt4.transid) == '-1'", true},
	{"substring('foobar', -1, all) == 'r'", true},
	{"substring('foobar', 4, -2) == 'ob'", true},
	{"pkt.iface == 'eth0'", true},
	{"pkt.len == 300", true},
	{"pkt.src == 10.0.0.1", true},
	{"option[12].option[1].exists", true},
	{"option[43].option[2].text == 'x'", true},
	{"1 == 1", true},
	{"'a' == 'b' or 'c' == 'd' and 'e' == 'f'", true},
	{"pkt.dst == 2001:db8::1", true},
	{"option[  175  ].exists", true},
	{"option[175]\n.exists", true},

	{"option[175].exist", false},
	{"pkt4.mac == ", false},
	{"option[175]", false},
	{"option[175].hex", false},
	{"option[hostname].text == 'x'", false},
	{"option[256].exists", false},
	{"pkt4.foo == 1", false},
	{"pkt6.msgtype == 1", false},
	{"relay6[0].peeraddr == ::1", false},
	{"member('nope')", false},
	{"member('later')", false},
	{"member(earlier)", false},
	{"'a' == 'b' == 'c'", false},
	{"option[175].exists == 'true'", false},
	{"'unterminated == 'x'", false},
	{"substring('a', 0) == 'a'", false},
	{"concat('a') == 'a'", false},
	{"foo == 'x'", false},
	{"option[175].exists and", false},
	{"(option[175].exists", false},
	{"option[175].exists)", false},
	{"'a'", false},
	{"10.0.0.256 == 'x'", false},
	{"option[175].exists @", false},
	{"known == 'x'", false},
	{"vendor[-1].exists", false},
	{"relay4[host-name].exists", false},
	{"vendor-class[4491].option[1].exists", false},
	{"substring('a', 'b', all) == 'a'", false},
	{"ifelse('a', 'b', 'c') == 'b'", false},
	{"option[175].exists or or option[1].exists", false},
	{"option[60].text == \"PXEClient\"", false},
	{"not", false},
}

// builtin is the validate package's rule for Kea's own classes.
func builtin(name string) bool {
	switch name {
	case "ALL", "KNOWN", "UNKNOWN", "BOOTP", "DROP", "earlier":
		return true
	}
	return len(name) > 13 && name[:13] == "VENDOR_CLASS_"
}

var testEnv = Env{
	Option: func(name string) bool { return name == "host-name" || name == "domain-name" },
	Class:  builtin,
}

func TestCheck(t *testing.T) {
	for _, c := range cases {
		err := Check(c.expr, testEnv)
		if (err == nil) != c.ok {
			t.Errorf("Check(%q) = %v; Kea's verdict: ok %v", c.expr, err, c.ok)
		}
	}
}

func TestKeaAgrees(t *testing.T) {
	for _, k := range keatest.Versions(t) {
		t.Run(k.Line, func(t *testing.T) { keaAgrees(t, k) })
	}
}

func keaAgrees(t *testing.T, k keatest.Kea) {
	dir := t.TempDir()
	for i, c := range cases {
		cfg := map[string]any{"Dhcp4": map[string]any{
			"interfaces-config": map[string]any{"interfaces": []any{}},
			"lease-database":    map[string]any{"type": "memfile", "persist": false},
			"client-classes":    []any{map[string]any{"name": "earlier"}, map[string]any{"name": "c", "test": c.expr}, map[string]any{"name": "later"}},
		}}
		b, _ := json.Marshal(cfg)
		p := filepath.Join(dir, "case.json")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		err := k.CheckConfig(context.Background(), p)
		if (err == nil) != c.ok {
			t.Errorf("case %d %q: kea-dhcp4 -t says %v; the table says ok %v", i, c.expr, err, c.ok)
		}
	}
}

func FuzzCheck(f *testing.F) {
	for _, c := range cases {
		f.Add(c.expr)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := Check(s, testEnv)
		if e, ok := err.(*Error); err != nil && (!ok || e.Offset < 0 || e.Offset > len(s)) {
			t.Fatalf("Check(%q) = %v: not a positioned error inside the expression", s, err)
		}
	})
}
