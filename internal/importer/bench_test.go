package importer_test

import (
	"os"
	"testing"

	"github.com/keaops/keaops/internal/importer"
	"github.com/keaops/keaops/internal/model"
)

// BenchmarkFromDHCPD is the conversion half of an import — read the
// dhcpd.conf, convert, write the site files — without the check the
// command runs after it (BenchmarkImport100k in internal/cli has both).
// KEAOPS_BENCH_DHCPD names the file (the CLI benchmark's generator
// writes one); without it the benchmark is skipped.
func BenchmarkFromDHCPD(b *testing.B) {
	path := os.Getenv("KEAOPS_BENCH_DHCPD")
	if path == "" {
		b.Skip("set KEAOPS_BENCH_DHCPD to a dhcpd.conf")
	}
	for b.Loop() {
		res, _, err := importer.FromDHCPD(path, "", model.Version{Major: 2, Minor: 6}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := res.Files(false); err != nil {
			b.Fatal(err)
		}
	}
}
