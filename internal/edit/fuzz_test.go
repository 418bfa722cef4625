package edit

import (
	"slices"
	"testing"
)

// Any file, any edit: no panic; an edit that succeeds leaves a file that
// parses, with the other records' fields as they were.
func FuzzEdit(f *testing.F) {
	f.Add([]byte(homelab), uint8(0), uint8(1))
	f.Add([]byte("reservations: []\n"), uint8(0), uint8(0))
	f.Add([]byte("reservations:\n  - {hostname: a}\n"), uint8(2), uint8(0))
	f.Add([]byte("reservations:\r\n  - hostname: a\r\n    x: |\r\n      y\r\n"), uint8(3), uint8(0))
	f.Fuzz(func(t *testing.T, src []byte, op, index uint8) {
		d, err := Parse("f.yaml", src)
		if err != nil {
			return
		}
		before, err := d.Records("reservations")
		if err != nil {
			return
		}
		i := int(index)
		var nd *Doc
		switch op % 4 {
		case 0:
			nd, err = d.Append("reservations", []Field{{"hostname", "fuzz-host"}, {"ip-address", "10.9.9.9"}})
		case 1:
			nd, err = d.Remove("reservations", i)
		case 2:
			nd, err = d.Set("reservations", i, Field{"ip-address", "10.9.9.9"})
		case 3:
			nd, err = d.Unset("reservations", i, "ip-address")
		}
		if err != nil {
			return
		}
		after, err := nd.Records("reservations")
		if err != nil {
			t.Fatalf("the edited file has no list: %v\n%s", err, nd.Bytes())
		}
		// The records the edit did not touch keep their hostnames.
		names := func(rs []Record, skip int) []string {
			var out []string
			for _, r := range rs {
				if r.Index == skip {
					continue
				}
				h, _ := r.Get("hostname")
				out = append(out, h)
			}
			return out
		}
		switch op % 4 {
		case 0:
			if len(after) != len(before)+1 || !slices.Equal(names(before, -1), names(after, len(after)-1)) {
				t.Fatalf("append: %v → %v\n%s", names(before, -1), names(after, -1), nd.Bytes())
			}
			if h, _ := after[len(after)-1].Get("hostname"); h != "fuzz-host" {
				t.Fatalf("the new record is not last: %q\n%s", h, nd.Bytes())
			}
		case 1:
			if len(after) != len(before)-1 || !slices.Equal(names(before, i), names(after, -1)) {
				t.Fatalf("remove %d: %v → %v\n%s", i, names(before, -1), names(after, -1), nd.Bytes())
			}
		default:
			if len(after) != len(before) || !slices.Equal(names(before, i), names(after, i)) {
				t.Fatalf("set %d: %v → %v\n%s", i, names(before, -1), names(after, -1), nd.Bytes())
			}
		}
	})
}
