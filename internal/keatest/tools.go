package keatest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Promtool is Prometheus's promtool in the repository's .tools (make setup
// puts Debian's there): a test without it fails under CI and is skipped
// elsewhere.
func Promtool(t testing.TB) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	bin := filepath.Join(filepath.Dir(here), "..", "..", ".tools", "promtool")
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no %s: make setup installs it", bin)
		}
		t.Skipf("no %s: make setup installs it", bin)
	}
	return bin
}
