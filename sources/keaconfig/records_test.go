package keaconfig

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/keaops/keaops/internal/model"
)

// TestOlderRecordsStayValid: the model grew, and the fingerprint with it,
// but only by lines for what a site uses: configs rendered by keaops
// before the growth (testdata/records, from commit 454df08) still match
// their records, so an upgrade does not report every node as drifted.
func TestOlderRecordsStayValid(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "records", "*.json"))
	if len(paths) == 0 {
		t.Fatal("no records")
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		dhcp4, err := Unwrap(data)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Parse(dhcp4, p)
		if err != nil {
			t.Fatal(err)
		}
		if !s.Recorded.Recorded() || len(s.Subnets) == 0 {
			t.Fatalf("%s carries no records", p)
		}
		if d := model.Drift(s); d != nil {
			t.Errorf("%s: drift %v", p, d)
		}
		if !s.Raw.Empty() || len(s.Unmodelled) > 0 {
			t.Errorf("%s: escape hatch %s, unmodelled %v", p, s.Raw.Text(), s.Unmodelled)
		}
	}
}
