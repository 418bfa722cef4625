package validate

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/keaops/keaops/internal/keatest"
	"github.com/keaops/keaops/internal/model"
)

// sample is a value of an option type Kea parses; records and binaries go
// as raw bytes (csv-format false), which Kea checks against the definition.
func sample(t optType) (data string, csv bool) {
	switch t {
	case tIPv4:
		return "192.0.2.1", true
	case tString:
		return "x", true
	case tFQDN:
		return "example.org", true
	case tBool:
		return "true", true
	case tUint8, tUint16, tUint32, tInt32:
		return "1", true
	}
	return "", false
}

// TestOptionTableIsKeas: the standard option table keaops checks option
// data against is each Kea version's own — every name keaops knows for a
// version, kea-dhcp4 -t of that version takes, and every name it refuses
// for a version (optionSince), that version refuses too.
func TestOptionTableIsKeas(t *testing.T) {
	names := make([]string, 0, len(dhcp4Options))
	for name := range dhcp4Options {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, k := range keatest.Versions(t) {
		t.Run(k.Line, func(t *testing.T) {
			v := model.Version{Major: int(k.Line[0] - '0'), Minor: int(k.Line[2] - '0')}
			set := optionSet{version: v}
			known := 0
			for _, name := range names {
				def := dhcp4Options[name]
				data, csv := sample(def.typ)
				if name == "classless-static-route" {
					data, csv = "10.0.0.0/8 - 192.0.2.1", true // a record with a text form
				}
				if !csv {
					continue // a binary or record: its bytes say nothing of the name
				}
				o := map[string]any{"name": name, "data": data}
				cfg, _ := json.Marshal(map[string]any{"Dhcp4": map[string]any{"option-data": []any{o}}})
				p := filepath.Join(t.TempDir(), "kea-dhcp4.json")
				os.WriteFile(p, cfg, 0o600)
				keaOK := k.CheckConfig(context.Background(), p) == nil
				_, _, err := set.lookup(&model.Option{Name: name})
				if keaOK != (err == nil) {
					t.Errorf("option %s (code %d): kea-dhcp4 -t takes it: %v; keaops knows it for %s: %v", name, def.code, keaOK, v, err == nil)
				}
				if keaOK {
					known++
				}
			}
			t.Logf("%s takes %d standard options by name with text data, as keaops's table says", k, known)
		})
	}
}
