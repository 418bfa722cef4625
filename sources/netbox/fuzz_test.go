package netbox

import (
	"testing"

	"github.com/keaops/keaops/internal/model"
)

// FuzzSnapshot: any file reads as a snapshot or as positioned findings, and
// any snapshot that reads converts without a panic into findings that each
// name a position.
func FuzzSnapshot(f *testing.F) {
	cfg := &model.NetBox{Addresses: &model.NetBoxFilter{}, Pos: model.Pos{File: "keaops.yaml", Line: 1, Col: 1}}
	good := &Snapshot{Format: 1, Selection: SelectionOf(cfg),
		Prefixes:  []Prefix{{ID: 1, Display: "10.0.1.0/24", Prefix: "10.0.1.0/24", VLAN: &VLAN{VID: 10, Name: "lan"}, CustomFields: map[string]any{"kea_subnet_id": 7, "dhcp_dns": "10.0.0.1 10.0.0.2", "dhcp_options": map[string]any{"domain-search": []any{"a.example"}}}}},
		IPRanges:  []IPRange{{ID: 2, Display: "r", Start: "10.0.1.100", End: "10.0.1.200"}},
		Addresses: []IPAddress{{ID: 3, Display: "a", Address: "10.0.1.5/24", Interface: &Interface{Type: "dcim.interface", ID: 4, Name: "eth0", Parent: "pc", MAC: "aa:bb:cc:dd:ee:ff"}}},
	}
	seed, _ := good.Marshal()
	f.Add(seed)
	f.Add([]byte(`{"format":1,"prefixes":[{"id":1,"prefix":"10.0.0.0/8","custom-fields":{"dhcp_valid_lifetime":"x","dhcp_relay":[1]}}]}`))
	f.Add([]byte(`{"format":1,"ip-addresses":[{"id":1,"address":"::1","custom-fields":{"dhcp_hw_address":5}}]}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, findings := ParseSnapshot("netbox.json", data)
		if s == nil {
			if len(findings) != 1 || findings[0].Pos.File != "netbox.json" {
				t.Fatalf("no snapshot and findings %v", findings)
			}
			return
		}
		s.Selection = SelectionOf(cfg)
		_, _, conv := Convert(s, cfg, "netbox.json")
		for _, f := range conv {
			if f.Pos.File == "" {
				t.Fatalf("finding without a position: %v", f)
			}
		}
		if _, err := s.Marshal(); err != nil {
			t.Fatal(err)
		}
	})
}
