package dhcpd

import (
	"cmp"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// Conf is what a dhcpd.conf says, in the model.
type Conf struct {
	// Site holds the subnets, pools, reservations, classes, options and
	// settings; its nodes are the importer's to make (Failover says who).
	Site     *model.Site
	Failover *Failover
	// NotConverted is what Kea cannot express, where it is.
	NotConverted []Finding
	// Wrong are mistakes in the input itself — one fixed-address in two
	// host blocks, a host outside every subnet — reported, never changed
	// to pass keaops check.
	Wrong []Finding
	// Notes are what the conversion decided (dhcpd's default lease time
	// written out, a vendor option space renamed).
	Notes []string
	// Counts of the dhcpd constructs read, for the import's summary.
	Counts map[string]int
}

// Finding is one thing said about a position of the input.
type Finding struct {
	Pos  Pos
	Text string
}

func (f Finding) String() string { return f.Pos.String() + ": " + f.Text }

// Read reads a dhcpd.conf and the files it includes into the model. dhcpd
// takes an include's relative path from the directory it runs in: dir is
// that directory ("" for the file's own). Syntax errors are errors; what
// does not convert is in Conf.
func Read(path, dir string) (*Conf, error) {
	if dir == "" {
		dir = filepath.Dir(path)
	}
	return read(path, func(p string) ([]byte, error) {
		if !filepath.IsAbs(p) && p != path {
			p = filepath.Join(dir, p)
		}
		return os.ReadFile(p)
	})
}

func read(path string, readFn func(string) ([]byte, error)) (*Conf, error) {
	stmts, err := readConf(path, readFn)
	if err != nil {
		return nil, err
	}
	c := &conv{conf: &Conf{Site: &model.Site{HA: model.HA{Mode: model.HANone}, LeaseDB: model.LeaseDB{Type: "memfile"}}, Counts: map[string]int{}},
		spaces: map[string]string{}, classIndex: map[string]*model.ClientClass{}, matchExprs: map[string]string{}}
	global := &scope{kind: "global"}
	c.block(stmts, global, nil)
	c.finish(global)
	return c.conf, nil
}

// conv is one conversion.
type conv struct {
	conf *Conf
	// spaces maps a dhcpd option space to Kea's name for it.
	spaces     map[string]string
	classIndex map[string]*model.ClientClass
	// matchExprs are the translated match expressions of the classes
	// that subclass statements fill.
	matchExprs map[string]string
	hosts      []hostDecl
	// useHostDeclNames: host names become the reservations' host names.
	useHostDeclNames bool
}

// scope is one block's parameters, as dhcpd scopes them: global, shared
// network, subnet, pool, group, host, class.
type scope struct {
	kind     string
	pos      Pos
	options  []*model.Option
	life     model.Lifetimes
	settings model.Settings
	// known restricts dynamic pools: KNOWN (deny unknown-clients) or
	// UNKNOWN (deny known-clients).
	known string
	// state is what an address scope collects; nil for the others.
	state *scopeState
}

func (c *conv) notConverted(pos Pos, format string, args ...any) {
	c.conf.NotConverted = append(c.conf.NotConverted, Finding{pos, fmt.Sprintf(format, args...)})
}

func (c *conv) wrong(pos Pos, format string, args ...any) {
	c.conf.Wrong = append(c.conf.Wrong, Finding{pos, fmt.Sprintf(format, args...)})
}

// block converts the statements of one scope. groups are the enclosing
// groups since the last Kea scope: their parameters are flattened into
// what they contain, as Kea has no groups.
func (c *conv) block(list []*stmt, sc *scope, groups []*scope) {
	for _, st := range list {
		switch {
		case st.hasBlock:
			c.blockStmt(st, sc, groups)
		case c.param(st, sc):
		default:
			c.stmtIn(st, sc)
		}
	}
}

// blockStmt converts a statement with a block.
func (c *conv) blockStmt(st *stmt, sc *scope, groups []*scope) {
	switch kw := st.keyword(); kw {
	case "subnet":
		c.conf.Counts["subnet"]++
		c.subnet(st, sc, groups)
	case "shared-network":
		c.conf.Counts["shared-network"]++
		c.network(st, sc, groups)
	case "group":
		c.conf.Counts["group"]++
		// A group's parameters go to what it holds; its subnets, pools
		// and hosts belong where the group is.
		g := &scope{kind: "group", pos: st.pos, state: sc.state}
		c.block(st.block, g, append(groups, g))
	case "host":
		c.conf.Counts["host"]++
		c.host(st, sc, groups)
	case "pool":
		if sc.state == nil || sc.state.subnet == nil && sc.state.network == nil {
			c.notConverted(st.pos, "a pool outside a subnet or shared network: not converted")
			return
		}
		c.conf.Counts["pool"]++
		c.pool(st, sc)
	case "class":
		c.conf.Counts["class"]++
		c.class(st)
	case "subclass":
		c.conf.Counts["subclass"]++
		c.subclass(st)
	case "failover":
		c.conf.Counts["failover peer"]++
		c.failover(st)
	case "on":
		c.conf.Counts["on event"]++
		c.notConverted(st.pos, "%s not converted: Kea runs no statements on lease events; its run_script hook (libdhcp_run_script.so) calls a script instead", st.text())
	case "if", "elsif", "else":
		c.conf.Counts["conditional"]++
		c.notConverted(st.pos, "%s not converted: Kea has no conditional statements; a client class with a test, and options in it, is how Kea does this", st.text())
	case "key", "zone":
		c.conf.Counts[kw]++
		c.notConverted(st.pos, "%s not converted: DNS updates are kea-dhcp-ddns's (the ddns: section of keaops.yaml, with its keys as secret references)", st.text())
	default:
		c.notConverted(st.pos, "%s not converted: keaops does not know this block", st.text())
	}
}

// stmtIn converts a statement that is not a parameter: what only some
// scopes have (range, hardware, fixed-address, match, allow …).
func (c *conv) stmtIn(st *stmt, sc *scope) {
	switch kw := st.keyword(); {
	case kw == "allow" || kw == "deny" || kw == "ignore":
		c.access(st, sc)
	case kw == "range" && (sc.kind == "subnet" || sc.kind == "pool"):
		c.rangeStmt(st, sc)
	case kw == "subclass" && (sc.kind == "global" || sc.kind == "group"):
		c.conf.Counts["subclass"]++
		c.subclass(st)
	case kw == "failover" && sc.kind == "pool":
		// the pool is served by the pair: Kea's HA does this for every pool
	default:
		c.notConverted(st.pos, "%s not converted: Kea has no equivalent in a %s", st.text(), sc.kind)
	}
}

// access converts allow / deny / ignore.
func (c *conv) access(st *stmt, sc *scope) {
	what := strings.ToLower(strings.Join(wordsText(st.words[1:]), " "))
	kw := st.keyword()
	switch {
	case (kw == "deny" || kw == "ignore") && (what == "bootp" || what == "dynamic bootp clients"):
		// Kea answers BOOTP only with its bootp hook: denied already.
	case kw == "allow" && (what == "unknown-clients" || what == "unknown clients" || what == "booting" || what == "all clients"):
		// dhcpd's default
	case (kw == "deny" || kw == "ignore") && (what == "unknown-clients" || what == "unknown clients"), kw == "allow" && (what == "known-clients" || what == "known clients"):
		sc.known = "KNOWN"
	case kw == "deny" && (what == "known-clients" || what == "known clients"), kw == "allow" && what == "unknown clients":
		sc.known = "UNKNOWN"
	case sc.kind == "pool" && kw == "allow" && strings.HasPrefix(what, "members of ") && len(st.words) == 4:
		sc.state.classes = append(sc.state.classes, st.words[3].text)
	default:
		c.notConverted(st.pos, "%s not converted: Kea has no such access rule here (a pool takes client classes, KNOWN and UNKNOWN among them)", st.text())
	}
}

func wordsText(ws []token) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.text
	}
	return out
}

// finish writes the global scope into the site and places the hosts.
func (c *conv) finish(global *scope) {
	s := c.conf.Site
	if global.life.Valid == nil {
		// dhcpd's own default: what the clients got until now.
		global.life.Valid = &model.Int{Value: 43200}
		c.conf.Notes = append(c.conf.Notes, "default-lease-time is not set: dhcpd's default, 43200 s, is written out as valid-lifetime (Kea's would be 7200)")
	}
	if _, ok := global.settings["max-valid-lifetime"]; !ok {
		c.setting(global, "max-valid-lifetime", int64(86400), global.pos)
	}
	s.Defaults = model.Defaults{Lifetimes: global.life, Options: global.options}
	s.Settings = global.settings
	if global.known != "" {
		for _, sn := range s.Subnets {
			restrictPools(sn, global.known)
		}
	}
	c.nameSubnets()
	c.placeHosts()
	c.checkClassPrecedence()
	for _, list := range [][]Finding{c.conf.NotConverted, c.conf.Wrong} {
		slices.SortStableFunc(list, func(a, b Finding) int {
			return cmp.Or(strings.Compare(a.Pos.File, b.Pos.File), cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
		})
	}
}

// restrictPools gives the pools of a subnet that have no class the class
// a deny unknown-clients (KNOWN) or deny known-clients (UNKNOWN) means.
func restrictPools(sn *model.Subnet, class string) {
	for _, p := range sn.Pools {
		if len(p.ClientClasses) == 0 {
			p.ClientClasses = []string{class}
		}
	}
}

var vlanRE = regexp.MustCompile(`(?i)\bvlan[ -]?(\d{1,4})\b`)

// nameFrom makes a subnet or network name of a comment: its first words,
// as a person would name it ("VLAN 30: IoT devices" → vlan-30-iot-devices).
func nameFrom(comment string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(comment) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		default:
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	return strings.Trim(b.String(), "-")
}

// addr parses an IPv4 address word.
func addr(w token) (netip.Addr, bool) {
	a, err := netip.ParseAddr(w.text)
	return a, err == nil && a.Is4()
}

// number parses a non-negative integer word.
func number(w token) (int64, bool) {
	n, err := strconv.ParseInt(w.text, 10, 64)
	return n, err == nil && n >= 0
}
