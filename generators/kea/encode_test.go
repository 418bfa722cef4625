package kea

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/keaops/keaops/internal/model"
)

// The one-pass writer must produce what encoding/json would (sorted keys,
// two-space indent) minus HTML escaping, for every kind of value it meets.
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	v := map[string]any{
		"b": []any{"x", true, int64(-3), uint32(4294967294), 7, map[string]any{}},
		"a": map[string]any{"z": []any{}, "y": "quote\" back\\ nl\n tab\t ctl\x01 ünï \u2028 <&>"},
		"c": "bad utf8 \xff end",
	}
	got, _, err := encode(v)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("encode:\n%s\nencoding/json:\n%s", got, want.Bytes())
	}
	// Settings hold floats (t1-percent) and raw Kea JSON json.Numbers:
	// both as Kea reads them, a number never an exponent.
	for _, c := range []struct {
		v    any
		want string
	}{{0.5, "0.5\n"}, {0.875, "0.875\n"}, {1e21, "1000000000000000000000\n"}, {json.Number("12.50"), "12.50\n"}} {
		if got, _, err := encode(c.v); err != nil || string(got) != c.want {
			t.Errorf("encode(%v) = %q, %v; want %q", c.v, got, err, c.want)
		}
	}
	if _, _, err := encode(json.Number("1x")); err == nil {
		t.Error("a json.Number that is not a number was encoded")
	}
	if _, _, err := encode(struct{}{}); err == nil {
		t.Error("a type the renderer never produces was encoded")
	}
}

func FuzzEncodeString(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\\n\t\x00\x1f", "ü\u2028\u2029", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, _, err := encode(s)
		if strings.Contains(s, model.SecretPrefix) {
			if err == nil {
				t.Fatalf("encode(%q): placeholder text accepted as data", s)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("encode(%q) = %s, encoding/json = %s", s, got, want.Bytes())
		}
	})
}

// Secrets are written as placeholders at recorded offsets; placeholder
// text anywhere else is refused, so no consumer can be made to resolve it.
func TestEncodeSecrets(t *testing.T) {
	out, at, err := encode(map[string]any{"a": "x", "p": secret("env:KEA_API_PASSWORD"), "q": []any{secret("file:/etc/k")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(at) != 2 {
		t.Fatalf("secrets %v, want 2", at)
	}
	for _, s := range at {
		want := `"` + model.SecretPrefix + s.Ref + model.SecretSuffix + `"`
		if got := string(out[s.Offset : s.Offset+len(want)]); got != want {
			t.Errorf("at %d: %q, want %q", s.Offset, got, want)
		}
	}
	_, _, err = encode(map[string]any{"option-data": "${keaops-secret:env:KEA_API_PASSWORD}", "p": secret("env:KEA_API_PASSWORD")})
	if err == nil || !strings.Contains(err.Error(), "2 secret placeholders in the output, 1 put there by the renderer") {
		t.Errorf("placeholder as data: %v", err)
	}
}
