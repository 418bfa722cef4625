package model

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Record is what keaops writes into the user-context of each scope it
// renders — the whole config (globals) and every subnet — so that a later
// deploy, the agent or status can tell what runs from what keaops last
// applied there. Scopes are recorded separately because live commands
// (subnet4-update, reservation-*) can rewrite a subnet's user-context but
// never the global one: a change applied live refreshes its subnet's
// record and leaves the global record true.
type Record struct {
	// Fingerprint is the digest of what the scope means (see
	// Fingerprints): parsed back from a live config it is recomputed, so
	// a hand edit shows as a mismatch (drift).
	Fingerprint string
	// Render is the digest of the scope as keaops rendered it (globals
	// without subnets, a subnet without its reservations): equal on both
	// sides means config-set has nothing more to say there than live
	// commands would, even when keaops's own rendering changed.
	Render string
}

// Recorded reports whether keaops wrote the record.
func (r Record) Recorded() bool { return r.Fingerprint != "" }

// KeaDefaultValidLifetime is Kea's valid-lifetime when none is configured.
const KeaDefaultValidLifetime = 7200

// Fingerprints are the digests of what a site means to a Kea server, per
// scope: the global one covers global lifetimes and options, classes, the
// HA relationship and which subnets exist (prefix and id); each subnet's
// covers its own settings, pools, options and reservations. Positions,
// node-local settings and secrets are not meaning. subnets is aligned
// with s.Subnets.
func Fingerprints(s *Site) (global string, subnets []string) {
	var f fingerprinter
	f.g = s.Defaults.Lifetimes
	f.lifetimes("global", Lifetimes{})
	f.options("global", s.Defaults.Options)
	for _, c := range s.Classes {
		f.add("class %s test=%q required=%v", c.Name, c.Test, c.OnlyIfRequired)
		f.options("class "+c.Name, c.Options)
		f.extras("class "+c.Name, c.Lifetimes, nil, 0, []Settings{c.Settings}, c.Raw)
	}
	for _, sn := range s.Subnets {
		f.add("subnet %s id=%d", sn.Prefix.Masked(), sn.ID)
	}
	f.ha(s)
	// What later keaops versions model adds lines only where a site uses
	// it: a record written by an earlier keaops still matches.
	f.extras("global", Lifetimes{}, nil, Valid(s.Defaults.Lifetimes, Lifetimes{}), []Settings{s.Settings}, s.Raw)
	globalBase := map[string]any{}
	for k, v := range s.Settings {
		globalBase[k] = v.Value
	}
	for _, n := range s.Networks {
		relay := make([]string, len(n.Relay))
		for i, r := range n.Relay {
			relay[i] = r.String()
		}
		scope := "network " + n.Name
		f.add("%s iface=%q class=%q comment=%q relay=%s", scope, n.Interface, strings.Join(n.ClientClasses, ","), n.Comment, strings.Join(relay, ","))
		f.lifetimes(scope, n.Lifetimes)
		f.options(scope, n.Options)
		f.extras(scope, Lifetimes{}, globalBase, Valid(n.Lifetimes, s.Defaults.Lifetimes), []Settings{n.Settings}, n.Raw)
	}
	for _, r := range s.Reservations {
		if r.Global {
			f.reservation(&Subnet{}, r)
		}
	}
	for _, d := range s.OptionDefs {
		f.add("option-def %s/%d name=%s type=%s records=%q array=%v encapsulate=%q", d.Space, d.Code, d.Name, d.Type, d.RecordTypes, d.Array, d.Encapsulate)
	}
	loggers, hooks, hostsDBs := ServerText(s)
	for _, l := range []struct{ what, text string }{{"loggers", loggers}, {"hooks", hooks}, {"hosts-databases", hostsDBs}} {
		if l.text != "" {
			f.add("%s %s", l.what, l.text)
		}
	}
	global = f.sum()

	placed := Place(s)
	globals := GlobalReservations(s)
	subnets = make([]string, len(s.Subnets))
	for j, sn := range s.Subnets {
		sf := fingerprinter{g: s.Inherited(sn)}
		sf.subnet(sn)
		var res []*Reservation
		for i, r := range s.Reservations {
			if placed[i] == j {
				sf.reservation(sn, r)
				res = append(res, r)
			}
		}
		var chain []Settings
		if n := s.Network(sn.Network); n != nil {
			chain = append(chain, n.Settings)
			sf.add("subnet %s network=%q", sn.Prefix.Masked(), sn.Network)
		}
		sf.extras("subnet "+sn.Prefix.Masked().String(), Lifetimes{}, SubnetBase(s, globals, sn, res), Valid(sn.Lifetimes, s.Inherited(sn)), append(chain, sn.Settings), sn.Raw)
		subnets[j] = sf.sum()
	}
	return global, subnets
}

// Drift lists the scopes of a config read back from Kea that no longer
// mean what keaops recorded in them, for a person to read. A config
// keaops never wrote records nothing and has no drift; one whose global
// record predates per-scope records (no Render) is not checked.
func Drift(live *Site) []string {
	if !live.Recorded.Recorded() || live.Recorded.Render == "" {
		return nil
	}
	global, subnets := Fingerprints(live)
	var out []string
	if global != live.Recorded.Fingerprint {
		out = append(out, "global settings, classes, HA or the set of subnets")
	}
	for i, sn := range live.Subnets {
		switch rec := sn.Recorded.Fingerprint; {
		case rec == "":
			out = append(out, fmt.Sprintf("subnet %s (id %d), which keaops did not add", sn.Prefix.Masked(), sn.ID))
		case rec != subnets[i]:
			out = append(out, fmt.Sprintf("subnet %s (id %d): its settings, pools or reservations", sn.Prefix.Masked(), sn.ID))
		}
	}
	return out
}

// Drifted reports whether Drift finds anything.
func Drifted(live *Site) bool { return len(Drift(live)) > 0 }

type fingerprinter struct {
	lines []string
	g     Lifetimes
}

func (f *fingerprinter) add(format string, args ...any) {
	f.lines = append(f.lines, fmt.Sprintf(format, args...))
}

func (f *fingerprinter) lifetimes(scope string, l Lifetimes) {
	eff := func(own, global *Int, def int64) string {
		switch {
		case own != nil:
			return strconv.FormatInt(own.Value, 10)
		case global != nil:
			return strconv.FormatInt(global.Value, 10)
		case def > 0:
			return strconv.FormatInt(def, 10)
		}
		return ""
	}
	f.add("%s valid=%s renew=%s rebind=%s", scope, eff(l.Valid, f.g.Valid, KeaDefaultValidLifetime), eff(l.Renew, f.g.Renew, 0), eff(l.Rebind, f.g.Rebind, 0))
}

func (f *fingerprinter) options(scope string, opts []*Option) {
	for _, o := range opts {
		vals := make([]string, len(o.Values))
		for i, v := range o.Values {
			vals[i] = strings.TrimSpace(v)
		}
		name := o.Key()
		f.add("%s option %s=%s always=%v never=%v", scope, name, strings.Join(vals, ","), o.AlwaysSend, o.NeverSend)
	}
}

func (f *fingerprinter) subnet(sn *Subnet) {
	p := sn.Prefix.Masked().String()
	relay := make([]string, len(sn.Relay))
	for i, r := range sn.Relay {
		relay[i] = r.String()
	}
	f.add("subnet %s id=%d name=%q vlan=%d comment=%q iface=%q class=%q relay=%s", p, sn.ID, sn.Name, sn.VLAN, sn.Comment, sn.Interface, strings.Join(sn.ClientClasses, ","), strings.Join(relay, ","))
	f.lifetimes("subnet "+p, sn.Lifetimes)
	f.options("subnet "+p, sn.Options)
	for _, pl := range sn.Pools {
		f.add("subnet %s pool %s-%s class=%q comment=%q", p, pl.From, pl.To, strings.Join(pl.ClientClasses, ","), pl.Comment)
		f.options("subnet "+p+" pool "+pl.From.String(), pl.Options)
		f.extras("subnet "+p+" pool "+pl.From.String(), Lifetimes{}, nil, 0, []Settings{pl.Settings}, pl.Raw)
	}
}

func (f *fingerprinter) reservation(sn *Subnet, r *Reservation) {
	key := "reservation " + reservationKey(sn, r)
	f.add("%s ip=%s host=%q classes=%s comment=%q", key, r.IP, r.Hostname, strings.Join(r.ClientClasses, ","), r.Comment)
	f.options(key, r.Options)
	f.extras(key, Lifetimes{}, nil, 0, []Settings{r.Settings}, r.Raw)
}

// extras adds the lines of what the model grew after the first records
// were written — class lifetimes, settings, raw Kea JSON — and none for a
// scope that uses none of it.
func (f *fingerprinter) extras(scope string, l Lifetimes, base map[string]any, valid int64, chain []Settings, raw Raw) {
	if l.Valid != nil || l.Renew != nil || l.Rebind != nil {
		f.add("%s lifetimes valid=%s renew=%s rebind=%s", scope, intText(l.Valid), intText(l.Renew), intText(l.Rebind))
	}
	lines := SettingLines(base, valid, chain...)
	for _, k := range SortedKeys(lines) {
		f.add("%s setting %s=%s", scope, k, lines[k])
	}
	if !raw.Empty() {
		f.add("%s kea=%s", scope, raw.Text())
	}
}

func intText(i *Int) string {
	if i == nil {
		return "-"
	}
	return strconv.FormatInt(i.Value, 10)
}

func (f *fingerprinter) ha(s *Site) {
	if s.HA.Mode == HANone || s.HA.Mode == "" {
		return
	}
	h := s.HA
	str := func(i *Int) string {
		if i == nil {
			return "-"
		}
		return strconv.FormatInt(i.Value, 10)
	}
	f.add("ha mode=%s hb=%s resp=%s ack=%s unacked=%s sync=%s", h.Mode, str(h.HeartbeatDelay), str(h.MaxResponseDelay), str(h.MaxAckDelay), str(h.MaxUnackedClients), str(h.SyncTimeout))
	for _, n := range s.Nodes {
		u := ""
		if n.HAURL != nil {
			c := *n.HAURL
			if c.Path == "" {
				c.Path = "/"
			}
			u = c.String()
		}
		f.add("peer %s role=%s url=%s", n.Name, n.Role, u)
	}
}

// sum digests the lines sorted: list order (of subnets, options,
// reservations) is not meaning, and a parsed-back config orders them
// Kea's way.
func (f *fingerprinter) sum() string {
	slices.SortFunc(f.lines, func(a, b string) int { return cmp.Compare(a, b) })
	sum := sha256.Sum256([]byte(strings.Join(f.lines, "\n")))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// reservationKey is a reservation's identity inside its subnet, as Kea
// keys hosts: the subnet, the identifier type and its value.
func reservationKey(sn *Subnet, r *Reservation) string {
	kind, id := r.Identifier()
	return sn.Prefix.Masked().String() + " " + kind + "=" + id
}

// ReservationMeaning is the text the fingerprint of r's subnet holds for
// r: two reservations with the same key and meaning are one change-free
// host to Kea.
func ReservationMeaning(sn *Subnet, r *Reservation) string {
	var f fingerprinter
	f.reservation(sn, r)
	slices.Sort(f.lines)
	return strings.Join(f.lines, "\n")
}
