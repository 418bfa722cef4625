package keaconfig

import (
	"net/url"
	"path"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// hooks reads the hook libraries keaops renders itself — HA and the
// lease_cmds it needs, host_cmds and subnet_cmds for live changes, 3.0's
// database hooks — and leaves every other library to the escape hatch.
func (r *reader) hooks(s *model.Site, self *model.Node, g *obj) {
	for _, h := range g.list("hooks-libraries") {
		name, _ := h.m["library"].(string)
		lib := path.Base(name)
		switch lib {
		case "libdhcp_lease_cmds.so", "libdhcp_mysql.so", "libdhcp_pgsql.so":
			if len(h.m) > 1 { // with parameters of its own: not keaops's
				continue
			}
			h.str("library")
		case "libdhcp_host_cmds.so", "libdhcp_subnet_cmds.so":
			if len(h.m) > 1 {
				continue
			}
			h.str("library")
			self.Hooks = append(self.Hooks, strings.TrimSuffix(strings.TrimPrefix(lib, "libdhcp_"), ".so"))
		case "libdhcp_ha.so":
			h.str("library")
			rels := h.child("parameters").list("high-availability")
			if len(rels) == 0 {
				continue // no relationship: the library whole in the escape hatch
			}
			r.ha(s, self, rels[0])
			for _, extra := range rels[1:] {
				// A hub with more relationships: keaops models one, and
				// reports the others.
				extra.report("ha")
			}
		default:
			// The site's own: a library in the node's hooks directory by
			// its file name, anywhere else by its path.
			h.claimed = true
			for k := range h.m {
				h.get(k)
			}
			hook := &model.Hook{Library: name, Pos: r.pos}
			if dir := path.Dir(name); dir != "." {
				hook.Library = lib
				if self.Paths.HooksDir == "" {
					self.Paths.HooksDir = dir
				} else if self.Paths.HooksDir != dir {
					hook.Library = name
				}
			}
			if p, ok := h.m["parameters"].(map[string]any); ok {
				hook.Parameters, _ = r.secretsIn(p, h.path+".parameters").(map[string]any)
			}
			s.Hooks = append(s.Hooks, hook)
			continue
		}
		if dir := path.Dir(name); dir != "." && self.Paths.HooksDir == "" {
			self.Paths.HooksDir = dir
		}
		h.report("hook")
	}
}

func (r *reader) ha(s *model.Site, self *model.Node, ha *obj) {
	ha.claimed = true
	thisServer := ha.str("this-server-name")
	s.HA = model.HA{
		Mode: model.HAMode(ha.str("mode")), HeartbeatDelay: r.int(ha, "heartbeat-delay"), MaxResponseDelay: r.int(ha, "max-response-delay"),
		MaxAckDelay: r.int(ha, "max-ack-delay"), MaxUnackedClients: r.int(ha, "max-unacked-clients"), SyncTimeout: r.int(ha, "sync-timeout"),
		SyncPageLimit: r.int(ha, "sync-page-limit"), DelayedUpdatesLimit: r.int(ha, "delayed-updates-limit"), SyncLeases: ha.boolp("sync-leases"),
		RestrictCommands: ha.boolp("restrict-commands"), Pos: r.pos,
	}
	mt := ha.child("multi-threading")
	s.HA.MTEnable, s.HA.DedicatedListener = mt.boolp("enable-multi-threading"), mt.boolp("http-dedicated-listener")
	s.HA.ListenerThreads, s.HA.ClientThreads = r.int(mt, "http-listener-threads"), r.int(mt, "http-client-threads")
	// TLS between the peers: this node's files, node-local.
	if cert := ha.str("cert-file"); cert != "" {
		self.TLS = &model.TLS{CertFile: cert, KeyFile: ha.str("key-file"), TrustAnchor: ha.str("trust-anchor")}
		if rc := ha.boolp("require-client-certs"); rc != nil {
			self.TLS.CertRequired = *rc
		}
	} else {
		ha.str("key-file")
		ha.str("trust-anchor")
		ha.boolp("require-client-certs")
	}
	for _, pc := range ha.list("peers") {
		name := pc.str("name")
		u, err := url.Parse(pc.str("url"))
		if err != nil {
			r.p.errorf(pc.path+".url", "%v", err)
			continue
		}
		n := &model.Node{Name: name, Role: model.Role(pc.str("role")), HAURL: u, Pos: r.pos}
		if name == thisServer {
			n.Interfaces, n.Paths, n.Hooks = self.Interfaces, self.Paths, self.Hooks
			n.TLS, n.ControlURL = self.TLS, self.ControlURL
		}
		if af := pc.boolp("auto-failover"); af != nil {
			s.HA.AutoFailover = af
		}
		if user := pc.str("basic-auth-user"); user != "" {
			s.ControlAuth = &model.BasicAuth{User: user}
			if pc.has("basic-auth-password") {
				s.ControlAuth.Password = r.secret(pc, "basic-auth-password", "KEA_API_PASSWORD")
			}
		}
		s.Nodes = append(s.Nodes, n)
		pc.report("ha-peer")
	}
	ha.report("ha")
}

// loggers reads the logger keaops renders (kea-dhcp4 at INFO into the
// node's log file) as that file, and any other set of loggers as the
// site's.
func (r *reader) loggers(s *model.Site, self *model.Node, g *obj) {
	list := g.list("loggers")
	if len(list) == 1 {
		if file, ok := keaopsLogger(list[0]); ok {
			for k := range list[0].m {
				list[0].get(k)
			}
			self.Paths.LogFile = file
			list[0].claimed = true
			return
		}
	}
	for _, lo := range list {
		l := &model.Logger{Name: lo.str("name"), Severity: lo.str("severity"), Pos: r.pos}
		if d := lo.intp("debuglevel"); d != nil {
			l.DebugLevel = int(*d)
		}
		for _, key := range []string{"output_options", "output-options"} {
			for _, oo := range lo.list(key) {
				out := model.LogOutput{Output: oo.str("output"), Pattern: oo.str("pattern")}
				if f := oo.boolp("flush"); f != nil && !*f {
					out.Flush = f
				}
				if v := oo.intp("maxsize"); v != nil && jsonText(*v) != loggerOutputDefaults["maxsize"] {
					out.MaxSize = v
				}
				if v := oo.intp("maxver"); v != nil && jsonText(*v) != loggerOutputDefaults["maxver"] {
					out.MaxVer = v
				}
				l.Outputs = append(l.Outputs, out)
				oo.report("logger output")
			}
		}
		s.Loggers = append(s.Loggers, l)
		lo.report("logger")
	}
}

// keaopsLogger reports whether l is the logger keaops renders, as Kea
// prints it back (debuglevel 0 and the output defaults filled in).
func keaopsLogger(l *obj) (file string, ok bool) {
	if l.m["name"] != "kea-dhcp4" || l.m["severity"] != "INFO" {
		return "", false
	}
	outputs := 0
	for k, v := range l.m {
		switch k {
		case "name", "severity":
		case "debuglevel":
			if jsonText(v) != "0" {
				return "", false
			}
		case "output_options", "output-options":
			list, _ := v.([]any)
			for _, o := range list {
				m, _ := o.(map[string]any)
				for ok, ov := range m {
					def, known := loggerOutputDefaults[ok]
					switch {
					case ok == "output":
						file, _ = ov.(string)
					case !known || jsonText(ov) != def:
						return "", false
					}
				}
				outputs++
			}
		default:
			return "", false
		}
	}
	return file, outputs == 1 && file != ""
}

// loggerOutputDefaults are what config-get adds to a logger's output.
var loggerOutputDefaults = map[string]string{"flush": "true", "maxsize": "10240000", "maxver": "1", "pattern": `""`}
