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

// FuzzResolveSecrets: any file and any offsets a manifest could list (it
// comes from a Git branch an attacker may write) give an error or a file
// with no placeholder left — never a panic, never a partial substitution.
func FuzzResolveSecrets(f *testing.F) {
	f.Add([]byte(`{"p": "${keaops-secret:env:A}"}`), 6, "env:A")
	f.Add([]byte(`"${keaops-secret:env:A}"`), 0, "env:A")
	f.Add([]byte(`x`), -1, "")
	f.Add([]byte(`{"p": "${keaops-secret:env:A}", "q": "${keaops-secret:env:A}"}`), 6, "env:A")
	f.Fuzz(func(t *testing.T, data []byte, offset int, ref string) {
		out, err := ResolveSecrets(data, []Secret{{Offset: offset, Ref: ref}}, func(string) (string, error) { return "v", nil })
		if err == nil && strings.Contains(string(out), "${keaops-secret:") {
			t.Fatalf("resolved %q at %d into %q: a placeholder is left", data, offset, out)
		}
	})
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"format": 2, "nodes": {"a": {"files": {"kea-dhcp4.json": {"sha256": "00", "size": 1, "secrets": [{"offset": 3, "ref": "env:A"}]}}}}}`))
	f.Add([]byte(`{"format": 1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest(b)
		if err != nil {
			return
		}
		for node, n := range m.Nodes {
			for name := range n.Files {
				_, _ = m.Resolve(node, name, b, func(string) (string, error) { return "v", nil })
			}
		}
	})
}
