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

// Drifted reports whether a config read back from Kea no longer means what
// keaops rendered into it: its recorded fingerprint and its content
// disagree. A config keaops never wrote records none and has not drifted.
func Drifted(live *Site) bool {
	return live.Recorded != "" && Fingerprint(live) != live.Recorded
}

// KeaDefaultValidLifetime is Kea's valid-lifetime when none is configured.
const KeaDefaultValidLifetime = 7200

// Fingerprint is a digest of what a site means to a Kea server: subnets,
// pools, reservations, options, classes, lifetimes as Kea resolves them, and
// the HA relationship — not positions, node-local settings or secrets. The
// renderer records it in every config it writes (Dhcp4 user-context
// keaops.fingerprint); a live config parsed back has the same fingerprint
// as long as nobody changed it, so a different one is drift.
func Fingerprint(s *Site) string {
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
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
	g := s.Defaults.Lifetimes
	lifetimes := func(scope string, l Lifetimes) {
		add("%s valid=%s renew=%s rebind=%s", scope, eff(l.Valid, g.Valid, KeaDefaultValidLifetime), eff(l.Renew, g.Renew, 0), eff(l.Rebind, g.Rebind, 0))
	}
	options := func(scope string, opts []*Option) {
		for _, o := range opts {
			vals := make([]string, len(o.Values))
			for i, v := range o.Values {
				vals[i] = strings.TrimSpace(v)
			}
			add("%s option %s=%s always=%v never=%v", scope, o.Name, strings.Join(vals, ","), o.AlwaysSend, o.NeverSend)
		}
	}
	lifetimes("global", Lifetimes{})
	options("global", s.Defaults.Options)
	for _, c := range s.Classes {
		add("class %s test=%q required=%v", c.Name, c.Test, c.OnlyIfRequired)
		options("class "+c.Name, c.Options)
	}
	placed := Place(s)
	for _, sn := range s.Subnets {
		p := sn.Prefix.Masked().String()
		relay := make([]string, len(sn.Relay))
		for i, r := range sn.Relay {
			relay[i] = r.String()
		}
		add("subnet %s id=%d name=%q vlan=%d comment=%q iface=%q class=%q relay=%s", p, sn.ID, sn.Name, sn.VLAN, sn.Comment, sn.Interface, sn.ClientClass, strings.Join(relay, ","))
		lifetimes("subnet "+p, sn.Lifetimes)
		options("subnet "+p, sn.Options)
		for _, pl := range sn.Pools {
			add("subnet %s pool %s-%s class=%q comment=%q", p, pl.From, pl.To, pl.ClientClass, pl.Comment)
			options("subnet "+p+" pool "+pl.From.String(), pl.Options)
		}
	}
	for i, r := range s.Reservations {
		subnet := "-"
		if placed[i] >= 0 {
			subnet = s.Subnets[placed[i]].Prefix.Masked().String()
		}
		kind, id := r.Identifier()
		key := "reservation " + subnet + " " + kind + "=" + id
		add("%s ip=%s host=%q classes=%s comment=%q", key, r.IP, r.Hostname, strings.Join(r.ClientClasses, ","), r.Comment)
		options(key, r.Options)
	}
	if s.HA.Mode != HANone && s.HA.Mode != "" {
		h := s.HA
		str := func(i *Int) string {
			if i == nil {
				return "-"
			}
			return strconv.FormatInt(i.Value, 10)
		}
		add("ha mode=%s hb=%s resp=%s ack=%s unacked=%s sync=%s", h.Mode, str(h.HeartbeatDelay), str(h.MaxResponseDelay), str(h.MaxAckDelay), str(h.MaxUnackedClients), str(h.SyncTimeout))
		for _, n := range s.Nodes {
			u := ""
			if n.HAURL != nil {
				c := *n.HAURL
				if c.Path == "" {
					c.Path = "/"
				}
				u = c.String()
			}
			add("peer %s role=%s url=%s", n.Name, n.Role, u)
		}
	}
	// Lines are sorted: list order (of subnets, options, reservations) is
	// not meaning, and a parsed-back config orders them Kea's way.
	slices.SortFunc(lines, func(a, b string) int { return cmp.Compare(a, b) })
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return "sha256:" + hex.EncodeToString(sum[:])
}
