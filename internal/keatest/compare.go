package keatest

import (
	"context"
	"encoding/json"
	"net/netip"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Comparing configurations as Kea means them: the fixtures' placeholders,
// and config-get output normalized for a semantic comparison.

// Fill replaces a fixture's placeholders for a Kea line and directories.
func Fill(src []byte, line string, dirs Dirs, hooks string) []byte {
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

// Normalize is a config-get as Kea means it, minus what keaops adds of
// its own (its records, a subnet's name when it is the prefix, its logger
// where the original had none) and what is the node's (its directory, the
// control socket). Kea prints option-data in the order it was given and
// sends options by code, so the lists are sorted; a value a scope states
// that it would inherit anyway is left out. keaops sets
// reservations-out-of-pool on a subnet none of whose reservations (nor any
// global one) is in a pool: Kea then skips a search that finds nothing,
// and hands out the same addresses.
func Normalize(t *testing.T, dhcp4 json.RawMessage, root string, loggers bool) map[string]any {
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

// JSONDiff lists where two decoded JSON values differ, by path.
func JSONDiff(path string, a, b any) []string {
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
			out = append(out, JSONDiff(path+"."+k, av, bv)...)
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
			out = append(out, JSONDiff(path+"["+strconv.Itoa(i)+"]", al[i], bl[i])...)
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

// ConfigGet is the node's running Dhcp4 configuration.
func ConfigGet(t testing.TB, n *Node) json.RawMessage {
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

// SameConfig runs a rendered kea-dhcp4 file on k, in directories of its
// own (the render's paths in dirs moved there), and fails the test where
// its config-get means something else than orig, the config-get of what
// ran in dirs — node-local keys and keaops's own user-context aside.
func (k Kea) SameConfig(t *testing.T, orig json.RawMessage, dirs Dirs, rendered []byte) {
	t.Helper()
	dirs2 := NewDirs(t, t.TempDir())
	moved := strings.ReplaceAll(string(rendered), dirs.Root, dirs2.Root)
	again := ConfigGet(t, k.StartDHCP(t, dirs2, []byte(moved), filepath.Join(dirs2.Run, "kea4-ctrl-socket")))
	loggers := strings.Contains(string(orig), `"loggers"`)
	a, b := Normalize(t, orig, dirs.Root, loggers), Normalize(t, again, dirs2.Root, loggers)
	if !reflect.DeepEqual(a, b) {
		for _, line := range JSONDiff("", a, b) {
			t.Error(line)
		}
	}
}
