package artifact

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveSecrets(t *testing.T) {
	in := []byte(`{"a": "${keaops-secret:env:A}", "b": ["${keaops-secret:file:/b}"], "c": "plain"}`)
	at := []Secret{{Offset: 38, Ref: "file:/b"}, {Offset: 6, Ref: "env:A"}}
	values := map[string]string{"env:A": `qu"ote\back`, "file:/b": "s3cret"}
	lookup := func(ref string) (string, error) { return values[ref], nil }
	out, err := ResolveSecrets(in, at, lookup)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("result is not JSON: %v\n%s", err, out)
	}
	if v["a"] != `qu"ote\back` || v["b"].([]any)[0] != "s3cret" || v["c"] != "plain" {
		t.Errorf("resolved = %v", v)
	}
	_, err = ResolveSecrets(in, at, func(string) (string, error) { return "", errors.New("nope") })
	if err == nil || !strings.Contains(err.Error(), "resolving secret env:A") {
		t.Errorf("resolver error = %v", err)
	}
	for _, tc := range []struct {
		name string
		in   string
		at   []Secret
		want string
	}{
		// The site's own reference, written as option data: a rule that
		// checked names against the manifest would resolve it.
		{"placeholder as data", `{"p": "${keaops-secret:env:A}", "data": "${keaops-secret:env:A}"}`, []Secret{{6, "env:A"}}, "placeholder at byte 41 is not one the render put there"},
		{"placeholder before a listed one", `{"data": "${keaops-secret:env:A}", "p": "${keaops-secret:env:A}"}`, []Secret{{40, "env:A"}}, "placeholder at byte 10 is not one"},
		{"inside a longer string", `{"p": "x${keaops-secret:env:A}"}`, []Secret{{6, "env:A"}}, "holds no such placeholder"},
		{"no list at all", `{"p": "${keaops-secret:env:A}"}`, nil, "placeholder at byte 7 is not one"},
		{"offset past the end", `{}`, []Secret{{1 << 20, "env:A"}}, "holds no such placeholder"},
		{"wrong reference at the offset", `{"p": "${keaops-secret:env:A}"}`, []Secret{{6, "env:B"}}, "holds no such placeholder"},
	} {
		if _, err := ResolveSecrets([]byte(tc.in), tc.at, lookup); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestEnvFileResolver(t *testing.T) {
	t.Setenv("KEAOPS_TEST_SECRET", "from-env")
	if v, err := EnvFileResolver("env:KEAOPS_TEST_SECRET"); v != "from-env" || err != nil {
		t.Errorf("env: %q, %v", v, err)
	}
	if _, err := EnvFileResolver("env:KEAOPS_TEST_UNSET_SECRET"); err == nil {
		t.Error("unset variable accepted")
	}
	p := filepath.Join(t.TempDir(), "pass")
	os.WriteFile(p, []byte("from-file\n"), 0o600)
	if v, err := EnvFileResolver("file:" + p); v != "from-file" || err != nil {
		t.Errorf("file: %q, %v", v, err)
	}
	os.WriteFile(p, []byte("\n"), 0o600)
	if _, err := EnvFileResolver("file:" + p); err == nil {
		t.Error("empty file accepted")
	}
}
