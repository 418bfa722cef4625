package edit

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The homelab file's shape: section comments, quoted and plain values, a
// comment inside a record, a blank line, an anchor and a merge key.
const homelab = `# Reservations of the homelab.
reservations:
  # Core
  - hostname: nas
    hw-address: "3c:ec:ef:12:34:56"   # the NAS
    ip-address: 10.10.0.20
    comment: Synology DS920+

  - hostname: pihole
    hw-address: "dc:a6:32:00:aa:01"
    ip-address: 10.10.0.53
  # IoT
  - &printer
    hostname: printer-3
    hw-address: "02:42:ac:11:00:07"
    ip-address: 10.30.30.57
    options: {domain-name-servers: 10.10.0.53}
  - <<: *printer
    hostname: printer-4
    hw-address: "02:42:ac:11:00:08"
    ip-address: 10.30.30.58
# trailing comment
`

// Each edit's whole expected output is written out: everything but the
// record's lines must be the input's bytes.
func TestEdits(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		edit func(d *Doc) (*Doc, error)
		want string
	}{
		{"append after the last record, before what follows it", homelab, func(d *Doc) (*Doc, error) {
			return d.Append("reservations", []Field{{"ip-address", "10.30.30.59"}, {"hostname", "printer-5"}, {"hw-address", `"02:42:ac:11:00:09"`}})
		}, strings.Replace(homelab, "# trailing comment\n", `  - hostname: printer-5
    hw-address: "02:42:ac:11:00:09"
    ip-address: 10.30.30.59
# trailing comment
`, 1)},
		{"remove a record: its lines, comments inside it too; the section comment after it stays", homelab, func(d *Doc) (*Doc, error) {
			return d.Remove("reservations", 1)
		}, strings.Replace(homelab, `  - hostname: pihole
    hw-address: "dc:a6:32:00:aa:01"
    ip-address: 10.10.0.53
`, "", 1)},
		{"remove the first record: the blank line after it stays", homelab, func(d *Doc) (*Doc, error) {
			return d.Remove("reservations", 0)
		}, strings.Replace(homelab, `  - hostname: nas
    hw-address: "3c:ec:ef:12:34:56"   # the NAS
    ip-address: 10.10.0.20
    comment: Synology DS920+
`, "", 1)},
		{"set a quoted value: the comment after it stays", homelab, func(d *Doc) (*Doc, error) {
			return d.Set("reservations", 0, Field{"hw-address", `"3c:ec:ef:12:34:99"`})
		}, strings.Replace(homelab, `"3c:ec:ef:12:34:56"   # the NAS`, `"3c:ec:ef:12:34:99"   # the NAS`, 1)},
		{"set a plain value", homelab, func(d *Doc) (*Doc, error) {
			return d.Set("reservations", 1, Field{"ip-address", "10.10.0.54"})
		}, strings.Replace(homelab, "ip-address: 10.10.0.53\n", "ip-address: 10.10.0.54\n", 1)},
		{"set a field the record lacks: added at its end", homelab, func(d *Doc) (*Doc, error) {
			return d.Set("reservations", 1, Field{"comment", "Pi-hole"})
		}, strings.Replace(homelab, "ip-address: 10.10.0.53\n", "ip-address: 10.10.0.53\n    comment: Pi-hole\n", 1)},
		{"set a field that comes from a merge key: overridden in the record, the anchor untouched", homelab, func(d *Doc) (*Doc, error) {
			return d.Set("reservations", 3, Field{"options", "{domain-name-servers: 1.1.1.1}"})
		}, strings.Replace(homelab, "    ip-address: 10.30.30.58\n", "    ip-address: 10.30.30.58\n    options: {domain-name-servers: 1.1.1.1}\n", 1)},
		{"set a flow value", "reservations:\n  - hostname: a\n    options: {domain-name-servers: 10.10.0.53}   # pihole\n", func(d *Doc) (*Doc, error) {
			return d.Set("reservations", 0, Field{"options", "{domain-name-servers: 1.1.1.1}"})
		}, "reservations:\n  - hostname: a\n    options: {domain-name-servers: 1.1.1.1}   # pihole\n"},
		{"unset a field", homelab, func(d *Doc) (*Doc, error) {
			return d.Unset("reservations", 0, "comment")
		}, strings.Replace(homelab, "    comment: Synology DS920+\n", "", 1)},
		{"one-line records stay one-line", "reservations:\n  - {hostname: a, ip-address: 10.0.0.1}\n  - {hostname: b, ip-address: 10.0.0.2}\n", func(d *Doc) (*Doc, error) {
			return d.Append("reservations", []Field{{"hostname", "c"}, {"ip-address", "10.0.0.3"}})
		}, "reservations:\n  - {hostname: a, ip-address: 10.0.0.1}\n  - {hostname: b, ip-address: 10.0.0.2}\n  - {hostname: c, ip-address: 10.0.0.3}\n"},
		{"set in a one-line record", "reservations:\n  - {hostname: a, ip-address: 10.0.0.1}   # a\n", func(d *Doc) (*Doc, error) {
			return d.Set("reservations", 0, Field{"ip-address", "10.0.0.9"})
		}, "reservations:\n  - {hostname: a, ip-address: 10.0.0.9}   # a\n"},
		{"add to a one-line record", "reservations:\n  - {hostname: a}\n", func(d *Doc) (*Doc, error) {
			return d.Set("reservations", 0, Field{"ip-address", "10.0.0.9"})
		}, "reservations:\n  - {hostname: a, ip-address: 10.0.0.9}\n"},
		{"the first record of an empty list", "# none yet\nreservations: []   # add below\nother: 1\n", func(d *Doc) (*Doc, error) {
			return d.Append("reservations", []Field{{"hostname", "a"}, {"ip-address", "10.0.0.1"}})
		}, "# none yet\nreservations:   # add below\n  - hostname: a\n    ip-address: 10.0.0.1\nother: 1\n"},
		{"a list written deeper, without a final newline", "reservations:\n    -   hostname: a\n        ip-address: 10.0.0.1", func(d *Doc) (*Doc, error) {
			return d.Append("reservations", []Field{{"hostname", "b"}})
		}, "reservations:\n    -   hostname: a\n        ip-address: 10.0.0.1\n    -   hostname: b\n"},
		{"removing the last record leaves an empty list", "reservations:\n  - hostname: a\nafter: 1\n", func(d *Doc) (*Doc, error) {
			return d.Remove("reservations", 0)
		}, "reservations: []\nafter: 1\n"},
		{"a file without the list gets it", "subnets: []\n", func(d *Doc) (*Doc, error) {
			return d.Append("reservations", []Field{{"hostname", "a"}, {"ip-address", "10.0.0.1"}})
		}, "subnets: []\nreservations:\n  - hostname: a\n    ip-address: 10.0.0.1\n"},
		{"CRLF line endings are kept", "reservations:\r\n  - hostname: a\r\n", func(d *Doc) (*Doc, error) {
			return d.Append("reservations", []Field{{"hostname", "b"}})
		}, "reservations:\r\n  - hostname: a\r\n  - hostname: b\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse("reservations.yaml", []byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			nd, err := tc.edit(d)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(nd.Bytes()); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
			if string(d.Bytes()) != tc.in {
				t.Error("the edit changed the document it was made on")
			}
		})
	}
}

// Layouts keaops does not rewrite are errors at their position.
func TestEditRefusals(t *testing.T) {
	for _, tc := range []struct {
		in   string
		edit func(d *Doc) (*Doc, error)
		want string
	}{
		{"reservations: [{hostname: a}]\n", func(d *Doc) (*Doc, error) { return d.Append("reservations", []Field{{"hostname", "b"}}) },
			"reservations.yaml:1:15: reservations is a flow list ([...]): write it as a block list"},
		{"reservations:\n  - &a\n    hostname: a\n    ip-address: &ip 10.0.0.1\n", func(d *Doc) (*Doc, error) {
			return d.Set("reservations", 0, Field{"ip-address", "10.0.0.2"})
		}, "reservations.yaml:4:17: ip-address carries the anchor &ip"},
		{homelab, func(d *Doc) (*Doc, error) {
			return d.Set("reservations", 2, Field{"options", "{domain-name-servers: 1.1.1.1}"})
		}, "record 4 would change too: the record edited carries the anchor &printer, which it merges"},
		{"reservations:\n  - hostname: a\n", func(d *Doc) (*Doc, error) { return d.Remove("reservations", 3) },
			"reservations.yaml: reservations has no record 3"},
		{"reservations: 1\n", func(d *Doc) (*Doc, error) { return d.Append("reservations", []Field{{"hostname", "b"}}) },
			"reservations.yaml:1:15: reservations is not a list"},
		{"reservations:\n  - hostname: a\n    comment: |\n      two\n      lines\n", func(d *Doc) (*Doc, error) {
			return d.Unset("reservations", 0, "hostname")
		}, "opens the record's \"- \" line"},
	} {
		d, err := Parse("reservations.yaml", []byte(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tc.edit(d); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestScalarKeepsTheNeighboursStyle(t *testing.T) {
	for _, tc := range []struct {
		s    string
		like yaml.Style
		want string
	}{
		{"printer-5", 0, "printer-5"},
		{"02:42:ac:11:00:09", yaml.DoubleQuotedStyle, `"02:42:ac:11:00:09"`},
		{"it's", yaml.SingleQuotedStyle, `'it''s'`},
		{"10.0.0.1", 0, "10.0.0.1"},
		{"1234", 0, `"1234"`},   // a number unquoted
		{"true", 0, `"true"`},   // a bool
		{"a # b", 0, `"a # b"`}, // a comment
		{"", 0, `""`},
	} {
		if got := Scalar(tc.s, tc.like); got != tc.want {
			t.Errorf("Scalar(%q) = %s, want %s", tc.s, got, tc.want)
		}
	}
}

func TestRecordsGetThroughMerges(t *testing.T) {
	d, err := Parse("r.yaml", []byte(homelab))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := d.Records("reservations")
	if err != nil || len(rs) != 4 {
		t.Fatalf("%d records, %v", len(rs), err)
	}
	if v, ok := rs[3].Get("hostname"); !ok || v != "printer-4" {
		t.Errorf("own key: %q %v", v, ok)
	}
	if rs[3].StyleOf("hw-address") != yaml.DoubleQuotedStyle || rs[0].Line != 4 {
		t.Errorf("style %v, line %d", rs[3].StyleOf("hw-address"), rs[0].Line)
	}
}

func TestMappingForMerging(t *testing.T) {
	d, err := Parse("r.yaml", []byte("reservations:\n  - hostname: a\n    options:\n      domain-name-servers: 10.0.0.1, 10.0.0.2\n      ip-ttl: 64\n      x: ['a b']\n"))
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := d.Records("reservations")
	fs, err := rs[0].Mapping("options")
	if err != nil {
		t.Fatal(err)
	}
	fs = append(fs, Field{"ntp-servers", "10.0.0.3"})
	nd, err := d.Set("reservations", 0, Field{"options", FlowMapping(fs)})
	if err != nil {
		t.Fatal(err)
	}
	want := "reservations:\n  - hostname: a\n    options: {domain-name-servers: \"10.0.0.1, 10.0.0.2\", ip-ttl: 64, x: ['a b'], ntp-servers: 10.0.0.3}\n"
	if string(nd.Bytes()) != want {
		t.Errorf("got:\n%s\nwant:\n%s", nd.Bytes(), want)
	}
}
