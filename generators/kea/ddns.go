package kea

import (
	"github.com/keaops/keaops/internal/model"
)

// D2File is kea-dhcp-ddns's config, rendered for a site with DDNS.
const D2File = "kea-dhcp-ddns.json"

// d2Config is one node's kea-dhcp-ddns configuration: the same zones,
// servers and keys on every node, node-local sockets and log.
func d2Config(c *clashes, s *model.Site, r rules, n *model.Node) map[string]any {
	d := s.DDNS
	p := paths(n)
	ip, port := d.Listen()
	unix := map[string]any{"socket-type": "unix", "socket-name": p.D2ControlSocket}
	m := map[string]any{
		"ip-address":   ip.String(),
		"port":         port,
		"forward-ddns": map[string]any{"ddns-domains": ddnsDomains(d.Forward)},
		"reverse-ddns": map[string]any{"ddns-domains": ddnsDomains(d.Reverse)},
		"loggers": []any{map[string]any{
			"name": "kea-dhcp-ddns", "severity": "INFO",
			r.outputOptions: []any{map[string]any{"output": p.D2LogFile}},
		}},
	}
	if r.controlSockets {
		m["control-sockets"] = []any{unix}
	} else {
		m["control-socket"] = unix
	}
	keys := make([]any, 0, len(d.Keys))
	for _, k := range d.Keys {
		km := map[string]any{"name": k.Name, "algorithm": k.Algorithm}
		if k.DigestBits != 0 {
			km["digest-bits"] = k.DigestBits
		}
		if k.Secret != nil {
			km["secret"] = secretOf(k.Secret)
		}
		keys = append(keys, km)
	}
	m["tsig-keys"] = keys
	c.mergeRaw(m, d.Raw, "ddns")
	return m
}

func ddnsDomains(list []*model.DNSDomain) []any {
	out := make([]any, 0, len(list))
	for _, dom := range list {
		servers := make([]any, len(dom.Servers))
		for i, sv := range dom.Servers {
			sm := map[string]any{"ip-address": sv.IP.String()}
			if sv.Port != 0 {
				sm["port"] = sv.Port
			}
			if sv.Key != "" {
				sm["key-name"] = sv.Key
			}
			servers[i] = sm
		}
		dm := map[string]any{"name": dom.Name, "dns-servers": servers}
		if dom.Key != "" {
			dm["key-name"] = dom.Key
		}
		out = append(out, dm)
	}
	return out
}
