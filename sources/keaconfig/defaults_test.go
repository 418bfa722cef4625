package keaconfig

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keaops/keaops/internal/keaapi"
	"github.com/keaops/keaops/internal/keatest"
)

var update = flag.Bool("update", false, "rewrite the defaults tables from the Kea versions this machine runs")

// defaultsProbe is a configuration with one of each scope and nothing
// else: what config-get adds to it is Kea's defaults.
const defaultsProbe = `{"Dhcp4": {
 "interfaces-config": {"interfaces": []},
 SOCKET,
 "lease-database": {"type": "memfile", "persist": false},
 "client-classes": [{"name": "probe", "test": "option[60].hex == 'x'"}],
 "reservations": [{"hw-address": "02:00:00:00:00:09", "ip-address": "10.9.0.9"}],
 "shared-networks": [{"name": "probe", "subnet4": [{"id": 5, "subnet": "10.5.0.0/24", "pools": [{"pool": "10.5.0.10-10.5.0.20"}],
   "reservations": [{"hw-address": "02:00:00:00:00:01", "ip-address": "10.5.0.5"}]}]}],
 "hooks-libraries": [{"library": "HOOKS/libdhcp_lease_cmds.so"}, {"library": "HOOKS/libdhcp_ha.so", "parameters": {"high-availability": [{
   "this-server-name": "a", "mode": "hot-standby",
   "peers": [{"name": "a", "url": "http://127.0.0.1:PORT_A/", "role": "primary"}, {"name": "b", "url": "http://127.0.0.1:PORT_B/", "role": "standby"}]}]}}]
}}`

// TestDefaultsAreKeas: the defaults tables are what each Kea version's
// config-get adds to a configuration that sets nothing, scope by scope —
// read from the real daemons, so a default is never mistaken for a
// setting. go test -run TestDefaultsAreKeas -update rewrites them.
func TestDefaultsAreKeas(t *testing.T) {
	for _, k := range keatest.Versions(t) {
		t.Run(k.Line, func(t *testing.T) {
			dirs := keatest.NewDirs(t, t.TempDir())
			sock := filepath.Join(dirs.Run, "kea4-ctrl-socket")
			socket := `"control-socket": {"socket-type": "unix", "socket-name": "` + sock + `"}`
			if k.Line >= "3.0" {
				socket = `"control-sockets": [{"socket-type": "unix", "socket-name": "` + sock + `"}]`
			}
			probe := strings.NewReplacer("SOCKET", socket, "HOOKS", "/usr/lib/x86_64-linux-gnu/kea/hooks",
				"PORT_A", strconv.Itoa(keatest.FreePort(t)), "PORT_B", strconv.Itoa(keatest.FreePort(t))).Replace(defaultsProbe)
			n := k.StartDHCP(t, dirs, []byte(probe), sock)
			a, err := n.Command(context.Background(), "config-get", nil)
			if err != nil || a.Result != 0 {
				t.Fatalf("config-get: %v %+v", err, a)
			}
			var got struct{ Dhcp4 map[string]any }
			if err := json.Unmarshal(a.Arguments, &got); err != nil {
				t.Fatal(err)
			}
			table := probeDefaults(got.Dhcp4)
			for scope, m := range probeD2(t, k, dirs) {
				table[scope] = m
			}
			path := filepath.Join("defaults", k.Line+".json")
			if *update {
				data, _ := json.MarshalIndent(table, "", "  ")
				if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, ok := defaultTables[k.Line]
			if !ok {
				t.Fatalf("no defaults table for Kea %s: run with -update", k.Line)
			}
			// Compare through JSON: the table is decoded with json.Number.
			var norm map[string]map[string]any
			data, _ := json.Marshal(table)
			if err := decodeClean(data, &norm); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(norm, want) {
				t.Errorf("%s's defaults are not the table's:\n%s\nwant:\n%s", k, data, mustJSON(want))
			}
		})
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// probeDefaults takes the probe's config-get apart into its scopes and
// removes what the probe itself set.
func probeDefaults(d map[string]any) map[string]map[string]any {
	first := func(v any) map[string]any { return v.([]any)[0].(map[string]any) }
	network := first(d["shared-networks"])
	subnet := first(network["subnet4"])
	out := map[string]map[string]any{
		"class":       first(d["client-classes"]),
		"reservation": first(d["reservations"]),
		"pool":        first(subnet["pools"]),
	}
	hooks := d["hooks-libraries"].([]any)[1].(map[string]any)
	ha := first(hooks["parameters"].(map[string]any)["high-availability"])
	out["ha-peer"] = first(ha["peers"])
	for _, k := range []string{"name", "url", "role"} {
		delete(out["ha-peer"], k)
	}
	for _, k := range []string{"this-server-name", "mode", "peers"} {
		delete(ha, k)
	}
	out["ha"] = ha
	delete(d, "hooks-libraries")
	delete(subnet, "pools")
	delete(network, "subnet4")
	out["subnet"], out["shared-network"] = subnet, network
	for _, k := range []string{"client-classes", "reservations", "shared-networks", "subnet4", "control-socket", "control-sockets", "lease-database"} {
		delete(d, k)
	}
	delete(d["interfaces-config"].(map[string]any), "interfaces")
	out["global"] = d
	for _, k := range []string{"name", "test"} {
		delete(out["class"], k)
	}
	for _, k := range []string{"hw-address", "ip-address"} {
		delete(out["reservation"], k)
	}
	delete(out["pool"], "pool")
	for _, k := range []string{"id", "subnet", "reservations"} {
		delete(out["subnet"], k)
	}
	delete(out["shared-network"], "name")
	return out
}

// d2Probe is a kea-dhcp-ddns configuration with one of each scope.
const d2Probe = `{"DhcpDdns": {"ip-address": "127.0.0.1", "port": 53001, SOCKET,
 "tsig-keys": [{"name": "k", "algorithm": "HMAC-SHA256", "secret": "a2Vhb3BzLXRlc3Qta2V5LTAxMjM0NTY3ODlhYmNkZWY="}],
 "forward-ddns": {"ddns-domains": [{"name": "a.", "dns-servers": [{"ip-address": "127.0.0.1"}]}]},
 "reverse-ddns": {"ddns-domains": [{"name": "1.in-addr.arpa.", "dns-servers": [{"ip-address": "127.0.0.1"}]}]}}}`

// probeD2 is probeDefaults for kea-dhcp-ddns: scopes d2, d2-domain,
// d2-server and d2-key.
func probeD2(t *testing.T, k keatest.Kea, dirs keatest.Dirs) map[string]map[string]any {
	t.Helper()
	sock := filepath.Join(dirs.Run, "kea-ddns-ctrl-socket")
	socket := `"control-socket": {"socket-type": "unix", "socket-name": "` + sock + `"}`
	if k.Line >= "3.0" {
		socket = `"control-sockets": [{"socket-type": "unix", "socket-name": "` + sock + `"}]`
	}
	k.StartDaemon(t, "", dirs, "kea-dhcp-ddns", "kea-dhcp-ddns.json", []byte(strings.Replace(d2Probe, "SOCKET", socket, 1)))
	c, err := keaapi.New(keaapi.Endpoint{URL: "unix://" + sock, Kind: keaapi.Unix})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var cfg keaapi.Config
	err = keatest.Eventually(ctx, 50*time.Millisecond, func() (bool, error) {
		cfg, err = c.ForD2().ConfigGet(ctx)
		return err == nil, err
	})
	if err != nil {
		t.Fatalf("kea-dhcp-ddns config-get: %v", err)
	}
	var d map[string]any
	if err := json.Unmarshal(cfg.Dhcp4, &d); err != nil {
		t.Fatal(err)
	}
	first := func(v any) map[string]any { return v.([]any)[0].(map[string]any) }
	fwd := d["forward-ddns"].(map[string]any)
	domain := first(fwd["ddns-domains"])
	server := first(domain["dns-servers"])
	key := first(d["tsig-keys"])
	delete(domain, "dns-servers")
	delete(domain, "name")
	delete(server, "ip-address")
	for _, k := range []string{"name", "algorithm", "secret"} {
		delete(key, k)
	}
	for _, k := range []string{"ip-address", "port", "control-socket", "control-sockets", "tsig-keys", "forward-ddns", "reverse-ddns"} {
		delete(d, k)
	}
	return map[string]map[string]any{"d2": d, "d2-domain": domain, "d2-server": server, "d2-key": key}
}
