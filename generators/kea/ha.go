package kea

// The HA hook and the hooks it needs, rendered per node.

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/validate"
)

func hooksLibraries(s *model.Site, r rules, n *model.Node, p model.NodePaths) []any {
	var hooks []any
	lib := func(name string) string { return strings.TrimSuffix(p.HooksDir, "/") + "/" + name }
	if r.dbHooks {
		for _, t := range dbTypes(s) {
			hooks = append(hooks, map[string]any{"library": lib(map[string]string{"mysql": "libdhcp_mysql.so", "postgresql": "libdhcp_pgsql.so"}[t])})
		}
	}
	hooks = append(hooks, siteHooks(s, p)...)
	// Live changes (package plan): reservations through host_cmds,
	// subnets through subnet_cmds.
	for _, h := range slices.Sorted(slices.Values(n.Hooks)) {
		hooks = append(hooks, map[string]any{"library": lib("libdhcp_" + h + ".so")})
	}
	if s.HA.Mode == model.HANone {
		return hooks
	}
	// HA replicates leases through lease_cmds on the partner: both load.
	hooks = append(hooks, map[string]any{"library": lib("libdhcp_lease_cmds.so")})
	hooks = append(hooks, map[string]any{"library": lib("libdhcp_ha.so"), "parameters": map[string]any{
		"high-availability": []any{haConfig(s, r, n)},
	}})
	return hooks
}

func haConfig(s *model.Site, r rules, self *model.Node) map[string]any {
	ha := s.HA
	m := map[string]any{"this-server-name": self.Name, "mode": string(ha.Mode)}
	// Timers and limits are written when set; Kea's defaults are the same
	// on every version keaops renders for.
	for _, f := range []struct {
		key string
		v   *model.Int
	}{
		{"heartbeat-delay", ha.HeartbeatDelay}, {"max-response-delay", ha.MaxResponseDelay},
		{"max-ack-delay", ha.MaxAckDelay}, {"max-unacked-clients", ha.MaxUnackedClients},
		{"sync-timeout", ha.SyncTimeout}, {"sync-page-limit", ha.SyncPageLimit},
		{"delayed-updates-limit", ha.DelayedUpdatesLimit},
	} {
		if f.v != nil {
			m[f.key] = f.v.Value
		}
	}
	if ha.SyncLeases != nil {
		m["sync-leases"] = *ha.SyncLeases
	}
	// HA multi-threading is written out always: its defaults flipped in
	// 2.4, and a config must mean the same whatever version reads it.
	dedicated := validate.DedicatedListener(s)
	mtEnable := dedicated
	if ha.MTEnable != nil {
		mtEnable = *ha.MTEnable
	}
	mt := map[string]any{"enable-multi-threading": mtEnable, "http-dedicated-listener": dedicated}
	if ha.ListenerThreads != nil {
		mt["http-listener-threads"] = ha.ListenerThreads.Value
	}
	if ha.ClientThreads != nil {
		mt["http-client-threads"] = ha.ClientThreads.Value
	}
	m["multi-threading"] = mt
	if dedicated {
		// Kea's default is false before 3.0, when the listener then answers
		// every command, config-get included, without authentication.
		restrict := true
		if ha.RestrictCommands != nil {
			restrict = *ha.RestrictCommands
		}
		m["restrict-commands"] = restrict
	}
	peers := make([]any, 0, len(s.Nodes))
	for _, n := range s.Nodes {
		p := map[string]any{"name": n.Name, "role": string(n.Role), "url": haURL(n)}
		if ha.AutoFailover != nil && n.Role != model.RoleBackup {
			p["auto-failover"] = *ha.AutoFailover
		}
		if s.ControlAuth != nil {
			p["basic-auth-user"] = s.ControlAuth.User
			if s.ControlAuth.Password != nil {
				p["basic-auth-password"] = secretOf(s.ControlAuth.Password)
			}
		}
		peers = append(peers, p)
	}
	m["peers"] = peers
	// TLS between the peers: this node's certificate, and the anchor it
	// verifies the partner with (node-local paths).
	if self.HAURL != nil && self.HAURL.Scheme == "https" && self.TLS != nil {
		m["cert-file"] = self.TLS.CertFile
		m["key-file"] = self.TLS.KeyFile
		m["trust-anchor"] = self.TLS.TrustAnchor
		if dedicated {
			m["require-client-certs"] = self.TLS.CertRequired
		}
	}
	return m
}

// haURL is the peer URL Kea expects: scheme, IP literal, port, and a slash.
func haURL(n *model.Node) string {
	host, port := hostPort(n.HAURL)
	u := url.URL{Scheme: n.HAURL.Scheme, Host: joinHostPort(host, port), Path: "/"}
	return u.String()
}

func joinHostPort(host string, port int) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + strconv.Itoa(port)
	}
	return host + ":" + strconv.Itoa(port)
}
