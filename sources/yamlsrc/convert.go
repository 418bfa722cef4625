package yamlsrc

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"go4.org/netipx"

	"github.com/keaops/keaops/internal/model"
)

// rec is a mapping node with the file it came from. Its getters assume the
// schema has already checked types: a value of the wrong kind reads as
// absent rather than failing twice.
type rec struct {
	file string
	m    *yaml.Node
}

func get(m *yaml.Node, key string) *yaml.Node { _, v := lookup(m, key); return v }

func (r rec) get(key string) *yaml.Node { return get(r.m, key) }

func (r rec) sub(key string) rec { return rec{file: r.file, m: r.get(key)} }

func (r rec) pos(n *yaml.Node) model.Pos {
	if n == nil {
		return r.pos(r.m)
	}
	return model.Pos{File: r.file, Line: n.Line, Col: n.Column}
}

// keyPos is the position of a key, where "X is wrong" findings point.
func (r rec) keyPos(key string) model.Pos {
	if k, _ := lookup(r.m, key); k != nil {
		return r.pos(k)
	}
	return r.pos(r.m)
}

func (r rec) str(key string) string {
	if v := r.get(key); v != nil && v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
		return v.Value
	}
	return ""
}

func (r rec) boolp(key string) *bool {
	v := r.get(key)
	if v == nil || v.ShortTag() != "!!bool" {
		return nil
	}
	var b bool
	if v.Decode(&b) != nil {
		return nil
	}
	return &b
}

func (r rec) intp(key string) *model.Int {
	v := r.get(key)
	if v == nil || v.ShortTag() != "!!int" {
		return nil
	}
	var i int64
	if v.Decode(&i) != nil {
		return nil
	}
	return &model.Int{Value: i, Pos: r.pos(v)}
}

func (r rec) strs(key string) []string {
	v := r.get(key)
	if v == nil {
		return nil
	}
	if v.Kind == yaml.ScalarNode {
		return []string{v.Value}
	}
	out := make([]string, 0, len(v.Content))
	for _, c := range v.Content {
		if c.Kind == yaml.ScalarNode {
			out = append(out, c.Value)
		}
	}
	return out
}

func (r rec) lifetimes() model.Lifetimes {
	return model.Lifetimes{Valid: r.intp("valid-lifetime"), Renew: r.intp("renew-timer"), Rebind: r.intp("rebind-timer")}
}

func (r rec) secret(key string) *model.SecretRef {
	s := r.sub(key)
	if s.m == nil || s.m.Kind != yaml.MappingNode {
		return nil
	}
	return &model.SecretRef{Env: s.str("env"), File: s.str("file"), Pos: r.pos(s.m)}
}

// convenience maps the short keys of subnets and defaults to the options
// they stand for.
var convenience = []struct{ key, option string }{
	{"gateway", "routers"},
	{"dns", "domain-name-servers"},
	{"ntp", "ntp-servers"},
	{"domain", "domain-name"},
}

// options reads the convenience keys and the options map of r. An option set
// both ways is an error: which one wins would be a guess.
func (l *loader) options(r rec) []*model.Option {
	var out []*model.Option
	byName := map[string]*model.Option{}
	for _, c := range convenience {
		if v := r.get(c.key); v != nil {
			o := &model.Option{Name: c.option, Values: r.strs(c.key), Pos: r.pos(v)}
			byName[c.option] = o
			out = append(out, o)
		}
	}
	opts := r.get("options")
	if opts == nil || opts.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(opts.Content); i += 2 {
		k, v := opts.Content[i], opts.Content[i+1]
		o := &model.Option{Name: k.Value, Pos: r.pos(k)}
		if code, err := strconv.Atoi(k.Value); err == nil && code > 0 && code < 255 {
			// An option Kea knows by its code only (options: {"224": …}).
			o.Name, o.Code = "", code
		}
		if prev, dup := byName[o.Name]; dup && o.Name != "" {
			l.add(model.Errorf(o.Pos, "option", "option %q is also set at %s: set it once", o.Name, prev.Pos.Short()))
			continue
		}
		data := v
		if v.Kind == yaml.MappingNode {
			or := rec{file: r.file, m: v}
			data = or.get("data")
			if b := or.boolp("always-send"); b != nil {
				o.AlwaysSend = *b
			}
			if b := or.boolp("never-send"); b != nil {
				o.NeverSend = *b
			}
			o.CSVFormat = or.boolp("csv-format")
			o.Space = or.str("space")
		}
		if data != nil {
			if data.Kind == yaml.SequenceNode {
				for _, c := range data.Content {
					o.Values = append(o.Values, c.Value)
				}
			} else {
				o.Values = []string{data.Value}
			}
		}
		byName[o.Name] = o
		out = append(out, o)
	}
	return out
}

func (l *loader) site(file string, root *yaml.Node) *model.Site {
	r := rec{file: file, m: root}
	s := &model.Site{Pos: r.pos(root)}
	if v := r.str("kea-version"); v != "" {
		maj, min, _ := strings.Cut(v, ".")
		s.KeaVersion.Major, _ = strconv.Atoi(maj)
		s.KeaVersion.Minor, _ = strconv.Atoi(min)
	}
	if a := r.sub("control-auth"); a.m != nil {
		s.ControlAuth = &model.BasicAuth{User: a.str("user"), Password: a.secret("password")}
	}
	ha := r.sub("ha")
	s.HA = model.HA{
		Mode:                model.HAMode(ha.str("mode")),
		HeartbeatDelay:      ha.intp("heartbeat-delay"),
		MaxResponseDelay:    ha.intp("max-response-delay"),
		MaxAckDelay:         ha.intp("max-ack-delay"),
		MaxUnackedClients:   ha.intp("max-unacked-clients"),
		SyncTimeout:         ha.intp("sync-timeout"),
		SyncPageLimit:       ha.intp("sync-page-limit"),
		DelayedUpdatesLimit: ha.intp("delayed-updates-limit"),
		SyncLeases:          ha.boolp("sync-leases"),
		AutoFailover:        ha.boolp("auto-failover"),
		RestrictCommands:    ha.boolp("restrict-commands"),
		Pos:                 r.keyPos("ha"),
	}
	if s.HA.Mode == "" {
		s.HA.Mode = model.HANone
	}
	if mt := ha.sub("multi-threading"); mt.m != nil {
		s.HA.MTEnable = mt.boolp("enable")
		s.HA.DedicatedListener = mt.boolp("dedicated-listener")
		s.HA.ListenerThreads = mt.intp("listener-threads")
		s.HA.ClientThreads = mt.intp("client-threads")
	}
	if mt := r.sub("multi-threading"); mt.m != nil {
		m := &model.MultiThreading{Enable: true}
		if b := mt.boolp("enable"); b != nil {
			m.Enable = *b
		}
		if i := mt.intp("thread-pool-size"); i != nil {
			m.ThreadPoolSize = int(i.Value)
		}
		if i := mt.intp("packet-queue-size"); i != nil {
			m.PacketQueueSize = int(i.Value)
		}
		s.MultiThreading = m
	}
	if nodes := r.get("nodes"); nodes != nil && nodes.Kind == yaml.SequenceNode {
		for _, n := range nodes.Content {
			if l.bad[n] || n.Kind != yaml.MappingNode {
				continue
			}
			s.Nodes = append(s.Nodes, l.node(rec{file: file, m: n}))
		}
	}
	db := r.sub("lease-database")
	s.LeaseDB = model.LeaseDB{Type: "memfile", Pos: r.keyPos("lease-database")}
	if db.m != nil {
		s.LeaseDB.Type = db.str("type")
		s.LeaseDB.Persist = db.boolp("persist")
		s.LeaseDB.LFCInterval = db.intp("lfc-interval")
		s.LeaseDB.Name = db.str("name")
		s.LeaseDB.Host = db.str("host")
		s.LeaseDB.User = db.str("user")
		s.LeaseDB.Password = db.secret("password")
		s.LeaseDB.Raw = l.raw(db)
		if p := db.intp("port"); p != nil {
			s.LeaseDB.Port = int(p.Value)
		}
	}
	l.server(r, s)
	s.DDNS = l.ddns(r)
	d := r.sub("defaults")
	if d.m != nil {
		s.Defaults = model.Defaults{Lifetimes: d.lifetimes(), Options: l.options(d)}
		s.Settings = l.settings(d, model.ScopeGlobal)
	}
	s.Raw = l.raw(r)
	s.OptionDefs = l.optionDefs(r)
	if cl := r.get("client-classes"); cl != nil && cl.Kind == yaml.SequenceNode {
		for _, c := range cl.Content {
			if l.bad[c] || c.Kind != yaml.MappingNode {
				continue
			}
			cr := rec{file: file, m: c}
			cc := &model.ClientClass{Name: cr.str("name"), Test: cr.str("test"), Comment: cr.str("comment"), Options: l.options(cr), Pos: cr.pos(c),
				Lifetimes: cr.lifetimes(), Settings: l.settings(cr, model.ScopeClass), Raw: l.raw(cr)}
			if t := cr.get("test"); t != nil {
				cc.TestPos = cr.pos(t)
				if t.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
					cc.TestPos.Col++ // the expression starts after the quote
				}
			}
			if b := cr.boolp("only-if-required"); b != nil {
				cc.OnlyIfRequired = *b
			}
			s.Classes = append(s.Classes, cc)
		}
	}
	return s
}

func (l *loader) node(r rec) *model.Node {
	n := &model.Node{
		Name:          r.str("name"),
		Role:          model.Role(r.str("role")),
		Interfaces:    r.strs("interfaces"),
		Hooks:         r.strs("hooks"),
		HooksPos:      r.keyPos("hooks"),
		Pos:           r.pos(r.m),
		ControlURLPos: r.keyPos("control-url"),
		HAURLPos:      r.keyPos("ha-url"),
		RolePos:       r.keyPos("role"),
	}
	for _, u := range []struct {
		key string
		dst **url.URL
	}{{"control-url", &n.ControlURL}, {"ha-url", &n.HAURL}} {
		s := r.str(u.key)
		if s == "" {
			continue
		}
		parsed, err := url.Parse(s)
		if err != nil || parsed.Host == "" {
			l.add(model.Errorf(r.keyPos(u.key), "node", "%s %q is not a URL like http://10.0.0.1:8000/", u.key, s))
			continue
		}
		if parsed.User != nil {
			l.add(model.Errorf(r.keyPos(u.key), "secret", "%s must not carry credentials: use control-auth with a secret reference", u.key))
			parsed.User = nil
		}
		*u.dst = parsed
	}
	if t := r.sub("tls"); t.m != nil {
		n.TLS = &model.TLS{CertFile: t.str("cert-file"), KeyFile: t.str("key-file"), TrustAnchor: t.str("trust-anchor")}
		if b := t.boolp("cert-required"); b != nil {
			n.TLS.CertRequired = *b
		}
	}
	p := r.sub("paths")
	n.Paths = model.NodePaths{ControlSocket: p.str("control-socket"), LeaseFile: p.str("lease-file"), LogFile: p.str("log-file"), HooksDir: p.str("hooks-dir"),
		D2ControlSocket: p.str("ddns-control-socket"), D2LogFile: p.str("ddns-log-file")}
	if p.m != nil {
		n.Paths.ControlSocketPos, n.Paths.LeaseFilePos, n.Paths.LogFilePos = p.keyPos("control-socket"), p.keyPos("lease-file"), p.keyPos("log-file")
	}
	e := r.sub("kea-env")
	n.KeaDirs = model.KeaDirs{ControlSocket: e.str("KEA_CONTROL_SOCKET_DIR"), Data: e.str("KEA_DHCP_DATA_DIR"), Log: e.str("KEA_LOG_FILE_DIR")}
	return n
}

func (l *loader) subnets(r rec) []*model.Subnet {
	list := r.get("subnets")
	if list == nil || list.Kind != yaml.SequenceNode {
		l.dropped.AnySubnet = true // the schema has said why
		return nil
	}
	out := make([]*model.Subnet, 0, len(list.Content))
	for _, m := range list.Content {
		if m.Kind != yaml.MappingNode {
			// Nothing says what it was meant to hold: any subnet may be
			// the one missing.
			l.dropped.AnySubnet = true
			continue
		}
		sr := rec{file: r.file, m: m}
		if !l.bad[m] {
			if s := l.subnet(sr); s != nil {
				out = append(out, s)
				continue
			}
		}
		// Left out for its own errors: remember what it would have held.
		p, _ := netip.ParsePrefix(sr.str("prefix"))
		l.dropped.Subnets = append(l.dropped.Subnets, model.DroppedSubnet{Name: sr.str("name"), Prefix: p})
	}
	return out
}

func (l *loader) subnet(r rec) *model.Subnet {
	p, err := netip.ParsePrefix(r.str("prefix"))
	if err != nil {
		l.add(model.Errorf(r.keyPos("prefix"), "subnet", "prefix %q: %v", r.str("prefix"), err))
		return nil
	}
	s := &model.Subnet{
		Name:          r.str("name"),
		Prefix:        p,
		Interface:     r.str("interface"),
		ClientClasses: classList(r),
		Comment:       r.str("comment"),
		Lifetimes:     r.lifetimes(),
		Options:       l.options(r),
		Network:       r.str("shared-network"),
		NetworkPos:    r.keyPos("shared-network"),
		Settings:      l.settings(r, model.ScopeSubnet),
		Raw:           l.raw(r),
		Pos:           r.pos(r.m),
		PrefixPos:     r.pos(r.get("prefix")),
		IDPos:         r.pos(r.get("id")),
	}
	if v := r.intp("vlan"); v != nil {
		s.VLAN = int(v.Value)
	}
	if id := r.intp("id"); id != nil {
		s.ID, s.IDExplicit = uint32(id.Value), true
	} else if id, err := model.SubnetID(p); err == nil {
		s.ID = id
	} else {
		l.add(model.Errorf(r.keyPos("prefix"), "subnet-id", "%v", err))
	}
	s.Relay = relays(r)
	if pools := r.get("pools"); pools != nil && pools.Kind == yaml.SequenceNode {
		for _, pn := range pools.Content {
			if pool := l.pool(rec{file: r.file, m: pn}); pool != nil {
				s.Pools = append(s.Pools, pool)
			}
		}
	}
	return s
}

func (l *loader) pool(r rec) *model.Pool {
	text, pool := r.m.Value, &model.Pool{Pos: r.pos(r.m)}
	if r.m.Kind == yaml.MappingNode {
		text = r.str("range")
		pool.ClientClasses = classList(r)
		pool.Settings = l.settings(r, model.ScopePool)
		pool.Comment = r.str("comment")
		pool.Options = l.options(r)
		pool.Raw = l.raw(r)
		if v := r.get("range"); v != nil {
			pool.Pos = r.pos(v)
		}
	}
	if from, to, ok := strings.Cut(text, "-"); ok {
		a, errA := netip.ParseAddr(strings.TrimSpace(from))
		b, errB := netip.ParseAddr(strings.TrimSpace(to))
		if errA != nil || errB != nil || !a.Is4() || !b.Is4() {
			l.add(model.Errorf(pool.Pos, "pool", "pool %q: want two IPv4 addresses, first-last", text))
			return nil
		}
		pool.From, pool.To = a, b
		return pool
	}
	p, err := netip.ParsePrefix(strings.TrimSpace(text))
	if err != nil || !p.Addr().Is4() {
		l.add(model.Errorf(pool.Pos, "pool", "pool %q: want first-last or an IPv4 prefix", text))
		return nil
	}
	if p != p.Masked() {
		l.add(model.Errorf(pool.Pos, "pool", "pool %s has host bits set: did you mean %s?", p, p.Masked()))
		return nil
	}
	rg := netipx.RangeOfPrefix(p)
	pool.From, pool.To = rg.From(), rg.To()
	return pool
}

func (l *loader) reservations(r rec) []*model.Reservation {
	list := r.get("reservations")
	if list == nil || list.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]*model.Reservation, 0, len(list.Content))
	for _, m := range list.Content {
		if l.bad[m] || m.Kind != yaml.MappingNode {
			continue
		}
		if res := l.reservation(rec{file: r.file, m: m}); res != nil {
			out = append(out, res)
		}
	}
	return out
}

func (l *loader) reservation(r rec) *model.Reservation {
	res := &model.Reservation{
		Hostname:      r.str("hostname"),
		Subnet:        r.str("subnet"),
		ClientClasses: r.strs("client-classes"),
		Comment:       r.str("comment"),
		Settings:      l.settings(r, model.ScopeReservation),
		Raw:           l.raw(r),
		Pos:           r.pos(r.m),
		IPPos:         r.pos(r.get("ip-address")),
		HostnamePos:   r.pos(r.get("hostname")),
		SubnetPos:     r.pos(r.get("subnet")),
	}
	if b := r.boolp("global"); b != nil {
		res.Global = *b
	}
	if r.get("ip-address") != nil {
		ip, err := netip.ParseAddr(r.str("ip-address"))
		if err != nil {
			l.add(model.Errorf(res.IPPos, "reservation", "ip-address: %v", err))
			return nil
		}
		res.IP = ip
	}
	if !l.identifier(r, res) {
		return nil
	}
	res.Options = l.options(r)
	return res
}
