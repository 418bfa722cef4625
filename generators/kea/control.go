package kea

// The control plane of a node: its Control Agent, kea-dhcp4's own HTTP
// socket (3.2+), their authentication and TLS.

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

func hostPort(u *url.URL) (string, int) {
	port, _ := strconv.Atoi(u.Port())
	if port == 0 {
		port = 80
		if u.Scheme == "https" {
			port = 443
		}
	}
	return u.Hostname(), port
}

func authentication(s *model.Site) map[string]any {
	if s.ControlAuth == nil {
		return nil
	}
	client := map[string]any{"user": s.ControlAuth.User}
	if s.ControlAuth.Password != nil {
		client["password"] = secretOf(s.ControlAuth.Password)
	}
	return map[string]any{"type": "basic", "realm": "keaops", "clients": []any{client}}
}

func tlsKeys(m map[string]any, t *model.TLS) {
	if t == nil {
		return
	}
	m["cert-file"] = t.CertFile
	m["key-file"] = t.KeyFile
	if t.TrustAnchor != "" {
		m["trust-anchor"] = t.TrustAnchor
	}
	m["cert-required"] = t.CertRequired
}

// httpSocket is kea-dhcp4's own HTTP control listener (3.0+), the control
// API when there is no Control Agent.
func httpSocket(s *model.Site, n *model.Node) map[string]any {
	host, port := hostPort(n.ControlURL)
	m := map[string]any{"socket-type": n.ControlURL.Scheme, "socket-address": host, "socket-port": port}
	if a := authentication(s); a != nil {
		m["authentication"] = a
	}
	tlsKeys(m, n.TLS)
	return m
}

func agentConfig(s *model.Site, r rules, n *model.Node) map[string]any {
	p := paths(n)
	host, port := hostPort(n.ControlURL)
	m := map[string]any{
		"http-host":       host,
		"http-port":       port,
		"control-sockets": agentSockets(s, p),
		"loggers": []any{map[string]any{
			"name": "kea-ctrl-agent", "severity": "INFO",
			r.outputOptions: []any{map[string]any{"output": agentLog(p)}},
		}},
	}
	if a := authentication(s); a != nil {
		m["authentication"] = a
	}
	tlsKeys(m, n.TLS)
	return m
}

// agentLog puts the agent's log next to the server's.
func agentLog(p model.NodePaths) string {
	if i := strings.LastIndex(p.LogFile, "/"); i >= 0 {
		return p.LogFile[:i+1] + "kea-ctrl-agent.log"
	}
	return defaultAgentLogFile
}

// agentSockets are the daemons the Control Agent forwards commands to.
func agentSockets(s *model.Site, p model.NodePaths) map[string]any {
	m := map[string]any{"dhcp4": map[string]any{"socket-type": "unix", "socket-name": p.ControlSocket}}
	if s.DDNS != nil {
		m["d2"] = map[string]any{"socket-type": "unix", "socket-name": p.D2ControlSocket}
	}
	return m
}
