package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/keaops/keaops/internal/keaapi"
	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/sources/keaconfig"
)

// KeaFiles groups Kea configuration files by node: each kea-dhcp4 file is
// a node, and a kea-ctrl-agent or kea-dhcp-ddns file belongs to the
// kea-dhcp4 file before it on the command line (keaops import --from-kea
// a/kea-dhcp4.conf a/kea-ctrl-agent.conf b/kea-dhcp4.conf …). dir is
// where Kea would run, for relative <?include?> paths ("" for each file's
// own directory). names are the node names --endpoint gave, in order.
func KeaFiles(paths []string, dir string, endpoints []Endpoint) ([]NodeConfig, error) {
	var out []NodeConfig
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
		key, err := topKey(p, data)
		if err != nil {
			return nil, err
		}
		from := dir
		if from == "" {
			from = filepath.Dir(p)
		}
		obj, err := keaconfig.ReadFile(p, from, key)
		if err != nil {
			return nil, err
		}
		if key == "Dhcp4" {
			out = append(out, NodeConfig{Origin: p, Dhcp4: obj})
			continue
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%s: a %s file belongs to the kea-dhcp4 file before it on the command line, and there is none", p, key)
		}
		last := &out[len(out)-1]
		slot := &last.Agent
		if key == "DhcpDdns" {
			slot = &last.D2
		}
		if *slot != nil {
			return nil, fmt.Errorf("%s: a second %s file for %s", p, key, last.Origin)
		}
		*slot = obj
	}
	return out, applyEndpoints(out, endpoints)
}

// topKey is the Kea daemon a file configures, by its one top-level key.
func topKey(path string, data []byte) (string, error) {
	var v map[string]json.RawMessage
	if err := keaconfig.Decode(path, data, &v); err != nil {
		// Includes may make the file valid only once expanded: look for
		// the key in the text instead.
		for _, k := range []string{"Dhcp4", "Control-agent", "DhcpDdns"} {
			if strings.Contains(string(data), `"`+k+`"`) {
				return k, nil
			}
		}
		return "", err
	}
	var found []string
	for k := range v {
		switch k {
		case "Dhcp4", "Control-agent", "DhcpDdns":
			found = append(found, k)
		case "Dhcp6":
			return "", fmt.Errorf("%s: a kea-dhcp6 configuration: keaops manages DHCPv4", path)
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("%s: want a file with one of Dhcp4, Control-agent or DhcpDdns at the top", path)
	}
	return found[0], nil
}

// Endpoint is a node named on the command line and where to reach it.
type Endpoint struct {
	Name string
	URL  *url.URL
}

// ParseEndpoints reads --endpoint NODE=URL flags.
func ParseEndpoints(flags []string) ([]Endpoint, error) {
	var out []Endpoint
	for _, f := range flags {
		name, raw, ok := strings.Cut(f, "=")
		u, err := url.Parse(raw)
		if !ok || name == "" || err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("--endpoint %q: want NODE=URL, e.g. kea-a=http://10.0.0.1:8000/", f)
		}
		out = append(out, Endpoint{Name: name, URL: u})
	}
	return out, nil
}

// applyEndpoints names the nodes' files' control URLs: by the name their
// HA section gives, or in order for servers without one.
func applyEndpoints(cfgs []NodeConfig, eps []Endpoint) error {
	for i, e := range eps {
		matched := false
		for j := range cfgs {
			if keaconfig.ThisServer(cfgs[j].Dhcp4) == e.Name {
				cfgs[j].ControlURL, matched = e.URL, true
			}
		}
		if !matched && i < len(cfgs) && keaconfig.ThisServer(cfgs[i].Dhcp4) == "" {
			cfgs[i].Name, cfgs[i].ControlURL, matched = e.Name, e.URL, true
		}
		if !matched {
			return fmt.Errorf("--endpoint %s: no configuration read is that node's", e.Name)
		}
	}
	return nil
}

// Live reads every node's running configuration: kea-dhcp4's, and
// kea-dhcp-ddns's where the node runs one. The node's Kea version is
// asked too; all must run the same line.
func Live(ctx context.Context, eps []Endpoint, client func(Endpoint) (*keaapi.Client, error)) ([]NodeConfig, model.Version, error) {
	var out []NodeConfig
	var version model.Version
	for _, e := range eps {
		c, err := client(e)
		if err != nil {
			return nil, version, fmt.Errorf("node %s: %w", e.Name, err)
		}
		text, err := c.Version(ctx)
		if err != nil {
			return nil, version, fmt.Errorf("node %s: asking its version: %w", e.Name, err)
		}
		v, err := versionOf(text)
		if err != nil {
			return nil, version, fmt.Errorf("node %s: %w", e.Name, err)
		}
		if version != (model.Version{}) && v != version {
			return nil, version, fmt.Errorf("node %s runs Kea %s, the others %s: upgrade the pair to one line first", e.Name, v, version)
		}
		version = v
		cfg, err := c.ConfigGet(ctx)
		if err != nil {
			return nil, version, fmt.Errorf("node %s: config-get: %w", e.Name, err)
		}
		nc := NodeConfig{Origin: e.Name + " (live)", Name: e.Name, Dhcp4: cfg.Dhcp4, ControlURL: e.URL}
		if d2, err := c.ForD2().ConfigGet(ctx); err == nil {
			nc.D2 = d2.Dhcp4
		} else if !notRunning(err) {
			return nil, version, fmt.Errorf("node %s: config-get of kea-dhcp-ddns: %w", e.Name, err)
		}
		out = append(out, nc)
	}
	return out, version, nil
}

// notRunning: the agent answered, but has no kea-dhcp-ddns to forward to
// ("forwarding socket is not configured", "unable to forward"). Any
// other failure (credentials, the network) is the import's.
func notRunning(err error) bool {
	var ke *keaapi.Error
	return errors.As(err, &ke)
}

// GuessVersion is the Kea line a kea-dhcp4 file was written for, by the
// keys that only some lines take, and why; 2.2 (Debian 12's) when nothing
// tells.
func GuessVersion(dhcp4 json.RawMessage) (model.Version, string) {
	text := string(dhcp4)
	switch {
	case strings.Contains(text, `"control-sockets"`), strings.Contains(text, `"evaluate-additional-classes"`), strings.Contains(text, `"only-in-additional-list"`):
		return model.Version{Major: 3, Minor: 0}, "the file uses keys Kea 3.0 introduced"
	case strings.Contains(text, `"output-options"`), strings.Contains(text, `"offer-lifetime"`), strings.Contains(text, `"template-test"`):
		return model.Version{Major: 2, Minor: 6}, "the file uses keys Kea 2.6 introduced"
	}
	return model.Version{Major: 2, Minor: 2}, "nothing in the file needs a later Kea than 2.2"
}
