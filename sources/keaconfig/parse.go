// Package keaconfig reads a Kea DHCPv4 configuration — a live server's
// config-get, or a kea-dhcp4.json as keaops renders it or as people write
// it, comments and all — back into the model, so that what runs and what
// is wanted are compared model to model: Kea fills in dozens of defaults,
// which a text diff would report as changes.
//
// Nothing is dropped unsaid. What the model expresses maps onto it; what
// it does not lands in the escape hatch (model.Raw) of its scope; what
// neither can carry is listed in Site.Unmodelled by JSON path. Values equal
// to Kea's defaults (the tables in defaults/, read from real Kea) or to
// what a scope inherits are not settings. Positions name the origin, e.g.
// "kea-primary (live)".
package keaconfig

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"go4.org/netipx"

	"github.com/keaops/keaops/internal/model"
)

// Parse reads a Dhcp4 configuration (the object inside "Dhcp4"). origin
// names where it came from, for positions.
func Parse(dhcp4 json.RawMessage, origin string) (*model.Site, error) {
	return parse(dhcp4, origin, nil)
}

// Import is Parse for keaops import: a secret the configuration holds
// literally becomes an environment reference, listed in the literals.
func Import(dhcp4 json.RawMessage, origin string) (*model.Site, []Literal, error) {
	var lits []Literal
	s, err := parse(dhcp4, origin, &lits)
	return s, lits, err
}

func parse(dhcp4 json.RawMessage, origin string, literals *[]Literal) (*model.Site, error) {
	r, g, err := newRead(dhcp4, origin, "Dhcp4", literals)
	if err != nil {
		return nil, err
	}
	p := r.p
	s := r.site(g)
	if len(p.errs) > 0 {
		return nil, fmt.Errorf("%s: %s", origin, strings.Join(p.errs, "; "))
	}
	return s, nil
}

// newRead decodes one daemon's configuration object (key names it, for
// messages and paths) and a reader for it; literals as in parser.
func newRead(raw json.RawMessage, origin, key string, literals *[]Literal) (*reader, *obj, error) {
	var root map[string]any
	if err := decodeClean(raw, &root); err != nil {
		return nil, nil, fmt.Errorf("decoding %s: %w", origin, err)
	}
	if root == nil {
		return nil, nil, fmt.Errorf("decoding %s: the %s configuration is not an object", origin, key)
	}
	p := &parser{literals: literals}
	return &reader{p: p, pos: model.Pos{File: origin}}, p.obj(root, key), nil
}

// reader turns the objects of one configuration into the model.
type reader struct {
	p   *parser
	pos model.Pos
	// pending subnets wait for every reservation to be read; deferred
	// runs after them (the networks' raw, which needs its subnets done).
	pending  []pendingSubnet
	deferred []func()
}

func (r *reader) site(g *obj) *model.Site {
	pos := r.pos
	s := &model.Site{Pos: pos, HA: model.HA{Mode: model.HANone}, Recorded: r.record(g)}
	s.Defaults = model.Defaults{Lifetimes: r.lifetimes(g), Options: r.options(g)}
	s.Settings = r.settings(g, model.ScopeGlobal, model.Valid(s.Defaults.Lifetimes, model.Lifetimes{}))
	s.OptionDefs = r.optionDefs(g)
	for _, c := range g.list("client-classes") {
		s.Classes = append(s.Classes, r.class(c))
	}
	self := r.node(s, g)
	r.hooks(s, self, g)
	r.multiThreading(s, g.child("multi-threading"))
	if sc := g.child("sanity-checks"); sc.has("lease-checks") {
		// keaops always renders "fix". Kea's default, "warn", is what a
		// config that never chose says (LeaseChecks tells an import);
		// anything else was a choice keaops cannot keep.
		if v := sc.str("lease-checks"); v != "fix" && v != "warn" {
			r.p.unmodelled = append(r.p.unmodelled, sc.path+".lease-checks = "+jsonText(v)+" (keaops renders fix)")
		}
	}
	// Subnets in their order: top-level subnet4 first, then each shared
	// network's (package plan relies on it).
	for _, sc := range g.list("subnet4") {
		r.subnet(s, sc, nil)
	}
	for _, nc := range g.list("shared-networks") {
		r.network(s, nc)
	}
	for _, rc := range g.list("reservations") {
		if rv := r.reservation(rc, nil); rv != nil {
			rv.Global = true
			s.Reservations = append(s.Reservations, rv)
		}
	}
	r.reservationFlags(s)
	if len(s.Nodes) == 0 {
		s.Nodes = []*model.Node{self}
	}
	if s.HA.Mode == model.HALoadBalancing {
		for _, sn := range s.Subnets {
			sn.Pools = joinSplitPools(sn.Pools)
		}
	}
	s.Raw = r.raw(g, "global")
	s.Unmodelled = r.p.unmodelled
	return s
}

// record reads keaops's own record from a scope's user-context.
func (r *reader) record(o *obj) model.Record {
	k := o.child("user-context").child("keaops")
	return model.Record{Fingerprint: k.str("fingerprint"), Render: k.str("render")}
}

// comment reads the user-context comment (and the name and vlan keaops
// writes on subnets, when asked).
func (r *reader) comment(o *obj) string { return o.child("user-context").str("comment") }

// raw is what is left of o for the escape hatch, claimed.
func (r *reader) raw(o *obj, scope string) model.Raw {
	o.claimed = true
	rest := o.rest(scope)
	if len(rest) == 0 {
		return model.Raw{}
	}
	fields, _ := r.secretsIn(rest, o.path).(map[string]any)
	return model.Raw{Fields: fields, Pos: r.pos}
}

// node reads the settings that belong to the server itself: interfaces,
// control sockets, lease file or database, log file.
func (r *reader) node(s *model.Site, g *obj) *model.Node {
	self := &model.Node{Pos: r.pos}
	self.Interfaces = g.child("interfaces-config").strs("interfaces")
	if cs := g.child("control-socket"); cs.has("socket-name") {
		cs.str("socket-type")
		self.Paths.ControlSocket = cs.str("socket-name")
	}
	for _, cs := range g.list("control-sockets") {
		switch cs.str("socket-type") {
		case "unix":
			self.Paths.ControlSocket = cs.str("socket-name")
		default:
			// kea-dhcp4's own HTTP listener: keaops renders it from the
			// node's control-url, control-auth and tls.
			for k := range cs.m {
				cs.get(k)
			}
			if port := cs.intp("socket-port"); port != nil {
				self.ControlURL = &url.URL{Scheme: cs.str("socket-type"), Host: net.JoinHostPort(cs.str("socket-address"), strconv.FormatInt(*port, 10)), Path: "/"}
			}
		}
		cs.claimed = true
	}
	r.leaseDB(s, self, g.child("lease-database"))
	if db := g.child("hosts-database"); len(db.m) > 0 {
		s.HostsDBs = append(s.HostsDBs, r.sqlDB(db))
	}
	for _, db := range g.list("hosts-databases") {
		s.HostsDBs = append(s.HostsDBs, r.sqlDB(db))
	}
	r.loggers(s, self, g)
	return self
}

func (r *reader) leaseDB(s *model.Site, self *model.Node, db *obj) {
	s.LeaseDB = model.LeaseDB{Type: db.str("type"), Persist: db.boolp("persist"), LFCInterval: r.int(db, "lfc-interval"),
		Host: db.str("host"), User: db.str("user"), Pos: r.pos}
	if port := db.intp("port"); port != nil {
		s.LeaseDB.Port = int(*port)
	}
	if db.has("password") {
		s.LeaseDB.Password = r.secret(db, "password", "KEA_LEASE_DB_PASSWORD")
	}
	if s.LeaseDB.Type == "memfile" || s.LeaseDB.Type == "" {
		self.Paths.LeaseFile = db.str("name")
	} else {
		s.LeaseDB.Name = db.str("name")
	}
	s.LeaseDB.Raw = r.raw(db, "global.lease-database")
}

// sqlDB reads a host database; what else it takes is its raw.
func (r *reader) sqlDB(o *obj) *model.LeaseDB {
	db := &model.LeaseDB{Type: o.str("type"), Name: o.str("name"), Host: o.str("host"), User: o.str("user"), Pos: r.pos}
	if port := o.intp("port"); port != nil {
		db.Port = int(*port)
	}
	if o.has("password") {
		db.Password = r.secret(o, "password", "KEA_HOSTS_DB_PASSWORD")
	}
	db.Raw = r.raw(o, "hosts-database")
	return db
}

func (r *reader) multiThreading(s *model.Site, mt *obj) {
	en := mt.boolp("enable-multi-threading")
	size, queue := mt.intp("thread-pool-size"), mt.intp("packet-queue-size")
	if en == nil && size == nil && queue == nil {
		return
	}
	m := &model.MultiThreading{}
	if en != nil {
		m.Enable = *en
	}
	if size != nil {
		m.ThreadPoolSize = int(*size)
	}
	if queue != nil {
		m.PacketQueueSize = int(*queue)
	}
	s.MultiThreading = m
}

func (r *reader) int(o *obj, k string) *model.Int {
	v := o.intp(k)
	if v == nil {
		return nil
	}
	return &model.Int{Value: *v, Pos: r.pos}
}

func (r *reader) lifetimes(o *obj) model.Lifetimes {
	return model.Lifetimes{Valid: r.int(o, "valid-lifetime"), Renew: r.int(o, "renew-timer"), Rebind: r.int(o, "rebind-timer")}
}

// haClass is the HA_ class a load-balancing half of a pool is for.
func haClass(p *model.Pool) string {
	if len(p.ClientClasses) == 1 && strings.HasPrefix(p.ClientClasses[0], "HA_") {
		return p.ClientClasses[0]
	}
	return ""
}

// ThisServer returns the name a configuration's HA section gives the server
// itself (this-server-name), or "" without HA.
func ThisServer(dhcp4 json.RawMessage) string {
	var c struct {
		Hooks []struct {
			Parameters struct {
				HA []struct {
					ThisServerName string `json:"this-server-name"`
				} `json:"high-availability"`
			} `json:"parameters"`
		} `json:"hooks-libraries"`
	}
	if json.Unmarshal(dhcp4, &c) != nil {
		return ""
	}
	for _, h := range c.Hooks {
		if len(h.Parameters.HA) > 0 {
			return h.Parameters.HA[0].ThisServerName
		}
	}
	return ""
}

// CheckIdentity refuses a kea-dhcp4 config (the Dhcp4 object) that is
// another node's: its HA this-server-name names a different server. A
// config copied between HA nodes is how a pair ends up with two servers
// that each think they are the other.
func CheckIdentity(dhcp4 json.RawMessage, node string) error {
	if self := ThisServer(dhcp4); self != "" && self != node {
		return fmt.Errorf("the config is %s's (this-server-name %q), not %s's", self, self, node)
	}
	return nil
}

// joinSplitPools undoes load-balancing's split: two adjacent pools reserved
// to different HA_ classes are one pool of the model.
func joinSplitPools(pools []*model.Pool) []*model.Pool {
	var out []*model.Pool
	for i := 0; i < len(pools); i++ {
		a := pools[i]
		if i+1 < len(pools) {
			b := pools[i+1]
			if haClass(a) != "" && haClass(b) != "" && haClass(a) != haClass(b) && a.To.Next() == b.From {
				out = append(out, &model.Pool{From: a.From, To: b.To, Comment: a.Comment, Options: a.Options, Settings: a.Settings, Raw: a.Raw, Pos: a.Pos})
				i++
				continue
			}
		}
		out = append(out, a)
	}
	return out
}

// poolRange reads "a-b", "a - b" or a prefix.
func poolRange(s string) (netip.Addr, netip.Addr, error) {
	if from, to, ok := strings.Cut(s, "-"); ok {
		a, err1 := netip.ParseAddr(strings.TrimSpace(from))
		b, err2 := netip.ParseAddr(strings.TrimSpace(to))
		if err1 != nil || err2 != nil {
			return netip.Addr{}, netip.Addr{}, fmt.Errorf("pool %q is not a range", s)
		}
		return a, b, nil
	}
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil {
		return netip.Addr{}, netip.Addr{}, fmt.Errorf("pool %q: %w", s, err)
	}
	r := netipx.RangeOfPrefix(p.Masked())
	return r.From(), r.To(), nil
}

// Unwrap returns the object inside a whole kea-dhcp4 file's "Dhcp4" key,
// as strict JSON: the file may be written in Kea's dialect (see Clean).
func Unwrap(file []byte) (json.RawMessage, error) { return UnwrapAs(file, "Dhcp4") }

// UnwrapAs returns the object inside a whole Kea file's top-level key
// (Dhcp4, DhcpDdns, Control-agent), as strict JSON.
func UnwrapAs(file []byte, key string) (json.RawMessage, error) {
	clean, err := Clean(file)
	if err != nil {
		line, col := lineCol(file, err.(*SyntaxError).Offset)
		return nil, fmt.Errorf("decoding: line %d column %d: %w", line, col, err)
	}
	var v map[string]json.RawMessage
	if err := json.Unmarshal(clean, &v); err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	if len(v[key]) == 0 {
		return nil, fmt.Errorf("no %s configuration", key)
	}
	return v[key], nil
}

// LeaseChecks is a Dhcp4 configuration's sanity-checks.lease-checks, Kea's
// default ("warn") when it sets none.
func LeaseChecks(dhcp4 json.RawMessage) string {
	var v struct {
		SanityChecks struct {
			LeaseChecks string `json:"lease-checks"`
		} `json:"sanity-checks"`
	}
	if decodeClean(dhcp4, &v) != nil || v.SanityChecks.LeaseChecks == "" {
		return "warn"
	}
	return v.SanityChecks.LeaseChecks
}
