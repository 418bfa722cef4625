package importer_test

import (
	"testing"

	"github.com/keaops/keaops/internal/importer"
	"github.com/keaops/keaops/internal/model"
)

// FuzzAssemble: any kea-dhcp4 object, imported and written as site files,
// gives an error or files — never a panic.
func FuzzAssemble(f *testing.F) {
	f.Add([]byte(`{"subnet4": [{"subnet": "10.0.0.0/24", "pools": [{"pool": "10.0.0.10-10.0.0.20", "option-data": [{"code": 3, "data": "10.0.0.1"}]}],
 "reservations": [{"flex-id": "'x'", "option-data": [{"name": "x", "space": "s", "csv-format": false}]}]}],
 "shared-networks": [{"name": "n", "subnet4": [{"subnet": "10.1.0.0/24"}]}],
 "hooks-libraries": [{"library": "/x/libdhcp_ha.so", "parameters": {"high-availability": [{"this-server-name": "a", "mode": "hot-standby",
   "peers": [{"name": "a", "url": "http://10.0.0.1:8000/", "role": "primary", "basic-auth-password": "p"}, {"name": "b", "url": "http://10.0.0.2:8000/", "role": "standby"}]}]}}],
 "loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output-options": [{"output": "stdout"}]}], "user-context": {"x": [1, 2.5, null]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, v := range []model.Version{{Major: 2, Minor: 2}, {Major: 3, Minor: 0}} {
			res, err := importer.Assemble(v, []importer.NodeConfig{{Origin: "fuzz", Dhcp4: b}})
			if err != nil {
				continue
			}
			if _, err := res.Files(true); err != nil {
				t.Fatalf("writing an imported site: %v", err)
			}
		}
	})
}
