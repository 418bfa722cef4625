package keaconfig_test

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keaops/keaops/generators/kea"
	"github.com/keaops/keaops/internal/keatest"
	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/validate"
	"github.com/keaops/keaops/sources/keaconfig"
)

// The fixtures in testdata/handwritten are kea-dhcp4 configurations
// written the way people write them — comments of all three kinds,
// extraneous commas, shared networks, vendor options, global and
// address-less reservations, DDNS parameters, loggers, hooks — using
// only what the model expresses. @SOCKET@, @LEASES@, @LOG@, @HOOKS@,
// @IFACE@ and @OUTPUTS@ stand for what differs between Kea versions and
// machines.

func fixtures(t *testing.T) map[string][]byte {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join("testdata", "handwritten", "*.json"))
	if len(paths) == 0 {
		t.Fatal("no fixtures")
	}
	out := map[string][]byte{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(p), ".json")] = data
	}
	return out
}

const hooksDir = "/usr/lib/x86_64-linux-gnu/kea/hooks"

// TestHandwrittenNothingDropped: each fixture file reads into the model
// with nothing left over — no escape hatch at any scope, nothing
// unmodelled — and what it reads is a valid site.
func TestHandwrittenNothingDropped(t *testing.T) {
	dirs := keatest.Dirs{Run: "/run/kea", Lib: "/var/lib/kea", Log: "/var/log/kea"}
	for name, src := range fixtures(t) {
		t.Run(name, func(t *testing.T) {
			dhcp4, err := keaconfig.Unwrap(keatest.Fill(src, "2.6", dirs, hooksDir))
			if err != nil {
				t.Fatal(err)
			}
			s, err := keaconfig.Parse(dhcp4, name)
			if err != nil {
				t.Fatal(err)
			}
			leftovers(t, s)
			s.KeaVersion = model.Version{Major: 2, Minor: 6}
			asNode(s, "kea1", "http://127.0.0.1:8000/")
			if f := append(validate.Site(s), kea.Check(s)...); f.HasErrors() {
				t.Errorf("the fixture read back is not a valid site: %v", f)
			}
		})
	}
}

// leftovers fails the test for anything that did not map onto the model.
func leftovers(t *testing.T, s *model.Site) {
	t.Helper()
	if len(s.Unmodelled) > 0 {
		t.Errorf("unmodelled: %v", s.Unmodelled)
	}
	raws := map[string]model.Raw{"global": s.Raw, "lease-database": s.LeaseDB.Raw}
	for _, n := range s.Networks {
		raws["network "+n.Name] = n.Raw
	}
	for _, c := range s.Classes {
		raws["class "+c.Name] = c.Raw
	}
	for _, sn := range s.Subnets {
		raws["subnet "+sn.Prefix.String()] = sn.Raw
		for _, p := range sn.Pools {
			raws["pool "+p.From.String()] = p.Raw
		}
	}
	for _, r := range s.Reservations {
		_, id := r.Identifier()
		raws["reservation "+id] = r.Raw
	}
	for scope, raw := range raws {
		if !raw.Empty() {
			t.Errorf("%s: escape hatch %s", scope, raw.Text())
		}
	}
}

// asNode makes a parsed single server a node keaops can render for.
func asNode(s *model.Site, name, control string) *model.Node {
	n := s.Nodes[0]
	n.Name, n.ControlURL = name, mustURL(control)
	return n
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// TestHandwrittenThroughKea: judged by real Kea, not by the model. Each
// fixture runs on every Kea version the tests provide; its config-get
// reads back with nothing left over; keaops renders what it read for that
// version; and the render, run on the same Kea, gives the same config-get
// as the fixture — node-local keys and keaops's own user-context aside.
func TestHandwrittenThroughKea(t *testing.T) {
	for _, k := range keatest.Versions(t) {
		for name, src := range fixtures(t) {
			t.Run(k.Line+"/"+name, func(t *testing.T) {
				dirs := keatest.NewDirs(t, t.TempDir())
				sock := filepath.Join(dirs.Run, "kea4-ctrl-socket")
				orig := keatest.ConfigGet(t, k.StartDHCP(t, dirs, keatest.Fill(src, k.Line, dirs, hooksDir), sock))
				s, err := keaconfig.Parse(orig, name+" (live)")
				if err != nil {
					t.Fatal(err)
				}
				leftovers(t, s)
				s.KeaVersion = model.Version{Major: int(k.Line[0] - '0'), Minor: int(k.Line[2] - '0')}
				n := asNode(s, "kea1", "http://127.0.0.1:8000/")
				n.KeaDirs = model.KeaDirs{ControlSocket: dirs.Run, Data: dirs.Lib, Log: dirs.Log}
				if n.Paths.LogFile == "" {
					n.Paths.LogFile = filepath.Join(dirs.Log, "kea-dhcp4.log")
				}
				if f := append(validate.Site(s), kea.Check(s)...); f.HasErrors() {
					t.Fatalf("what Kea runs, read back, is not a valid site: %v", f)
				}
				nodes, err := kea.Render(s)
				if err != nil {
					t.Fatal(err)
				}
				k.SameConfig(t, orig, dirs, nodes[0].Files[0].Data)
			})
		}
	}
}
