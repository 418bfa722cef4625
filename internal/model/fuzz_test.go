package model

import "testing"

// FuzzParseMAC: never panics; an accepted spelling normalises to a fixed
// point (parsing the result gives the result).
func FuzzParseMAC(f *testing.F) {
	for _, s := range []string{"aa:bb:cc:dd:ee:ff", "AA-BB-CC-DD-EE-FF", "aabb.ccdd.eeff", "aabbccddeeff", "aa:bb-cc:dd:ee:ff", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := ParseMAC(s)
		if err != nil {
			return
		}
		if again, err := ParseMAC(out); err != nil || again != out || len(out) != 17 {
			t.Fatalf("ParseMAC(%q) = %q, not a fixed point (%q, %v)", s, out, again, err)
		}
	})
}

func FuzzParseClientID(f *testing.F) {
	for _, s := range []string{"01:aa:bb", "01-AA-BB", "01aabb", "0", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := ParseClientID(s)
		if err != nil {
			return
		}
		if again, err := ParseClientID(out); err != nil || again != out {
			t.Fatalf("ParseClientID(%q) = %q, not a fixed point (%q, %v)", s, out, again, err)
		}
	})
}
