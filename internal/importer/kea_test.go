package importer_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
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
		// resolves includes from the directory it runs in, which the
		// root filesystems' chroot cannot start in: the host's Kea only.
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
				orig := configGet(t, k.StartDHCP(t, dirs, keatest.Fill(src, k.Line, dirs, hooksDir), filepath.Join(dirs.Run, "kea4-ctrl-socket")))

				cfgs, err := importer.KeaFiles([]string{filepath.Join(dirs.Root, "kea-dhcp4.json")}, dirs.Root, nil)
				if err != nil {
					t.Fatal(err)
				}
				v, _ := importer.ParseVersion(k.Line)
				res, err := importer.Assemble(v, cfgs)
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Report) > 0 {
					t.Errorf("not converted: %v", res.Report)
				}
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
				dirs2 := keatest.NewDirs(t, t.TempDir())
				rendered := strings.ReplaceAll(string(nodes[0].Files[0].Data), dirs.Root, dirs2.Root)
				again := configGet(t, k.StartDHCP(t, dirs2, []byte(rendered), filepath.Join(dirs2.Run, "kea4-ctrl-socket")))
				loggers := strings.Contains(string(orig), `"loggers"`)
				a, b := keatest.Normalize(t, orig, dirs.Root, loggers), keatest.Normalize(t, again, dirs2.Root, loggers)
				if !reflect.DeepEqual(a, b) {
					for _, line := range keatest.JSONDiff("", a, b) {
						t.Error(line)
					}
				}
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

func configGet(t *testing.T, n *keatest.Node) json.RawMessage {
	t.Helper()
	a, err := n.Command(context.Background(), "config-get", nil)
	if err != nil || a.Result != 0 {
		t.Fatalf("config-get: %v %+v", err, a)
	}
	var v struct{ Dhcp4 json.RawMessage }
	if err := json.Unmarshal(a.Arguments, &v); err != nil {
		t.Fatal(err)
	}
	return v.Dhcp4
}
