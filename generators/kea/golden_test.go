package kea

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/validate"
	"github.com/keaops/keaops/sources/yamlsrc"
)

var update = flag.Bool("update", false, "rewrite the golden files with the current output")

// loadSite reads a site through the real source and requires it to pass
// every check, as render does.
func loadSite(t testing.TB, path string) *model.Site {
	t.Helper()
	site, findings, err := yamlsrc.Load(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if site != nil {
		findings = append(findings, validate.Site(site)...)
		findings = append(findings, Check(site)...)
	}
	if site == nil || findings.HasErrors() {
		t.Fatalf("%s does not pass check: %v", path, findings)
	}
	return site
}

// golden compares got with the file at path, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./generators/kea -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the rendered output (review, then go test ./generators/kea -update):\n%s", path, firstDiff(want, got))
	}
}

func firstDiff(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  want: %s\n  got:  %s", i+1, w, g)
		}
	}
	return "(same lines, different bytes)"
}

// TestGoldenExamples renders both examples for every target version.
func TestGoldenExamples(t *testing.T) {
	for _, ex := range []string{"homelab", "campus"} {
		for _, v := range Versions {
			t.Run(ex+"/"+v.String(), func(t *testing.T) {
				site := loadSite(t, filepath.Join("..", "..", "examples", ex, "keaops.yaml"))
				site.KeaVersion = v
				if f := Check(site); f.HasErrors() {
					t.Fatalf("%s cannot be rendered for %s: %v", ex, v, f)
				}
				nodes, err := Render(site)
				if err != nil {
					t.Fatal(err)
				}
				for _, n := range nodes {
					names := []string{}
					for _, f := range n.Files {
						names = append(names, f.Name)
						golden(t, filepath.Join("testdata", "golden", ex, v.String(), n.Node.Name, f.Name), f.Data)
					}
					wantAgent := v.AtLeast(3, 2) == false
					if hasAgent := len(names) == 2 && names[1] == AgentFile; hasAgent != wantAgent {
						t.Errorf("%s %s: files %v, Control Agent expected: %v", n.Node.Name, v, names, wantAgent)
					}
				}
			})
		}
	}
}

// TestDeterministic: the same model renders to the same bytes, every time.
func TestDeterministic(t *testing.T) {
	site := loadSite(t, "../../examples/campus/keaops.yaml")
	first, err := Render(site)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		again, err := Render(loadSite(t, "../../examples/campus/keaops.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for i := range first {
			for j := range first[i].Files {
				if !bytes.Equal(first[i].Files[j].Data, again[i].Files[j].Data) {
					t.Fatalf("%s/%s changed between renders", first[i].Node.Name, first[i].Files[j].Name)
				}
			}
		}
	}
}
