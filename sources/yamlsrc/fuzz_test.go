package yamlsrc

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/keaops/keaops/internal/validate"
)

// FuzzParseDoc: any bytes either parse or yield findings that point into
// the file; never a panic.
func FuzzParseDoc(f *testing.F) {
	for _, s := range []string{"a: 1\n", "a: &x [1]\nb: *x\n", "<<: {a: 1}\n", "\t- x\n", "a: 1\na: 2\n", "- 1\n", "a: [\n", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		root, fs := parseDoc("f.yaml", src)
		if root == nil && len(fs) == 0 {
			t.Fatal("no document and no finding")
		}
		// Every finding points into the file (line 0: the file as a whole;
		// one past the last line: its end).
		// YAML breaks lines at \n, \r\n, \r, NEL, LS and PS; counting every
		// one of them over-counts \r\n, which only loosens the bound.
		lines := 1
		for _, b := range [][]byte{[]byte("\n"), []byte("\r"), []byte("\u0085"), []byte("\u2028"), []byte("\u2029")} {
			lines += bytes.Count(src, b)
		}
		for _, f := range fs {
			if f.Pos.Line < 0 || f.Pos.Line > lines+1 || f.Pos.Col < 0 {
				t.Fatalf("%v points outside the %d lines of the file", f, lines)
			}
		}
	})
}

// FuzzLoad runs the whole source and the semantic checks over fuzzed
// reservations and subnets: the loader either builds a model or reports
// findings with a position in the file it read, and nothing panics.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("../../examples/*/reservations.yaml")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, []byte(baseSubnetsFuzz))
		}
	}
	f.Add([]byte("reservations:\n  - {hw-address: zz, ip-address: 1.2.3.4, options: {routers: [1, 2]}}\n"), []byte("subnets: [{name: a, prefix: 1.2.3.0/24, pools: [1.2.3.9-1.2.3.1]}]\n"))
	// What the model grew: shared networks, settings, the escape hatch,
	// every identifier, reservations without an address.
	f.Add([]byte("reservations:\n  - {global: true, duid: '00:01', kea: {user-context: {a: [1, {b: {env: X}}]}}}\n  - {subnet: a, flex-id: \"'x'\", next-server: 1.2.3.9}\n"),
		[]byte("shared-networks: [{name: n, authoritative: true, kea: {x: 1.5e3}}]\nsubnets: [{name: a, prefix: 1.2.3.0/24, shared-network: n, t1-percent: 0.4, client-classes: [c], pools: [{range: 1.2.3.10-1.2.3.20, kea: {k: []}}]}]\n"))
	f.Fuzz(func(t *testing.T, reservations, subnets []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "keaops.yaml"), []byte(okSite), 0o600)
		os.WriteFile(filepath.Join(dir, "reservations.yaml"), reservations, 0o600)
		os.WriteFile(filepath.Join(dir, "subnets.yaml"), subnets, 0o600)
		site, fs, err := Load(context.Background(), filepath.Join(dir, "keaops.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if site == nil && len(fs) == 0 {
			t.Fatal("no site and no finding")
		}
		if site != nil {
			fs = append(fs, validate.Site(site)...) // and what is read can be checked
		}
		for _, fd := range fs {
			if fd.Pos.File == "" {
				t.Fatalf("finding without a file: %v", fd)
			}
		}
	})
}

const baseSubnetsFuzz = "subnets:\n  - {name: Core, prefix: 10.10.0.0/16, pools: [10.10.100.0-10.10.255.254]}\n"

// FuzzShape checks fuzzed documents against the reservations schema with one
// checker built up front, record by record.
func FuzzShape(f *testing.F) {
	f.Add([]byte("reservations:\n  - {hw-address: zz, ip-address: 1.2.3.4, options: {routers: [1, 2]}}\n"))
	c, err := newShapeChecker()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		root, _ := parseDoc("f.yaml", src)
		if root == nil {
			return
		}
		_, lists := c.header("f.yaml", root, "#ReservationsFile")
		def := lookupSchema(c.def("#ReservationsFile"), []string{"reservations", "0"})
		for _, l := range lists {
			for _, item := range l.items.Content {
				c.check("f.yaml", item, item, def, nil)
			}
		}
	})
}
