package validate

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/keaops/keaops/internal/keaexpr"
	"github.com/keaops/keaops/internal/model"
)

// checkOptions: every option at every level is a known DHCPv4 option with a
// value of its type; a subnet's routers are inside the subnet and outside
// its pools.
func checkOptions(s *model.Site, _ []int, report func(model.Finding)) {
	set := checkOptionDefs(s, report)
	s.EachOption(func(o *model.Option) { checkOption(o, set, report) })
	for _, sn := range s.Subnets {
		checkGateway(sn, report)
	}
}

func checkGateway(sn *model.Subnet, report func(model.Finding)) {
	i := slices.IndexFunc(sn.Options, func(o *model.Option) bool { return o.Name == "routers" })
	if i < 0 {
		return
	}
	o := sn.Options[i]
	network, bcast, hasNB := netBcast(sn.Prefix)
	for _, v := range o.Values {
		gw, err := parseIPv4(v)
		if err != nil {
			continue // checkOption reports it
		}
		switch {
		case !sn.Prefix.Masked().Contains(gw):
			report(model.Errorf(o.Pos, "gateway", "gateway %s is outside subnet %s (%s)", gw, sn.Name, sn.Prefix.Masked()))
		case hasNB && (gw == network || gw == bcast):
			report(model.Errorf(o.Pos, "gateway", "gateway %s is the network or broadcast address of %s", gw, sn.Prefix.Masked()))
		default:
			for _, p := range sn.Pools {
				if p.From.Compare(p.To) <= 0 && p.Range().Contains(gw) {
					report(model.Errorf(o.Pos, "gateway", "gateway %s is inside the pool %s-%s: Kea would lease the router's address to a client", gw, p.From, p.To))
				}
			}
		}
	}
}

// checkLifetimes: the effective lifetimes of every subnet (its own, else the
// defaults) must satisfy 0 < renew < rebind < valid.
func checkLifetimes(s *model.Site, _ []int, report func(model.Finding)) {
	d := s.Defaults.Lifetimes
	// later picks the value to blame: a subnet's own value over the
	// default it collides with, else the one written further down.
	later := func(a, b *model.Int) *model.Int {
		aDef := a == d.Valid || a == d.Renew || a == d.Rebind
		bDef := b == d.Valid || b == d.Renew || b == d.Rebind
		if aDef != bDef {
			if aDef {
				return b
			}
			return a
		}
		if a.Pos.Line > b.Pos.Line {
			return a
		}
		return b
	}
	check := func(lt model.Lifetimes, where string) {
		valid, renew, rebind := lt.Valid, lt.Renew, lt.Rebind
		if valid != nil && valid.Value == 0 {
			report(model.Errorf(valid.Pos, "lifetime", "valid-lifetime 0%s: every lease would expire at once", where))
		}
		if renew != nil && rebind != nil && renew.Value >= rebind.Value {
			report(model.Errorf(later(renew, rebind).Pos, "lifetime", "renew-timer %d must be less than rebind-timer %d%s", renew.Value, rebind.Value, where))
		}
		if rebind != nil && valid != nil && valid.Value > 0 && rebind.Value >= valid.Value {
			report(model.Errorf(later(rebind, valid).Pos, "lifetime", "rebind-timer %d must be less than valid-lifetime %d%s", rebind.Value, valid.Value, where))
		} else if renew != nil && valid != nil && valid.Value > 0 && renew.Value >= valid.Value {
			report(model.Errorf(later(renew, valid).Pos, "lifetime", "renew-timer %d must be less than valid-lifetime %d%s", renew.Value, valid.Value, where))
		}
	}
	check(d, "")
	for _, sn := range s.Subnets {
		own := sn.Lifetimes
		if own.Valid == nil && own.Renew == nil && own.Rebind == nil {
			continue // the defaults alone were checked above
		}
		eff := model.Lifetimes{Valid: or(own.Valid, d.Valid), Renew: or(own.Renew, d.Renew), Rebind: or(own.Rebind, d.Rebind)}
		check(eff, fmt.Sprintf(" in subnet %s", sn.Name))
	}
}

func or(a, b *model.Int) *model.Int {
	if a != nil {
		return a
	}
	return b
}

// builtinClasses are classes Kea defines itself (and HA_<server> for load
// balancing); references to them need no definition.
func builtinClass(name string) bool {
	switch name {
	case "ALL", "KNOWN", "UNKNOWN", "BOOTP", "DROP":
		return true
	}
	return strings.HasPrefix(name, "HA_") || strings.HasPrefix(name, "VENDOR_CLASS_") || strings.HasPrefix(name, "SPAWN_")
}

// checkClasses: class names are unique and every referenced class exists
// (Kea silently accepts a reference to an undefined class, and the subnet
// or pool then serves nobody).
func checkClasses(s *model.Site, _ []int, report func(model.Finding)) {
	defined := map[string]*model.ClientClass{}
	env := keaexpr.Env{
		Option: func(name string) bool { _, ok := expressionOptions[name]; return ok },
		// Kea resolves member() at parse time: only classes defined
		// before this one, and its own.
		Class: func(name string) bool { _, ok := defined[name]; return ok || builtinClass(name) },
	}
	for _, c := range s.Classes {
		if c.Test != "" {
			checkTest(c, env, report)
		}
		if prev, dup := defined[c.Name]; dup {
			report(model.Errorf(c.Pos, "client-class", "client class %q is already defined at %s", c.Name, prev.Pos))
			continue
		}
		// A VENDOR_CLASS_ class is Kea's to assign, but defining one is how
		// options reach the clients in it.
		if builtinClass(c.Name) && !strings.HasPrefix(c.Name, "VENDOR_CLASS_") {
			report(model.Errorf(c.Pos, "client-class", "client class %q is built into Kea and cannot be redefined", c.Name))
		}
		defined[c.Name] = c
	}
	ref := func(name string, pos model.Pos) {
		if name == "" || builtinClass(name) {
			return
		}
		if _, ok := defined[name]; !ok {
			report(model.Errorf(pos, "client-class", "client class %q is not defined in client-classes of the site file", name))
		}
	}
	for _, sn := range s.Subnets {
		for _, c := range sn.ClientClasses {
			ref(c, sn.Pos)
		}
		for _, p := range sn.Pools {
			for _, c := range p.ClientClasses {
				ref(c, p.Pos)
			}
		}
	}
	for _, r := range s.Reservations {
		for _, c := range r.ClientClasses {
			ref(c, r.Pos)
		}
	}
}

// checkSecrets: a secret reference names exactly one place to read it from.
func checkSecrets(s *model.Site, _ []int, report func(model.Finding)) {
	refs := []*model.SecretRef{s.LeaseDB.Password}
	if s.ControlAuth != nil {
		refs = append(refs, s.ControlAuth.Password)
		for _, n := range s.Nodes {
			if n.ControlURL != nil && n.ControlURL.Scheme == "http" && !isLoopback(n.ControlURL.Hostname()) {
				report(model.Warnf(n.ControlURLPos, "secret", "node %s: basic-auth credentials would cross the network unencrypted over http; use https", n.Name))
			}
		}
	}
	for _, r := range refs {
		if r != nil && (r.Env == "") == (r.File == "") {
			report(model.Errorf(r.Pos, "secret", "a secret reference takes exactly one of env or file"))
		}
	}
	db := s.LeaseDB
	if db.Type == "mysql" || db.Type == "postgresql" {
		for _, f := range []struct{ name, val string }{{"name", db.Name}, {"host", db.Host}, {"user", db.User}} {
			if f.val == "" {
				report(model.Errorf(db.Pos, "lease-database", "a %s lease database needs %s", db.Type, f.name))
			}
		}
	}
}

// checkTest parses a class test as kea-dhcp4 would: a mistake there is
// otherwise found by config-test on the server, or never (a class whose
// test cannot match serves nobody).
func checkTest(c *model.ClientClass, env keaexpr.Env, report func(model.Finding)) {
	err := keaexpr.Check(c.Test, env)
	var e *keaexpr.Error
	if !errors.As(err, &e) {
		return
	}
	pos := c.TestPos
	if pos.File == "" {
		pos = c.Pos
	} else if pos.Col > 0 && !strings.Contains(c.Test, "\n") {
		pos.Col += e.Offset // the character at fault, on the test's line
	}
	report(model.Errorf(pos, "class-test", "client class %s: test %q: %s", c.Name, c.Test, e.Msg))
}

// expressionOptions are the names an expression may give in option[...]:
// every standard DHCPv4 option Kea defines, including those option-data
// never sets.
var expressionOptions = func() map[string]bool {
	m := map[string]bool{}
	for name := range dhcp4Options {
		m[name] = true
	}
	for _, name := range []string{"dhcp-requested-address", "dhcp-option-overload", "dhcp-message-type",
		"dhcp-parameter-request-list", "dhcp-client-identifier", "fqdn", "dhcp-agent-options", "authenticate",
		"vendor-class-identifier", "client-last-transaction-time"} {
		m[name] = true
	}
	return m
}()
