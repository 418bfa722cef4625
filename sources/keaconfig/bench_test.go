package keaconfig_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/keaops/keaops/generators/kea"
	"github.com/keaops/keaops/internal/sitegen"
	"github.com/keaops/keaops/sources/keaconfig"
	"github.com/keaops/keaops/sources/yamlsrc"
)

// bigConfig is a rendered kea-dhcp4 config of 2,000 subnets and 100,000
// reservations (about 40 MiB as config-get returns it).
func bigConfig(b *testing.B) json.RawMessage {
	b.Helper()
	dir := b.TempDir()
	if err := sitegen.Write(dir, sitegen.Spec{Subnets: 2000, Reservations: 100000, Mode: "hot-standby"}); err != nil {
		b.Fatal(err)
	}
	s, _, err := yamlsrc.Load(context.Background(), filepath.Join(dir, "keaops.yaml"))
	if err != nil || s == nil {
		b.Fatal(err)
	}
	nodes, err := kea.Render(s)
	if err != nil {
		b.Fatal(err)
	}
	dhcp4, err := keaconfig.Unwrap(nodes[0].Files[0].Data)
	if err != nil {
		b.Fatal(err)
	}
	return dhcp4
}

// BenchmarkParse100k is the parse-back of a 100,000-reservation config —
// what deploy, live diff and the agent do with every config-get; the peer
// is encoding/json decoding the same bytes into plain values, the floor
// any reader of them pays.
func BenchmarkParse100k(b *testing.B) {
	dhcp4 := bigConfig(b)
	b.Run("keaconfig", func(b *testing.B) {
		b.SetBytes(int64(len(dhcp4)))
		for b.Loop() {
			if _, err := keaconfig.Parse(dhcp4, "bench"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(dhcp4)))
		for b.Loop() {
			var v any
			if err := json.Unmarshal(dhcp4, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
