package keaconfig

import (
	"encoding/json"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// Agent is what an import takes from a kea-ctrl-agent configuration: the
// node's control URL, the API's credentials and TLS. keaops renders the
// rest of the agent itself (its sockets follow the node's paths).
type Agent struct {
	ControlURL *url.URL
	Auth       *model.BasicAuth
	TLS        *model.TLS
	// Unmodelled is what the agent sets that keaops does not render.
	Unmodelled []string
}

// ImportAgent reads a Control-agent configuration for keaops import;
// literal passwords become references, as in Import.
func ImportAgent(ca json.RawMessage, origin string) (*Agent, []Literal, error) {
	var lits []Literal
	r, g, err := newRead(ca, origin, "Control-agent", &lits)
	if err != nil {
		return nil, nil, err
	}
	p := r.p
	out := &Agent{}
	host, port := g.str("http-host"), g.intp("http-port")
	if host == "" {
		host = "127.0.0.1"
	}
	if port == nil {
		port = new(int64)
		*port = 8000
	}
	scheme := "http"
	if g.has("cert-file") {
		scheme = "https"
		out.TLS = &model.TLS{CertFile: g.str("cert-file"), KeyFile: g.str("key-file"), TrustAnchor: g.str("trust-anchor"), CertRequired: g.flag("cert-required")}
	}
	out.ControlURL = &url.URL{Scheme: scheme, Host: net.JoinHostPort(host, strconv.FormatInt(*port, 10)), Path: "/"}
	auth := g.child("authentication")
	auth.str("type")
	auth.str("realm")
	for i, c := range auth.list("clients") {
		c.claimed = true
		if i == 0 {
			out.Auth = &model.BasicAuth{User: c.str("user"), Password: r.secret(c, "password", "KEA_API_PASSWORD")}
		}
		c.report("agent client")
	}
	// The sockets to the daemons are the nodes' paths, which the dhcp4
	// and d2 configurations give; keaops renders them from there.
	for _, k := range []string{"dhcp4", "d2", "dhcp6"} {
		cs := g.child("control-sockets").child(k)
		for key := range cs.m {
			cs.get(key)
		}
	}
	if list := g.list("loggers"); len(list) > 0 {
		for _, l := range list {
			l.claimed = true
			for k := range l.m {
				l.get(k) // keaops renders the agent's own logger
			}
		}
	}
	for k, v := range g.rest("agent") {
		out.Unmodelled = append(out.Unmodelled, "Control-agent."+k+" = "+strings.TrimSpace(jsonText(v)))
	}
	out.Unmodelled = append(out.Unmodelled, p.unmodelled...)
	return out, lits, nil
}
