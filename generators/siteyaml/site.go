package siteyaml

import (
	"go.yaml.in/yaml/v3"

	"github.com/keaops/keaops/internal/model"
)

// site is keaops.yaml: the Kea version, the nodes and HA, and what the
// servers run beside the subnets.
func (w *writer) site(s *model.Site) *yaml.Node {
	m := newMapping()
	m.set("kea-version", str(s.KeaVersion.String()))
	src := newMapping()
	src.set("subnets", str(SubnetsFile))
	src.set("reservations", str(ReservationsFile))
	m.set("sources", src.n)
	if a := s.ControlAuth; a != nil {
		auth := newMapping()
		auth.set("user", str(a.User))
		auth.set("password", secret(a.Password))
		m.set("control-auth", auth.n)
	}
	m.set("ha", ha(s.HA))
	if mt := s.MultiThreading; mt != nil {
		t := newMapping()
		t.set("enable", boolean(mt.Enable))
		t.set("thread-pool-size", intOr(mt.ThreadPoolSize))
		t.set("packet-queue-size", intOr(mt.PacketQueueSize))
		m.set("multi-threading", t.n)
	}
	nodes := seq()
	for _, n := range s.Nodes {
		nodes.Content = append(nodes.Content, w.node(n))
	}
	m.set("nodes", nodes)
	m.set("lease-database", database(s.LeaseDB, true))
	d := newMapping()
	lifetimes(d, s.Defaults.Lifetimes)
	options(d, s.Defaults.Options, commonShorthands)
	settings(d, s.Settings)
	m.set("defaults", d.node())
	if len(s.Classes) > 0 {
		list := seq()
		for _, c := range s.Classes {
			list.Content = append(list.Content, w.class(c))
		}
		m.set("client-classes", list)
	}
	if len(s.OptionDefs) > 0 {
		list := seq()
		for _, d := range s.OptionDefs {
			list.Content = append(list.Content, optionDef(d))
		}
		m.set("option-def", list)
	}
	w.server(m, s)
	m.set("ddns", ddns(s.DDNS))
	raw(m, s.Raw)
	return m.n
}

func ha(h model.HA) *yaml.Node {
	if h.Mode == model.HANone || h.Mode == "" {
		return nil
	}
	m := newMapping()
	m.set("mode", str(string(h.Mode)))
	m.set("heartbeat-delay", modelInt(h.HeartbeatDelay))
	m.set("max-response-delay", modelInt(h.MaxResponseDelay))
	m.set("max-ack-delay", modelInt(h.MaxAckDelay))
	m.set("max-unacked-clients", modelInt(h.MaxUnackedClients))
	m.set("sync-timeout", modelInt(h.SyncTimeout))
	m.set("sync-leases", boolp(h.SyncLeases))
	m.set("sync-page-limit", modelInt(h.SyncPageLimit))
	m.set("delayed-updates-limit", modelInt(h.DelayedUpdatesLimit))
	m.set("auto-failover", boolp(h.AutoFailover))
	mt := newMapping()
	mt.set("enable", boolp(h.MTEnable))
	mt.set("dedicated-listener", boolp(h.DedicatedListener))
	mt.set("listener-threads", modelInt(h.ListenerThreads))
	mt.set("client-threads", modelInt(h.ClientThreads))
	m.set("multi-threading", mt.node())
	m.set("restrict-commands", boolp(h.RestrictCommands))
	return m.n
}

func (w *writer) node(n *model.Node) *yaml.Node {
	m := newMapping()
	m.set("name", str(n.Name))
	m.set("role", strOr(string(n.Role)))
	if n.ControlURL != nil {
		m.set("control-url", str(n.ControlURL.String()))
	}
	if n.HAURL != nil {
		m.set("ha-url", str(n.HAURL.String()))
	}
	if len(n.Interfaces) > 0 {
		m.set("interfaces", strs(n.Interfaces))
	}
	m.set("hooks", strs(n.Hooks))
	if t := n.TLS; t != nil {
		tm := newMapping()
		tm.set("cert-file", str(t.CertFile))
		tm.set("key-file", str(t.KeyFile))
		tm.set("trust-anchor", strOr(t.TrustAnchor))
		tm.set("cert-required", trueOr(t.CertRequired))
		m.set("tls", tm.n)
	}
	p := newMapping()
	p.set("control-socket", strOr(n.Paths.ControlSocket))
	p.set("lease-file", strOr(n.Paths.LeaseFile))
	p.set("log-file", strOr(n.Paths.LogFile))
	p.set("hooks-dir", strOr(n.Paths.HooksDir))
	p.set("ddns-control-socket", strOr(n.Paths.D2ControlSocket))
	p.set("ddns-log-file", strOr(n.Paths.D2LogFile))
	m.set("paths", p.node())
	e := newMapping()
	e.set("KEA_CONTROL_SOCKET_DIR", strOr(n.KeaDirs.ControlSocket))
	e.set("KEA_DHCP_DATA_DIR", strOr(n.KeaDirs.Data))
	e.set("KEA_LOG_FILE_DIR", strOr(n.KeaDirs.Log))
	m.set("kea-env", e.node())
	w.position(m.n, n.Pos)
	return m.n
}

// database is the lease database (lease: true) or a hosts database.
func database(db model.LeaseDB, lease bool) *yaml.Node {
	m := newMapping()
	m.set("type", str(db.Type))
	if lease {
		m.set("persist", boolp(db.Persist))
		m.set("lfc-interval", modelInt(db.LFCInterval))
	}
	m.set("name", strOr(db.Name))
	m.set("host", strOr(db.Host))
	m.set("port", intOr(db.Port))
	m.set("user", strOr(db.User))
	m.set("password", secret(db.Password))
	raw(m, db.Raw)
	return m.n
}

func (w *writer) class(c *model.ClientClass) *yaml.Node {
	m := newMapping()
	m.set("name", str(c.Name))
	m.set("test", strOr(c.Test))
	m.set("comment", strOr(c.Comment))
	m.set("only-if-required", trueOr(c.OnlyIfRequired))
	lifetimes(m, c.Lifetimes)
	settings(m, c.Settings)
	options(m, c.Options, noShorthands)
	raw(m, c.Raw)
	w.position(m.n, c.Pos)
	return m.n
}

func optionDef(d *model.OptionDef) *yaml.Node {
	m := newMapping()
	m.n.Style = yaml.FlowStyle
	m.set("name", str(d.Name))
	m.set("code", integer(int64(d.Code)))
	m.set("type", str(d.Type))
	m.set("space", strOr(d.Space))
	m.set("record-types", strOr(d.RecordTypes))
	m.set("array", trueOr(d.Array))
	m.set("encapsulate", strOr(d.Encapsulate))
	return m.n
}

// server writes the loggers, hook libraries and host databases.
func (w *writer) server(m mapping, s *model.Site) {
	if len(s.Loggers) > 0 {
		list := seq()
		for _, l := range s.Loggers {
			lm := newMapping()
			lm.set("name", str(l.Name))
			lm.set("severity", str(l.Severity))
			lm.set("debuglevel", intOr(l.DebugLevel))
			outs := seq()
			for _, o := range l.Outputs {
				om := newMapping()
				om.set("output", str(o.Output))
				om.set("flush", boolp(o.Flush))
				if o.MaxSize != nil {
					om.set("maxsize", integer(*o.MaxSize))
				}
				if o.MaxVer != nil {
					om.set("maxver", integer(*o.MaxVer))
				}
				om.set("pattern", strOr(o.Pattern))
				outs.Content = append(outs.Content, om.n)
			}
			lm.set("output-options", outs)
			list.Content = append(list.Content, lm.n)
		}
		m.set("loggers", list)
	}
	if len(s.Hooks) > 0 {
		list := seq()
		for _, h := range s.Hooks {
			hm := newMapping()
			hm.set("library", str(h.Library))
			if len(h.Parameters) > 0 {
				hm.set("parameters", value(h.Parameters))
			}
			list.Content = append(list.Content, hm.n)
		}
		m.set("hooks-libraries", list)
	}
	if len(s.HostsDBs) > 0 {
		list := seq()
		for _, db := range s.HostsDBs {
			list.Content = append(list.Content, database(*db, false))
		}
		m.set("hosts-databases", list)
	}
}

func ddns(d *model.DDNS) *yaml.Node {
	if d == nil {
		return nil
	}
	m := newMapping()
	l := newMapping()
	if d.IP.IsValid() {
		l.set("ip", str(d.IP.String()))
	}
	l.set("port", intOr(d.Port))
	m.set("listen", l.node())
	if len(d.Keys) > 0 {
		keys := seq()
		for _, k := range d.Keys {
			km := newMapping()
			km.set("name", str(k.Name))
			km.set("algorithm", str(k.Algorithm))
			km.set("digest-bits", intOr(k.DigestBits))
			km.set("secret", secret(k.Secret))
			keys.Content = append(keys.Content, km.n)
		}
		m.set("tsig-keys", keys)
	}
	for _, side := range []struct {
		key  string
		list []*model.DNSDomain
	}{{"forward", d.Forward}, {"reverse", d.Reverse}} {
		if len(side.list) == 0 {
			continue
		}
		list := seq()
		for _, dom := range side.list {
			dm := newMapping()
			dm.set("name", str(dom.Name))
			dm.set("key", strOr(dom.Key))
			servers := flow()
			for _, sv := range dom.Servers {
				if sv.Port == 0 && sv.Key == "" {
					servers.Content = append(servers.Content, str(sv.IP.String()))
					continue
				}
				sm := newMapping()
				sm.n.Style = yaml.FlowStyle
				sm.set("ip", str(sv.IP.String()))
				sm.set("port", intOr(sv.Port))
				sm.set("key", strOr(sv.Key))
				servers.Content = append(servers.Content, sm.n)
			}
			dm.set("servers", servers)
			list.Content = append(list.Content, dm.n)
		}
		m.set(side.key, list)
	}
	raw(m, d.Raw)
	if m.empty() {
		m.n.Style = yaml.FlowStyle
	}
	return m.n
}
