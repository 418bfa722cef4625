package kea

import (
	"path/filepath"
	"testing"

	"github.com/keaops/keaops/internal/sitegen"
)

// BenchmarkRender is the renderer alone on 2,000 subnets / 100,000
// reservations; the whole compile beside Kea's own parse is
// BenchmarkCompileVsKea in internal/cli.
func BenchmarkRender(b *testing.B) {
	dir := b.TempDir()
	if err := sitegen.Write(dir, sitegen.Spec{Subnets: 2000, Reservations: 100000, Mode: "hot-standby"}); err != nil {
		b.Fatal(err)
	}
	s := loadSite(b, filepath.Join(dir, "keaops.yaml"))
	for b.Loop() {
		if _, err := Render(s); err != nil {
			b.Fatal(err)
		}
	}
}
