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
		// 2.6.3 takes these in kea-dhcp4 -t and refuses them at startup or
		// config-set; 2.2 has no such rule.
		{name: "paths outside Kea's directories",
			site:    "kea-version: \"2.6\"\nnodes:\n  - name: n1\n    control-url: \"http://127.0.0.1:8001/\"\n    paths:\n      control-socket: /tmp/k/kea4.sock\n      lease-file: /srv/kea/leases.csv\n      log-file: /var/log/kea/sub/kea.log\n",
			subnets: "subnets:\n  - {name: A, prefix: 10.1.0.0/24}\n",
			want: []string{
				"keaops.yaml:6:7: error: node n1: control socket /tmp/k/kea4.sock is not in /run/kea, the only directory Kea 2.6 opens control sockets in: move it there, or declare the directory the node's Kea was started with (kea-env: {KEA_CONTROL_SOCKET_DIR: /tmp/k})",
				"keaops.yaml:7:7: error: node n1: lease file /srv/kea/leases.csv is not in /var/lib/kea, the only directory Kea 2.6 opens lease files in: move it there, or declare the directory the node's Kea was started with (kea-env: {KEA_DHCP_DATA_DIR: /srv/kea})",
				"keaops.yaml:8:7: error: node n1: log file /var/log/kea/sub/kea.log is not in /var/log/kea, the only directory Kea 2.6 opens log files in: move it there, or declare the directory the node's Kea was started with (kea-env: {KEA_LOG_FILE_DIR: /var/log/kea/sub})",
			}},
		{name: "a logger's file outside Kea's log directory",
			site:    "kea-version: \"3.0\"\nnodes:\n  - {name: n1, control-url: \"http://127.0.0.1:8001/\"}\nloggers:\n  - {name: kea-dhcp4, severity: INFO, output-options: [{output: /tmp/kea.log}, {output: stdout}]}\n",
			subnets: "subnets:\n  - {name: A, prefix: 10.1.0.0/24}\n",
			want: []string{
				"keaops.yaml:5:5: error: node n1: log file /tmp/kea.log is not in /var/log/kea, the only directory Kea 3.0 opens log files in: move it there, or declare the directory the node's Kea was started with (kea-env: {KEA_LOG_FILE_DIR: /tmp})",
			}},
		{name: "paths in the directories the node declares",
			site:    "kea-version: \"3.0\"\nnodes:\n  - name: n1\n    control-url: \"http://127.0.0.1:8001/\"\n    paths: {control-socket: /tmp/k/kea4.sock, lease-file: /srv/kea/leases.csv, log-file: /var/log/kea/k.log}\n    kea-env: {KEA_CONTROL_SOCKET_DIR: /tmp/k, KEA_DHCP_DATA_DIR: /srv/kea/}\n",
			subnets: "subnets:\n  - {name: A, prefix: 10.1.0.0/24}\n"},
		{name: "no path rules on 2.2",
			site:    "kea-version: \"2.2\"\nnodes:\n  - name: n1\n    control-url: \"http://127.0.0.1:8001/\"\n    paths: {control-socket: /tmp/k/kea4.sock, lease-file: /srv/kea/leases.csv}\n",
			subnets: "subnets:\n  - {name: A, prefix: 10.1.0.0/24}\n"},
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
