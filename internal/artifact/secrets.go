package artifact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// Resolver returns the value of a secret reference ("env:NAME", "file:/p").
type Resolver func(ref string) (string, error)

// ResolveSecrets replaces every secret placeholder in a rendered JSON file
// with its value, escaped for its place inside a JSON string. Called at
// apply time only: the result must never be written to an artifact
// directory or a log.
func ResolveSecrets(data []byte, resolve Resolver) ([]byte, error) {
	prefix, suffix := []byte(model.SecretPrefix), []byte(model.SecretSuffix)
	var out bytes.Buffer
	for {
		i := bytes.Index(data, prefix)
		if i < 0 {
			out.Write(data)
			return out.Bytes(), nil
		}
		j := bytes.Index(data[i+len(prefix):], suffix)
		if j < 0 {
			return nil, fmt.Errorf("unterminated secret placeholder at byte %d", i)
		}
		ref := string(data[i+len(prefix) : i+len(prefix)+j])
		val, err := resolve(ref)
		if err != nil {
			return nil, fmt.Errorf("resolving secret %s: %w", ref, err)
		}
		quoted, _ := json.Marshal(val) // a string always marshals
		out.Write(data[:i])
		out.Write(quoted[1 : len(quoted)-1])
		data = data[i+len(prefix)+j+len(suffix):]
	}
}

// EnvFileResolver resolves env: references from the environment and file:
// references by reading the file (one trailing newline removed). A missing
// or empty secret is an error: Kea would otherwise run with no password.
func EnvFileResolver(ref string) (string, error) {
	kind, name, _ := strings.Cut(ref, ":")
	switch kind {
	case "env":
		v, ok := os.LookupEnv(name)
		if !ok || v == "" {
			return "", fmt.Errorf("environment variable %s is not set", name)
		}
		return v, nil
	case "file":
		b, err := os.ReadFile(name)
		if err != nil {
			return "", err
		}
		v := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if v == "" {
			return "", fmt.Errorf("%s is empty", name)
		}
		return v, nil
	}
	return "", fmt.Errorf("unknown secret reference kind %q", kind)
}
