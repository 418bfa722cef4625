package kea

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keaops/keaops/internal/keatest"
	"github.com/keaops/keaops/internal/validate"
	"github.com/keaops/keaops/sources/yamlsrc"
)

// TestCheckAgreesWithKea: for mistakes check used to miss, keaops's verdict
// is the real kea-dhcp4 -t's. Each case is a subnet written in YAML; keaops
// checks it, and its render (made even when check refuses it) goes to Kea.
func TestCheckAgreesWithKea(t *testing.T) {
	for _, k := range keatest.Versions(t) {
		t.Run(k.Line, func(t *testing.T) { checkAgreesWithKea(t, k) })
	}
}

func checkAgreesWithKea(t *testing.T, k keatest.Kea) {
	for _, c := range []struct {
		name, subnet string
		ok           bool
	}{
		{"domain-search", `options: {domain-search: [home.arpa, example.net.]}`, true},
		{"domain-search with an empty label", `options: {domain-search: [bad..example]}`, false},
		{"domain-search with a leading dot", `options: {domain-search: [.example]}`, false},
		{"domain-search with a 64-character label", `options: {domain-search: [` + strings.Repeat("a", 64) + `.example]}`, false},
		{"hex data", `options: {vendor-encapsulated-options: {data: "01:04:c0:a8:00:01", csv-format: false}}`, true},
		{"hex data with 0x", `options: {vendor-encapsulated-options: {data: "0x0104c0a80001", csv-format: false}}`, true},
		{"hex data that is not hex", `options: {vendor-encapsulated-options: {data: "hello", csv-format: false}}`, false},
		{"hex data with a bad octet", `options: {vendor-encapsulated-options: {data: "01:zz", csv-format: false}}`, false},
		{"two relays", `relay: [10.30.30.2, 10.30.30.3]`, true},
		{"the same relay twice", `relay: [10.30.30.2, 10.30.30.2]`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "keaops.yaml"), []byte("kea-version: \""+k.Line+"\"\nnodes:\n  - {name: kea1, control-url: \"http://127.0.0.1:8000/\"}\n"), 0o644)
			os.WriteFile(filepath.Join(dir, "subnets.yaml"), []byte("subnets:\n  - name: IoT\n    prefix: 10.30.30.0/24\n    "+c.subnet+"\n"), 0o644)
			site, findings, err := yamlsrc.Load(context.Background(), filepath.Join(dir, "keaops.yaml"))
			if err != nil || site == nil {
				t.Fatal(err, findings)
			}
			findings = append(findings, validate.Site(site)...)
			if findings.HasErrors() == c.ok {
				t.Errorf("keaops: %v; Kea's verdict: ok %v", findings, c.ok)
			}
			onThisMachine(site)
			nodes, err := Render(site)
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, "kea-dhcp4.json")
			os.WriteFile(p, nodes[0].Files[0].Data, 0o600)
			if err := k.CheckConfig(context.Background(), p); (err == nil) != c.ok {
				t.Errorf("kea-dhcp4 -t: %v; the table says ok %v", err, c.ok)
			}
		})
	}
}
