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
	in := []byte(`{"a": "${keaops-secret:env:A}", "b": ["x${keaops-secret:file:/b}y"], "c": "plain"}`)
	values := map[string]string{"env:A": `qu"ote\back`, "file:/b": "s3cret"}
	out, err := ResolveSecrets(in, func(ref string) (string, error) { return values[ref], nil })
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("result is not JSON: %v\n%s", err, out)
	}
	if v["a"] != `qu"ote\back` || v["b"].([]any)[0] != "xs3crety" || v["c"] != "plain" {
		t.Errorf("resolved = %v", v)
	}
	if _, err := ResolveSecrets([]byte(`"${keaops-secret:env:A`), nil); err == nil {
		t.Error("unterminated placeholder accepted")
	}
	_, err = ResolveSecrets(in, func(string) (string, error) { return "", errors.New("nope") })
	if err == nil || !strings.Contains(err.Error(), "resolving secret env:A") {
		t.Errorf("resolver error = %v", err)
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
