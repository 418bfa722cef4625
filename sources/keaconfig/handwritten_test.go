package keaconfig_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
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

// fill replaces a fixture's placeholders for a Kea line and directories.
func fill(src []byte, line string, dirs keatest.Dirs, hooks string) []byte {
	sock := filepath.Join(dirs.Run, "kea4-ctrl-socket")
	socket := `"control-socket": {"socket-type": "unix", "socket-name": "` + sock + `"},`
	if line >= "3.0" {
		socket = `"control-sockets": [{"socket-type": "unix", "socket-name": "` + sock + `"}],`
	}
	outputs := "output-options"
	if line < "2.6" {
		outputs = "output_options"
	}
	return []byte(strings.NewReplacer("@SOCKET@", socket, "@LEASES@", filepath.Join(dirs.Lib, "leases4.csv"),
		"@LOG@", filepath.Join(dirs.Log, "kea-dhcp4.log"), "@HOOKS@", hooks, "@IFACE@", "lo", "@OUTPUTS@", outputs).Replace(string(src)))
}

const hooksDir = "/usr/lib/x86_64-linux-gnu/kea/hooks"

// TestHandwrittenNothingDropped: each fixture file reads into the model
// with nothing left over — no escape hatch at any scope, nothing
// unmodelled — and what it reads is a valid site.
func TestHandwrittenNothingDropped(t *testing.T) {
	dirs := keatest.Dirs{Run: "/run/kea", Lib: "/var/lib/kea", Log: "/var/log/kea"}
	for name, src := range fixtures(t) {
		t.Run(name, func(t *testing.T) {
			dhcp4, err := keaconfig.Unwrap(fill(src, "2.6", dirs, hooksDir))
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
				orig := configGet(t, k.StartDHCP(t, dirs, fill(src, k.Line, dirs, hooksDir), sock))
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
				dirs2 := keatest.NewDirs(t, t.TempDir())
				rendered := strings.ReplaceAll(string(nodes[0].Files[0].Data), dirs.Root, dirs2.Root)
				again := configGet(t, k.StartDHCP(t, dirs2, []byte(rendered), filepath.Join(dirs2.Run, "kea4-ctrl-socket")))
				loggers := strings.Contains(string(orig), `"loggers"`)
				a, b := normalize(t, orig, dirs.Root, loggers), normalize(t, again, dirs2.Root, loggers)
				if !reflect.DeepEqual(a, b) {
					for _, line := range jsonDiff("", a, b) {
						t.Error(line)
					}
				}
			})
		}
	}
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

// normalize is a config-get as Kea means it, minus what keaops adds of
// its own (its records, a subnet's name when it is the prefix, its logger
// where the original had none) and what is the node's (its directory, the
// control socket). Kea prints option-data in the order it was given and
// sends options by code, so the lists are sorted; a value a scope states
// that it would inherit anyway is left out. keaops sets
// reservations-out-of-pool on a subnet none of whose reservations (nor any
// global one) is in a pool: Kea then skips a search that finds nothing,
// and hands out the same addresses.
func normalize(t *testing.T, dhcp4 json.RawMessage, root string, loggers bool) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(strings.ReplaceAll(string(dhcp4), root, "@ROOT@")), &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "control-socket")
	delete(m, "control-sockets")
	if !loggers {
		delete(m, "loggers")
	}
	if db, ok := m["lease-database"].(map[string]any); ok && db["persist"] == true {
		delete(db, "persist") // memfile's default
	}
	flags := []string{"reservations-global", "reservations-in-subnet", "reservations-out-of-pool"}
	globalIPs := reservedIPs(m)
	subnets := func(scope map[string]any, inherit map[string]any) {
		list, _ := scope["subnet4"].([]any)
		for _, e := range list {
			sn := e.(map[string]any)
			for _, f := range flags {
				if v, ok := sn[f]; ok && v == inherit[f] {
					delete(sn, f)
				}
			}
			if sn["reservations-out-of-pool"] == true && !inPools(sn, append(globalIPs, reservedIPs(sn)...)) {
				delete(sn, "reservations-out-of-pool")
			}
		}
	}
	subnets(m, m)
	networks, _ := m["shared-networks"].([]any)
	for _, e := range networks {
		n := e.(map[string]any)
		inherit := map[string]any{}
		for _, f := range flags {
			inherit[f] = m[f]
			if v, ok := n[f]; ok {
				inherit[f] = v
			}
		}
		subnets(n, inherit)
	}
	var walk func(v any, prefix string)
	walk = func(v any, prefix string) {
		switch x := v.(type) {
		case map[string]any:
			if opts, ok := x["option-data"].([]any); ok {
				slices.SortFunc(opts, func(a, b any) int { return strings.Compare(optKey(a), optKey(b)) })
			}
			if uc, ok := x["user-context"].(map[string]any); ok {
				delete(uc, "keaops")
				if uc["name"] == prefix || uc["name"] == x["subnet"] {
					delete(uc, "name")
				}
				if len(uc) == 0 {
					delete(x, "user-context")
				}
			}
			for _, e := range x {
				walk(e, prefix)
			}
		case []any:
			for _, e := range x {
				walk(e, prefix)
			}
		}
	}
	walk(m, "")
	return m
}

func optKey(o any) string {
	m, _ := o.(map[string]any)
	return show(m["space"]) + "/" + show(m["code"])
}

func reservedIPs(scope map[string]any) []netip.Addr {
	var out []netip.Addr
	list, _ := scope["reservations"].([]any)
	for _, e := range list {
		if ip, ok := e.(map[string]any)["ip-address"].(string); ok {
			if a, err := netip.ParseAddr(ip); err == nil && a != netip.IPv4Unspecified() {
				out = append(out, a)
			}
		}
	}
	return out
}

// inPools reports whether any of ips is in a pool of the subnet.
func inPools(sn map[string]any, ips []netip.Addr) bool {
	pools, _ := sn["pools"].([]any)
	for _, p := range pools {
		text, _ := p.(map[string]any)["pool"].(string)
		from, to, ok := strings.Cut(text, "-")
		if !ok {
			continue
		}
		a, err1 := netip.ParseAddr(strings.TrimSpace(from))
		b, err2 := netip.ParseAddr(strings.TrimSpace(to))
		for _, ip := range ips {
			if err1 == nil && err2 == nil && a.Compare(ip) <= 0 && ip.Compare(b) <= 0 {
				return true
			}
		}
	}
	return false
}

// jsonDiff lists where two decoded JSON values differ, by path.
func jsonDiff(path string, a, b any) []string {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		var out []string
		for k, av := range am {
			bv, ok := bm[k]
			if !ok {
				out = append(out, path+"."+k+": only in the fixture's config-get: "+show(av))
				continue
			}
			out = append(out, jsonDiff(path+"."+k, av, bv)...)
		}
		for k, bv := range bm {
			if _, ok := am[k]; !ok {
				out = append(out, path+"."+k+": only in the render's config-get: "+show(bv))
			}
		}
		return out
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok && len(al) == len(bl) {
		var out []string
		for i := range al {
			out = append(out, jsonDiff(path+"["+strconv.Itoa(i)+"]", al[i], bl[i])...)
		}
		return out
	}
	if show(a) != show(b) {
		return []string{path + ": " + show(a) + " ≠ " + show(b)}
	}
	return nil
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
