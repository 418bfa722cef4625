package importer

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strings"

	"github.com/keaops/keaops/internal/diff"
	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/validate"
	"github.com/keaops/keaops/sources/keaconfig"
)

// NodeConfig is one server's configuration as an import read it: from the
// live node, or from its files.
type NodeConfig struct {
	// Origin names where it was read, for positions ("kea-a (live)", a
	// file's path).
	Origin string
	// Name is the node's name when the command line gave it; the HA
	// section's this-server-name otherwise.
	Name string
	// Dhcp4 is the Dhcp4 object; D2 the DhcpDdns one and Agent the
	// Control-agent one, nil when there is none.
	Dhcp4, D2, Agent json.RawMessage
	// ControlURL is where keaops reached the node, nil when unknown.
	ControlURL *url.URL
}

// Assemble builds one site from the configurations of a single server or
// of the nodes of an HA pair, for Kea version v. The nodes must agree on
// everything but what is each node's own (this-server-name, interfaces,
// sockets, files): exactly what keaops renders per node.
func Assemble(v model.Version, cfgs []NodeConfig) (*Result, error) {
	if len(cfgs) == 0 {
		return nil, fmt.Errorf("nothing to import: no kea-dhcp4 configuration")
	}
	res := &Result{}
	type read struct {
		cfg  NodeConfig
		site *model.Site
		self *model.Node
	}
	var reads []read
	for _, c := range cfgs {
		s, lits, err := keaconfig.Import(c.Dhcp4, c.Origin)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", c.Origin, err)
		}
		s.KeaVersion = v
		res.secrets(lits)
		res.unmodelled(c.Origin, s.Unmodelled)
		s.Unmodelled = nil
		if n, err := AssignAutoIDs(s); err != nil {
			return nil, fmt.Errorf("%s: %w", c.Origin, err)
		} else if n > 0 && len(reads) == 0 {
			res.note("%s: %d subnets have no id; they get the ids Kea %s numbers them with, written out explicitly", c.Origin, n, v)
		}
		if len(reads) == 0 && keaconfig.LeaseChecks(c.Dhcp4) == "warn" {
			res.note("sanity-checks.lease-checks is Kea's default, warn: keaops renders fix, so that Kea gives a lease whose subnet id no longer matches its address the right id when it loads it, instead of only warning")
		}
		name := keaconfig.ThisServer(c.Dhcp4)
		switch {
		case name == "" && c.Name != "":
			name = c.Name
		case name == "":
			name = "kea"
		case c.Name != "" && c.Name != name:
			return nil, fmt.Errorf("%s: the node was named %s, but its HA section says this-server-name %q", c.Origin, c.Name, name)
		}
		self := s.Nodes[0]
		for _, n := range s.Nodes {
			if n.Name == name {
				self = n
			}
		}
		if self.Name == "" {
			self.Name = name
		}
		if c.ControlURL != nil {
			self.ControlURL = c.ControlURL
		}
		reads = append(reads, read{c, s, self})
		res.From = append(res.From, c.Origin)
	}
	base := reads[0].site
	if base.HA.Mode == model.HANone && len(reads) > 1 {
		return nil, fmt.Errorf("%d configurations without an HA section: keaops imports one server, or the nodes of an HA pair", len(reads))
	}
	for _, r := range reads[1:] {
		if err := agree(reads[0].cfg.Origin, base, r.cfg.Origin, r.site); err != nil {
			return nil, err
		}
	}
	// Each node's own settings, from its own configuration.
	own := map[string]*model.Node{}
	for _, r := range reads {
		if own[r.self.Name] != nil {
			return nil, fmt.Errorf("%s: node %s was read twice", r.cfg.Origin, r.self.Name)
		}
		own[r.self.Name] = r.self
	}
	first := reads[0].self
	for _, n := range base.Nodes {
		o := own[n.Name]
		if o == nil {
			res.note("node %s: no configuration of its own was read: its interfaces, paths and TLS files are taken to be %s's (with its name for %s's in file names)", n.Name, first.Name, first.Name)
			n.Interfaces, n.Paths, n.Hooks = first.Interfaces, first.Paths, first.Hooks
			if t := first.TLS; t != nil {
				rename := strings.NewReplacer(first.Name, n.Name)
				n.TLS = &model.TLS{CertFile: rename.Replace(t.CertFile), KeyFile: rename.Replace(t.KeyFile), TrustAnchor: t.TrustAnchor, CertRequired: t.CertRequired}
			}
			continue
		}
		n.ControlURL = o.ControlURL
		n.Interfaces, n.Paths, n.Hooks, n.TLS = o.Interfaces, o.Paths, o.Hooks, o.TLS
	}
	for _, r := range reads {
		i := slices.IndexFunc(base.Nodes, func(n *model.Node) bool { return n.Name == r.self.Name })
		if i < 0 {
			return nil, fmt.Errorf("%s: node %s is not a peer in the HA section of %s", r.cfg.Origin, r.self.Name, reads[0].cfg.Origin)
		}
		if err := res.services(base, r.cfg, base.Nodes[i]); err != nil {
			return nil, err
		}
	}
	for _, n := range base.Nodes {
		if n.ControlURL == nil {
			n.ControlURL = res.controlURL(base, n)
		}
	}
	for _, n := range base.Nodes {
		res.keaDirs(base, n)
	}
	validate.NameOptions(base)
	res.Site = base
	return res, nil
}

// agree fails unless b means what a means: the same model, by the same
// diff that plans deploys.
func agree(aName string, a *model.Site, bName string, b *model.Site) error {
	changes := diff.Sites(a, b)
	if len(changes) == 0 {
		return nil
	}
	var lines []string
	for i, c := range changes {
		if i == 10 {
			lines = append(lines, fmt.Sprintf("… and %d more", len(changes)-10))
			break
		}
		c.Pos = model.Pos{}
		lines = append(lines, "  "+c.String())
	}
	return fmt.Errorf("%s and %s differ beyond what is each node's own: keaops keeps both nodes of a pair the same; make them agree first, or import one of them\n%s",
		aName, bName, strings.Join(lines, "\n"))
}

// services reads a node's kea-dhcp-ddns and Control Agent configurations.
func (res *Result) services(s *model.Site, c NodeConfig, n *model.Node) error {
	if c.D2 != nil {
		d2, lits, err := keaconfig.ImportD2(c.D2, c.Origin+" (kea-dhcp-ddns)")
		if err != nil {
			return fmt.Errorf("reading %s: %w", c.Origin, err)
		}
		res.secrets(lits)
		res.unmodelled(c.Origin+" (kea-dhcp-ddns)", d2.Unmodelled)
		if s.DDNS == nil {
			s.DDNS = d2.DDNS
		} else if changes := diff.DDNS(s.DDNS, d2.DDNS); len(changes) > 0 {
			return fmt.Errorf("%s: kea-dhcp-ddns differs from the other node's (%s): keaops keeps both the same", c.Origin, changes[0])
		}
		n.Paths.D2ControlSocket, n.Paths.D2LogFile = d2.ControlSocket, d2.LogFile
	}
	if c.Agent != nil {
		a, lits, err := keaconfig.ImportAgent(c.Agent, c.Origin+" (kea-ctrl-agent)")
		if err != nil {
			return fmt.Errorf("reading %s: %w", c.Origin, err)
		}
		res.secrets(lits)
		res.unmodelled(c.Origin+" (kea-ctrl-agent)", a.Unmodelled)
		if n.ControlURL == nil {
			n.ControlURL = a.ControlURL
		}
		if a.TLS != nil {
			n.TLS = a.TLS
		}
		if s.ControlAuth == nil && a.Auth != nil {
			s.ControlAuth = a.Auth
		}
	}
	return nil
}

// controlURL is a node's control URL where neither the command line nor
// an agent configuration gave one. Without HA's dedicated listener the
// peers talk to each other's Control Agent, so the HA URL is it;
// otherwise the agent is assumed on its default port.
func (res *Result) controlURL(s *model.Site, n *model.Node) *url.URL {
	dedicated := s.KeaVersion.AtLeast(2, 4) // Kea's default from 2.4
	if s.HA.MTEnable != nil && s.HA.DedicatedListener != nil {
		dedicated = *s.HA.MTEnable && *s.HA.DedicatedListener
	}
	if n.HAURL != nil && !dedicated {
		return n.HAURL
	}
	host, scheme := "127.0.0.1", "http"
	if n.HAURL != nil {
		host, scheme = n.HAURL.Hostname(), n.HAURL.Scheme // TLS between the peers: TLS to the agent too
	}
	u := &url.URL{Scheme: scheme, Host: net.JoinHostPort(host, "8000"), Path: "/"}
	res.note("node %s: its control URL is assumed to be %s (the Control Agent's default port): check it, or import with --endpoint %s=URL", n.Name, u, n.Name)
	return u
}

// keaDirs declares the directories a node's Kea must have been started
// with: from 2.4 Kea opens control sockets, lease files and log files
// only in its KEA_*_DIR directories, so a node that runs with its files
// elsewhere runs with those directories declared.
func (res *Result) keaDirs(s *model.Site, n *model.Node) {
	if !s.KeaVersion.AtLeast(2, 4) {
		return
	}
	set := func(dst *string, path, dflt, env string) {
		if path == "" || !strings.HasPrefix(path, "/") {
			return
		}
		if dir := filepath.Dir(path); dir != dflt && *dst == "" {
			*dst = dir
			res.note("node %s: %s is in %s, so its Kea runs with %s=%s (kea-env)", n.Name, path, dir, env, dir)
		}
	}
	set(&n.KeaDirs.ControlSocket, n.Paths.ControlSocket, "/run/kea", "KEA_CONTROL_SOCKET_DIR")
	if s.LeaseDB.Type == "" || s.LeaseDB.Type == "memfile" {
		set(&n.KeaDirs.Data, n.Paths.LeaseFile, "/var/lib/kea", "KEA_DHCP_DATA_DIR")
	}
	set(&n.KeaDirs.Log, n.Paths.LogFile, "/var/log/kea", "KEA_LOG_FILE_DIR")
	for _, l := range s.Loggers {
		for _, o := range l.Outputs {
			set(&n.KeaDirs.Log, o.Output, "/var/log/kea", "KEA_LOG_FILE_DIR")
		}
	}
}
