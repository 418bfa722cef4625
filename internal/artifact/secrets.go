package artifact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/safefile"
)

// Resolver returns the value of a secret reference ("env:NAME", "file:/p").
type Resolver func(ref string) (string, error)

// ResolveSecrets replaces the secret placeholders the render put into a
// file, at the offsets its manifest entry lists, with their values escaped
// for their place inside a JSON string. Placeholder text anywhere else is
// refused, not resolved: it came from the site's data (an option value,
// say), and resolving it would hand a secret to whoever reads that data.
// Called at apply time only: the result must never be written to an
// artifact directory or a log.
func ResolveSecrets(data []byte, at []Secret, resolve Resolver) ([]byte, error) {
	at = slices.Clone(at)
	slices.SortFunc(at, func(a, b Secret) int { return a.Offset - b.Offset })
	var out bytes.Buffer
	out.Grow(len(data))
	prefix := []byte(model.SecretPrefix)
	pos := 0
	for _, s := range at {
		want := `"` + model.SecretPrefix + s.Ref + model.SecretSuffix + `"`
		if s.Offset < pos || s.Offset > len(data)-len(want) || string(data[s.Offset:s.Offset+len(want)]) != want {
			return nil, fmt.Errorf("the manifest places secret %s at byte %d, where the file holds no such placeholder", s.Ref, s.Offset)
		}
		if i := bytes.Index(data[pos:s.Offset], prefix); i >= 0 {
			return nil, unlisted(pos + i)
		}
		val, err := resolve(s.Ref)
		if err != nil {
			return nil, fmt.Errorf("resolving secret %s: %w", s.Ref, err)
		}
		quoted, _ := json.Marshal(val) // a string always marshals
		out.Write(data[pos:s.Offset])
		out.Write(quoted)
		pos = s.Offset + len(want)
	}
	if i := bytes.Index(data[pos:], prefix); i >= 0 {
		return nil, unlisted(pos + i)
	}
	out.Write(data[pos:])
	return out.Bytes(), nil
}

func unlisted(at int) error {
	return fmt.Errorf("a secret placeholder at byte %d is not one the render put there (placeholder text in the site's data?): refusing to resolve it", at)
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
		b, err := safefile.ReadFile(name, safefile.Options{Limit: 1 << 20})
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

// Resolve resolves the secrets of one of a node's files (data, already
// checked against the manifest) at the places this manifest lists.
func (m Manifest) Resolve(node, name string, data []byte, resolve Resolver) ([]byte, error) {
	f, ok := m.Nodes[node].Files[name]
	if !ok {
		return nil, fmt.Errorf("the manifest lists no file %s/%s", node, name)
	}
	out, err := ResolveSecrets(data, f.Secrets, resolve)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", node, name, err)
	}
	return out, nil
}
