package kea

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keaops/keaops/sources/yamlsrc"
)

// TestCheck: what a target cannot express is an error, with its position.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name, site, subnets string
		want                []string
	}{
		{name: "never-send before 2.4",
			site:    familySite + "defaults: {options: {ntp-servers: {data: 10.0.0.1, never-send: true}}}\n",
			subnets: "subnets:\n  - {name: A, prefix: 10.1.0.0/24}\n",
			want:    []string{`keaops.yaml:7:22: error: option "ntp-servers": never-send is not known to Kea 2.2 (it rejects the config); it needs 2.4 or later`}},
		{name: "never-send on 2.4 is fine",
			site:    strings.Replace(familySite, `"2.2"`, `"2.4"`, 1) + "defaults: {options: {ntp-servers: {data: 10.0.0.1, never-send: true}}}\n",
			subnets: "subnets:\n  - {name: A, prefix: 10.1.0.0/24}\n"},
		{name: "load-balancing pool with its own class",
			site:    strings.Replace(strings.Replace(familySite, "hot-standby", "load-balancing", 1), "role: standby", "role: secondary", 1) + "client-classes: [{name: voip}]\n",
			subnets: "subnets:\n  - {name: A, prefix: 10.1.0.0/24, pools: [{range: 10.1.0.10-10.1.0.20, client-class: voip}, 10.1.0.30-10.1.0.30]}\n",
			want: []string{
				"subnets.yaml:2:52: error: pool 10.1.0.10-10.1.0.20 has client-class voip: load-balancing splits every pool between the servers with their HA_ classes, and a pool takes only one class",
				"subnets.yaml:2:94: error: pool 10.1.0.30-10.1.0.30 has one address: load-balancing needs at least two to split between the servers",
			}},
		{name: "https without certificates",
			site:    strings.ReplaceAll(familySite, "http://", "https://"),
			subnets: "subnets:\n  - {name: A, prefix: 10.1.0.0/24}\n",
			want: []string{
				"keaops.yaml:5:31: error: node n1: an https control-url needs tls.cert-file and tls.key-file",
				"keaops.yaml:5:71: error: node n1: an https ha-url needs tls with a trust-anchor, to verify the partner",
				"keaops.yaml:6:31: error: node n2: an https control-url needs tls.cert-file and tls.key-file",
				"keaops.yaml:6:71: error: node n2: an https ha-url needs tls with a trust-anchor, to verify the partner",
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "keaops.yaml"), []byte(tc.site), 0o600)
			os.WriteFile(filepath.Join(dir, "subnets.yaml"), []byte(tc.subnets), 0o600)
			site, fs, err := yamlsrc.Load(context.Background(), filepath.Join(dir, "keaops.yaml"))
			if err != nil || fs.HasErrors() {
				t.Fatal(err, fs)
			}
			found := Check(site)
			found.Sort()
			var got []string
			for _, f := range found {
				got = append(got, strings.ReplaceAll(f.String(), dir+"/", ""))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}
