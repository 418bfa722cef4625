package kea

import (
	"bytes"
	"encoding/json"
	"testing"
)

// The one-pass writer must produce what encoding/json would (sorted keys,
// two-space indent) minus HTML escaping, for every kind of value it meets.
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	v := map[string]any{
		"b": []any{"x", true, int64(-3), uint32(4294967294), 7, map[string]any{}},
		"a": map[string]any{"z": []any{}, "y": "quote\" back\\ nl\n tab\t ctl\x01 ünï \u2028 <&>"},
		"c": "bad utf8 \xff end",
	}
	got, err := encode(v)
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
	if _, err := encode(map[string]any{"f": 1.5}); err == nil {
		t.Error("a float was accepted: the renderer never produces one")
	}
}

func FuzzEncodeString(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\\n\t\x00\x1f", "ü\u2028\u2029", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := encode(s)
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
