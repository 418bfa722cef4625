package importer_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keaops/keaops/generators/kea"
	"github.com/keaops/keaops/generators/siteyaml"
	"github.com/keaops/keaops/internal/importer"
	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/validate"
	"github.com/keaops/keaops/sources/keaconfig"
	"github.com/keaops/keaops/sources/yamlsrc"
)

// keaopsRenders are the renders keaops's own tests hold as golden files:
// every feature of the model, every target version, the HA pair and the
// load-balancing trio of the campus example. Each is a set of nodes, the
// files of each in the order import takes them.
func keaopsRenders(t *testing.T) map[string][][]string {
	t.Helper()
	root := filepath.Join("..", "..", "generators", "kea", "testdata")
	out := map[string][][]string{}
	sites, _ := filepath.Glob(filepath.Join(root, "golden", "*", "*"))
	for _, dir := range sites {
		nodes, _ := os.ReadDir(dir)
		var set [][]string
		for _, n := range nodes {
			files := []string{filepath.Join(dir, n.Name(), kea.Dhcp4File)}
			for _, extra := range []string{kea.AgentFile, kea.D2File} {
				if p := filepath.Join(dir, n.Name(), extra); exists(p) {
					files = append(files, p)
				}
			}
			set = append(set, files)
		}
		out[strings.TrimPrefix(dir, root+"/")] = set
	}
	cases, _ := filepath.Glob(filepath.Join(root, "breadth", "*", "*.json"))
	for _, p := range cases {
		if strings.HasSuffix(p, "."+kea.D2File) {
			continue
		}
		files := []string{p}
		if d2 := strings.TrimSuffix(p, ".json") + "." + kea.D2File; exists(d2) {
			files = append(files, d2)
		}
		out[strings.TrimPrefix(strings.TrimSuffix(p, ".json"), root+"/")] = [][]string{files}
	}
	if len(out) < 20 {
		t.Fatalf("found %d renders under %s", len(out), root)
	}
	return out
}

// renderedAs is the file of a node's render a golden file is: breadth
// cases name theirs by version (2.6.json, 2.6.kea-dhcp-ddns.json).
func renderedAs(p string) string {
	switch base := filepath.Base(p); {
	case strings.HasSuffix(base, "."+kea.D2File):
		return kea.D2File
	case base == kea.AgentFile, base == kea.D2File:
		return base
	}
	return kea.Dhcp4File
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestImportKeaopsRendersExactly: a config keaops rendered, imported from
// its files, is a site that renders the same bytes again — for every
// golden render of every target. The strictest round trip there is: the
// names, VLANs, comments and records keaops writes into user-context must
// come back too, and what the site files say must be all there is.
func TestImportKeaopsRendersExactly(t *testing.T) {
	for name, nodes := range keaopsRenders(t) {
		t.Run(name, func(t *testing.T) {
			v, err := importer.ParseVersion(filepath.Base(name))
			if err != nil {
				t.Fatal(err)
			}
			var paths []string
			for _, n := range nodes {
				paths = append(paths, n...)
			}
			res, cfgs := importFiles(t, v, paths, "")
			site := loadImport(t, res)
			rendered, err := kea.Render(site)
			if err != nil {
				t.Fatal(err)
			}
			for i, n := range nodes {
				node := cfgs[i].Name
				if node == "" {
					node = keaconfig.ThisServer(cfgs[i].Dhcp4)
				}
				if node == "" {
					node = site.Nodes[0].Name
				}
				for _, p := range n {
					want, _ := os.ReadFile(p)
					if got := fileOf(rendered, node, renderedAs(p)); string(got) != string(want) && !onlyDefaultsDropped(string(want), string(got)) {
						t.Errorf("%s: the imported site renders it differently (as %s/%s):\n%s", p, node, renderedAs(p), lineDiff(string(want), string(got)))
					}
				}
			}
		})
	}
}

// importFiles imports Kea files for v, all of them converted.
func importFiles(t *testing.T, v model.Version, paths []string, dir string) (*importer.Result, []importer.NodeConfig) {
	t.Helper()
	cfgs, err := importer.KeaFiles(paths, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := importer.Assemble(v, cfgs)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Report) > 0 {
		t.Errorf("not converted: %v", res.Report)
	}
	return res, cfgs
}

// loadImport writes the result as site files and reads them back as
// keaops check does: they must pass it.
func loadImport(t *testing.T, res *importer.Result) *model.Site {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "site")
	if err := res.Write(dir, false); err != nil {
		t.Fatal(err)
	}
	site, findings, err := yamlsrc.Load(context.Background(), filepath.Join(dir, siteyaml.SiteFile))
	if err != nil {
		t.Fatal(err)
	}
	if site != nil {
		findings = append(findings, validate.Site(site)...)
		findings = append(findings, kea.Check(site)...)
	}
	if site == nil || findings.HasErrors() {
		for _, name := range []string{siteyaml.SiteFile, siteyaml.SubnetsFile, siteyaml.ReservationsFile} {
			data, _ := os.ReadFile(filepath.Join(dir, name))
			t.Logf("%s:\n%s", name, data)
		}
		t.Fatalf("the imported site does not pass check: %v", findings)
	}
	return site
}

func fileOf(nodes []kea.NodeConfig, node, name string) []byte {
	for _, n := range nodes {
		if n.Node.Name != node {
			continue
		}
		for _, f := range n.Files {
			if f.Name == name {
				return f.Data
			}
		}
	}
	return nil
}

// lineDiff shows the lines of want missing from got (-) and the lines of
// got not in want (+), at most 20.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var out []string
	for _, l := range w {
		if !slices.Contains(g, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			out = append(out, "+ "+l)
		}
	}
	if len(out) == 0 { // the same lines in another order: show where they part
		for i := range min(len(w), len(g)) {
			if w[i] != g[i] {
				return fmt.Sprintf("line %d: want %q, got %q", i+1, w[i], g[i])
			}
		}
		return fmt.Sprintf("want %d lines, got %d", len(w), len(g))
	}
	if len(out) > 20 {
		out = append(out[:20], "…")
	}
	return strings.Join(out, "\n")
}

// onlyDefaultsDropped: got is want without settings the site stated at
// Kea's default value (a config does not say them apart from leaving them
// out, so neither can an import), and so with another render digest.
func onlyDefaultsDropped(want, got string) bool {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	digest := func(l string) bool { return strings.HasPrefix(strings.TrimSpace(l), `"render": "sha256:`) }
	for _, l := range g {
		if !slices.Contains(w, l) && !digest(l) {
			return false
		}
	}
	dropped := 0
	for _, l := range w {
		if slices.Contains(g, l) || digest(l) {
			continue
		}
		key, val, ok := strings.Cut(strings.TrimSuffix(strings.TrimSpace(l), ","), ": ")
		d, known := model.SettingDefOf(strings.Trim(key, `"`))
		if !ok || !known || d.Default == nil || model.Text(d.Default) != val {
			return false
		}
		dropped++
	}
	return dropped > 0
}
