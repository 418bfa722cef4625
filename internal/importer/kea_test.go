package importer_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/keaops/keaops/generators/kea"
	"github.com/keaops/keaops/internal/importer"
	"github.com/keaops/keaops/internal/keatest"
)

const hooksDir = "/usr/lib/x86_64-linux-gnu/kea/hooks"

// fileFixture is a kea-dhcp4 file as people keep it, with the files it
// includes, and the Kea lines that take it.
type fileFixture struct {
	path     string
	includes []string
	lines    []string // nil: every line
}

func fileFixtures() map[string]fileFixture {
	hand := filepath.Join("..", "..", "sources", "keaconfig", "testdata", "handwritten")
	own := filepath.Join("testdata", "files")
	return map[string]fileFixture{
		"campus":  {path: filepath.Join(hand, "campus.json")},
		"homelab": {path: filepath.Join(hand, "homelab.json")},
		// No subnet ids: only 2.2 and 2.4 number subnets themselves. Kea
		// resolves includes from the directory it runs in.
		"noids": {path: filepath.Join(own, "noids.json"), includes: []string{filepath.Join(own, "noids-options.json")}, lines: []string{"2.2"}},
	}
}

// TestImportFilesThroughKea: render(import(file)) means what the file
// means, judged by real Kea, not by keaops's model (which cannot see
// what it does not model): each fixture runs on every Kea line the tests
// provide, is imported from its file (comments, includes, missing ids and
// all), and the imported site's render, run on the same Kea, gives the
// same config-get — node-local keys and keaops's own user-context aside.
func TestImportFilesThroughKea(t *testing.T) {
	for _, k := range keatest.Versions(t) {
		for name, fx := range fileFixtures() {
			if fx.lines != nil && !contains(fx.lines, k.Line) {
				continue
			}
			t.Run(k.Line+"/"+name, func(t *testing.T) {
				dirs := keatest.NewDirs(t, t.TempDir())
				for _, inc := range fx.includes {
					src, _ := os.ReadFile(inc)
					if err := os.WriteFile(filepath.Join(dirs.Root, filepath.Base(inc)), keatest.Fill(src, k.Line, dirs, hooksDir), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				src, err := os.ReadFile(fx.path)
				if err != nil {
					t.Fatal(err)
				}
				orig := keatest.ConfigGet(t, k.StartDHCP(t, dirs, keatest.Fill(src, k.Line, dirs, hooksDir), filepath.Join(dirs.Run, "kea4-ctrl-socket")))

				v, _ := importer.ParseVersion(k.Line)
				res, _ := importFiles(t, v, []string{filepath.Join(dirs.Root, "kea-dhcp4.json")}, dirs.Root)
				site := loadImport(t, res)
				n := site.Nodes[0]
				if n.Paths.LogFile == "" { // the fixture logs to stdout: keaops wants a file
					n.Paths.LogFile = filepath.Join(dirs.Log, "kea-dhcp4.log")
				}
				if k.Line >= "2.4" {
					n.KeaDirs.Log = dirs.Log
				}
				nodes, err := kea.Render(site)
				if err != nil {
					t.Fatal(err)
				}
				k.SameConfig(t, orig, dirs, nodes[0].Files[0].Data)
			})
		}
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
