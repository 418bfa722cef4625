package diff_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keaops/keaops/generators/kea"
	"github.com/keaops/keaops/internal/diff"
	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/validate"
	"github.com/keaops/keaops/sources/keaconfig"
	"github.com/keaops/keaops/sources/yamlsrc"
)

func load(t *testing.T, path string) *model.Site {
	t.Helper()
	s, fs, err := yamlsrc.Load(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if s != nil {
		fs = append(fs, validate.Site(s)...)
	}
	if s == nil || fs.HasErrors() {
		t.Fatalf("%s: %v", path, fs)
	}
	return s
}

// parsedNodes renders a site and parses every node's config back.
func parsedNodes(t *testing.T, s *model.Site) map[string]*model.Site {
	t.Helper()
	nodes, err := kea.Render(s)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*model.Site{}
	for _, n := range nodes {
		var dhcp4 []byte
		for _, f := range n.Files {
			if f.Name == kea.Dhcp4File {
				dhcp4 = f.Data
			}
		}
		whole, err := keaconfig.Unwrap(dhcp4)
		if err != nil {
			t.Fatal(err)
		}
		p, err := keaconfig.Parse(whole, n.Node.Name+" (rendered)")
		if err != nil {
			t.Fatal(err)
		}
		out[n.Node.Name] = p
	}
	return out
}

// TestRoundTrip: what keaops renders, parsed back, is what it was rendered
// from — for every node of both examples. This holds the renderer, the
// parser and the diff to each other.
func TestRoundTrip(t *testing.T) {
	for _, ex := range []string{"homelab", "campus"} {
		for _, v := range kea.Versions {
			t.Run(ex+"/"+v.String(), func(t *testing.T) {
				want := load(t, filepath.Join("..", "..", "examples", ex, "keaops.yaml"))
				want.KeaVersion = v
				for node, have := range parsedNodes(t, want) {
					g, subnets := model.Fingerprints(have)
					wg, _ := model.Fingerprints(want)
					if have.Recorded.Fingerprint != g || g != wg || have.Recorded.Render == "" {
						t.Errorf("%s: global record %+v, fingerprint of the parsed config %s, of the model %s", node, have.Recorded, g, wg)
					}
					for i, sn := range have.Subnets {
						if sn.Recorded.Fingerprint != subnets[i] || sn.Recorded.Render == "" {
							t.Errorf("%s: subnet %s record %+v, fingerprint of the parsed subnet %s", node, sn.Prefix, sn.Recorded, subnets[i])
						}
					}
					if d := model.Drift(have); d != nil {
						t.Errorf("%s: drift right after rendering: %v", node, d)
					}
					if cs := diff.Sites(have, want); len(cs) > 0 {
						var lines []string
						for _, c := range cs {
							lines = append(lines, c.String())
						}
						t.Errorf("%s: %d changes after a round trip:\n  %s", node, len(cs), strings.Join(lines[:min(10, len(lines))], "\n  "))
					}
				}
			})
		}
	}
}

func TestChanges(t *testing.T) {
	base := load(t, "../../examples/homelab/keaops.yaml")
	have := parsedNodes(t, base)["kea-secondary"]

	edit := func(t *testing.T, file, old, new string) *model.Site {
		t.Helper()
		dir := t.TempDir()
		for _, f := range []string{"keaops.yaml", "subnets.yaml", "reservations.yaml"} {
			b, _ := os.ReadFile(filepath.Join("..", "..", "examples", "homelab", f))
			if f == file {
				if !strings.Contains(string(b), old) {
					t.Fatalf("%s has no %q", f, old)
				}
				b = []byte(strings.Replace(string(b), old, new, 1))
			}
			os.WriteFile(filepath.Join(dir, f), b, 0o600)
		}
		return load(t, filepath.Join(dir, "keaops.yaml"))
	}
	for _, tc := range []struct {
		name, file, old, new string
		want                 []string
		wantErr              bool
	}{
		{"add a reservation", "reservations.yaml", "  # Backend\n", "  - hostname: printer-4\n    hw-address: \"02:42:ac:11:00:08\"\n    ip-address: 10.30.30.58\n  # Backend\n",
			[]string{"+ reservation printer-4 02:42:ac:11:00:08 → 10.30.30.58 (IoT)  reservations.yaml:34:5"}, false},
		{"move a reservation", "reservations.yaml", "ip-address: 10.30.30.57", "ip-address: 10.30.30.59",
			[]string{"~ reservation printer-3 02:42:ac:11:00:07 → 10.30.30.59 (IoT) ip-address 10.30.30.57 → 10.30.30.59  reservations.yaml:26:17"}, false},
		{"remove a reservation", "reservations.yaml", "  - hostname: thermostat\n    hw-address: \"18:b4:30:aa:bb:cc\"\n    ip-address: 10.30.30.21\n", "",
			[]string{"- reservation thermostat 18:b4:30:aa:bb:cc → 10.30.30.21 (IoT)"}, false},
		{"change a lifetime", "subnets.yaml", "valid-lifetime: 7200", "valid-lifetime: 7300",
			[]string{"~ subnet IoT 10.30.30.0/24 valid-lifetime 7200 → 7300  subnets.yaml:28:21"}, false},
		{"change an inherited lifetime", "keaops.yaml", "valid-lifetime: 86400", "valid-lifetime: 90000",
			[]string{
				"~ global valid-lifetime 86400 → 90000  keaops.yaml:47:19",
				"~ subnet Core 10.10.0.0/16 valid-lifetime 86400 → 90000  keaops.yaml:47:19",
				"~ subnet Backend 10.42.42.0/24 valid-lifetime 86400 → 90000  keaops.yaml:47:19",
				"~ subnet HASS 10.55.55.0/24 valid-lifetime 86400 → 90000  keaops.yaml:47:19",
			}, false},
		{"renumber a subnet", "subnets.yaml", "    vlan: 30\n", "    vlan: 30\n    id: 30\n",
			[]string{"~ subnet IoT 10.30.30.0/24 id 169745920 → 30  subnets.yaml:21:9  ERROR: changing the id of an existing subnet orphans its leases and breaks HA lease updates; keep the running id (set id: 169745920)"}, true},
		{"grow a pool", "subnets.yaml", "10.42.42.100-10.42.42.254", "10.42.42.90-10.42.42.254",
			[]string{"- pool 10.42.42.100-10.42.42.254 (Backend)", "+ pool 10.42.42.90-10.42.42.254 (Backend)  subnets.yaml:36:9"}, false},
		{"change an option", "subnets.yaml", "interface-mtu: 1500", "interface-mtu: 9000",
			[]string{"~ subnet HASS 10.55.55.0/24 option interface-mtu 1500 → 9000  subnets.yaml:49:7"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := edit(t, tc.file, tc.old, tc.new)
			cs := diff.Sites(have, want)
			var got []string
			for _, c := range cs {
				s := c.String()
				if i := strings.Index(s, "  "); i > 0 {
					s = s[:i] + strings.ReplaceAll(s[i:], filepath.Dir(want.Inputs[0])+"/", "")
				}
				got = append(got, s)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			if diff.HasErrors(cs) != tc.wantErr {
				t.Errorf("HasErrors = %v", !tc.wantErr)
			}
		})
	}
}
