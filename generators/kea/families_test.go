package kea

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const familySite = `kea-version: "2.2"
control-auth: {user: kea-api, password: {env: KEA_API_PASSWORD}}
ha: {mode: hot-standby, heartbeat-delay: 10000, max-response-delay: 60000}
nodes:
  - {name: n1, role: primary, control-url: "http://127.0.0.1:8001/", ha-url: "http://127.0.0.1:8001/"}
  - {name: n2, role: standby, control-url: "http://127.0.0.1:8002/", ha-url: "http://127.0.0.1:8002/"}
`

// TestFieldFamilies: every modelled field reaches the rendered config. Each
// family renders a small site; the output is a golden file, and the markers
// must appear in it, so a golden rewritten after a field was dropped still
// fails here.
func TestFieldFamilies(t *testing.T) {
	for _, tc := range []struct {
		family, site, subnets, reservations string
		markers                             []string
	}{
		{family: "options-at-every-level",
			site: familySite + "defaults:\n  dns: [10.0.0.53, 10.0.0.54]\n  ntp: 10.0.0.123\n  domain: example.org\n  options: {domain-search: [a.example.org, b.example.org]}\n",
			subnets: `subnets:
  - name: A
    prefix: 10.1.0.0/24
    gateway: 10.1.0.1
    options: {interface-mtu: 9000, tftp-server-name: {data: boot.lan, always-send: true}}
    pools:
      - {range: 10.1.0.100-10.1.0.200, options: {boot-file-name: pxelinux.0}}
`, reservations: `reservations:
  - {hw-address: "02:00:00:00:00:01", ip-address: 10.1.0.10, options: {host-name: printer, ntp-servers: [10.1.0.5, 10.1.0.6]}}
`, markers: []string{`"data": "10.0.0.53, 10.0.0.54"`, `"name": "domain-name-servers"`, `"data": "10.0.0.123"`, `"data": "example.org"`,
				`"data": "a.example.org, b.example.org"`, `"name": "routers"`, `"data": "9000"`, `"always-send": true`, `"data": "pxelinux.0"`,
				`"data": "printer"`, `"data": "10.1.0.5, 10.1.0.6"`}},
		{family: "client-classes",
			site: familySite + "client-classes:\n  - {name: voip, test: \"substring(option[60].hex,0,6) == 'Aastra'\", options: {tftp-server-name: voip.lan}, only-if-required: true, comment: phones}\n  - {name: lab}\n",
			subnets: `subnets:
  - name: A
    prefix: 10.1.0.0/24
    client-class: lab
    pools: [{range: 10.1.0.100-10.1.0.200, client-class: voip}]
`, reservations: `reservations:
  - {hw-address: "02:00:00:00:00:01", ip-address: 10.1.0.10, client-classes: [voip, lab]}
`, markers: []string{`"name": "voip"`, `"test": "substring(option[60].hex,0,6) == 'Aastra'"`, `"data": "voip.lan"`, `"only-if-required": true`, `"comment": "phones"`,
				`"client-class": "lab"`, `"client-class": "voip"`, `"client-classes": [`}},
		{family: "lifetimes",
			site: familySite + "defaults: {valid-lifetime: 7200, renew-timer: 1800, rebind-timer: 5400}\n",
			subnets: `subnets:
  - {name: A, prefix: 10.1.0.0/24, valid-lifetime: 600, renew-timer: 150, rebind-timer: 450}
`, markers: []string{`"valid-lifetime": 7200`, `"renew-timer": 1800`, `"rebind-timer": 5400`, `"valid-lifetime": 600`, `"renew-timer": 150`, `"rebind-timer": 450`}},
		{family: "subnet-and-reservation-fields",
			subnets: `subnets:
  - {name: Lab, vlan: 77, prefix: 10.1.0.0/24, id: 77, relay: [10.1.0.2], interface: eth1, comment: the lab}
  - {name: IoT, prefix: 10.30.30.0/24, pools: [10.30.30.100-10.30.30.200]}
`, reservations: `reservations:
  - {hostname: cam-1, client-id: "01:02:00:00:00:00:07", ip-address: 10.1.0.7, comment: front door}
  - {hostname: cam-2, hw-address: "02:00:00:00:00:08", ip-address: 10.30.30.150}
`, markers: []string{`"id": 77`, `"vlan": 77`, `"name": "Lab"`, `"ip-addresses": [`, `"10.1.0.2"`, `"interface": "eth1"`, `"comment": "the lab"`,
				`"client-id": "01:02:00:00:00:00:07"`, `"hostname": "cam-1"`, `"comment": "front door"`, `"id": 169745920`,
				`"reservations-out-of-pool": false`, `"reservations-out-of-pool": true`}},
		{family: "lease-database-and-multi-threading",
			site: familySite + "lease-database: {type: mysql, name: kea, host: 127.0.0.1, port: 3306, user: kea, password: {file: /etc/kea/db.pass}}\nmulti-threading: {enable: true, thread-pool-size: 8, packet-queue-size: 128}\n",
			markers: []string{`"type": "mysql"`, `"host": "127.0.0.1"`, `"port": 3306`, `"user": "kea"`, `"password": "${keaops-secret:file:/etc/kea/db.pass}"`,
				`"enable-multi-threading": true`, `"thread-pool-size": 8`, `"packet-queue-size": 128`}},
		{family: "load-balancing",
			site:    strings.Replace(strings.Replace(familySite, "hot-standby", "load-balancing", 1), "role: standby", "role: secondary", 1),
			subnets: "subnets:\n  - {name: A, prefix: 10.1.0.0/24, pools: [10.1.0.100-10.1.0.201]}\n",
			markers: []string{`"mode": "load-balancing"`, `"pool": "10.1.0.100-10.1.0.150"`, `"client-class": "HA_n1"`, `"pool": "10.1.0.151-10.1.0.201"`, `"client-class": "HA_n2"`, `"role": "secondary"`}},
	} {
		t.Run(tc.family, func(t *testing.T) {
			dir := t.TempDir()
			site := tc.site
			if site == "" {
				site = familySite
			}
			os.WriteFile(filepath.Join(dir, "keaops.yaml"), []byte(site), 0o600)
			if tc.subnets == "" {
				tc.subnets = "subnets:\n  - {name: A, prefix: 10.1.0.0/24}\n"
			}
			os.WriteFile(filepath.Join(dir, "subnets.yaml"), []byte(tc.subnets), 0o600)
			if tc.reservations != "" {
				os.WriteFile(filepath.Join(dir, "reservations.yaml"), []byte(tc.reservations), 0o600)
			}
			nodes, err := Render(loadSite(t, filepath.Join(dir, "keaops.yaml")))
			if err != nil {
				t.Fatal(err)
			}
			out := nodes[0].Files[0].Data
			golden(t, filepath.Join("testdata", "families", tc.family+".json"), out)
			for _, m := range tc.markers {
				if !strings.Contains(string(out), m) {
					t.Errorf("rendered config lacks %s", m)
				}
			}
		})
	}
}

func TestPairDiff(t *testing.T) {
	a := map[string]any{
		"interfaces-config": map[string]any{"interfaces": []any{"eth0"}},
		"subnet4":           []any{map[string]any{"id": 1}},
		"hooks-libraries":   []any{map[string]any{"library": "/a/libdhcp_ha.so", "parameters": map[string]any{"high-availability": []any{map[string]any{"this-server-name": "n1", "mode": "hot-standby"}}}}},
	}
	b := map[string]any{
		"interfaces-config": map[string]any{"interfaces": []any{"eth1", "eth2"}},
		"subnet4":           []any{map[string]any{"id": 7}},
		"hooks-libraries":   []any{map[string]any{"library": "/b/libdhcp_ha.so", "parameters": map[string]any{"high-availability": []any{map[string]any{"this-server-name": "n2", "mode": "load-balancing"}}}}},
		"valid-lifetime":    600,
	}
	got := strings.Join(PairDiff(a, b), "\n")
	want := strings.Join([]string{
		"hooks-libraries[0].parameters.high-availability[0].mode: hot-standby ≠ load-balancing",
		"subnet4[0].id: 1 ≠ 7",
		"valid-lifetime: (absent) ≠ 600",
	}, "\n")
	if got != want {
		t.Errorf("PairDiff:\n%s\nwant:\n%s", got, want)
	}
}
