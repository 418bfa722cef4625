package model

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Settings are Kea parameters the model carries by their Kea name, with
// no structure of their own: a flag, a number, a string or a list of
// strings, set at one scope and inherited by the scopes inside it as Kea
// inherits them. SettingDefs says which exist, where, and since when.
type Settings map[string]Setting

// Setting is one parameter's value and where it was set. Value is a bool,
// an int64, a float64, a string or a []string.
type Setting struct {
	Value any
	Pos   Pos
}

// Scope is where in a configuration a setting sits.
type Scope uint8

// The scopes of a kea-dhcp4 configuration that take settings.
const (
	ScopeGlobal Scope = 1 << iota
	ScopeNetwork
	ScopeSubnet
	ScopeClass
	ScopeReservation
	ScopePool
)

// Networks are the scopes that inherit from the global one in turn:
// global, shared network, subnet.
const Networks = ScopeGlobal | ScopeNetwork | ScopeSubnet

func (s Scope) String() string {
	var names []string
	for _, n := range []struct {
		s    Scope
		name string
	}{{ScopeGlobal, "global"}, {ScopeNetwork, "shared network"}, {ScopeSubnet, "subnet"}, {ScopeClass, "client class"}, {ScopeReservation, "reservation"}, {ScopePool, "pool"}} {
		if s&n.s != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, ", ")
}

// Kind is a setting's type.
type Kind uint8

// Setting kinds.
const (
	KindBool Kind = iota
	KindInt
	KindFloat
	KindString
	KindIPv4
	KindList
	// KindMap is an object of scalars over a default object: a scope
	// gives the keys it changes, and means the whole.
	KindMap
)

// SettingDef is one parameter keaops models as a setting.
type SettingDef struct {
	Key    string
	Kind   Kind
	Scopes Scope
	// Since and Until bound the Kea versions that know the key (Until is
	// the first version that no longer does; zero for none).
	Since, Until Version
	// Successor is the key that replaced this one from Until: Kea may
	// still take the old one, but prints the new one back.
	Successor string
	// Default is Kea's value when no scope sets it; DefaultFrom names
	// another setting of the same scope whose value is the default
	// (min-valid-lifetime is valid-lifetime unless set).
	Default     any
	DefaultFrom string
	// Doc is what the setting does, in a few words, for messages.
	Doc string
}

// Known reports whether Kea v has the key.
func (d SettingDef) Known(v Version) bool {
	return v.AtLeast(d.Since.Major, d.Since.Minor) && (d.Until == Version{} || !v.AtLeast(d.Until.Major, d.Until.Minor))
}

// The parameters keaops models as settings: every one Kea accepts at the
// scopes given, by the versions given, with Kea's defaults (as config-get
// of Kea 2.2, 2.6 and 3.0 prints them). Lifetimes valid/renew/rebind and
// options are modelled on their own (Lifetimes, Option).
var SettingDefs = []SettingDef{
	{Key: "authoritative", Kind: KindBool, Scopes: Networks, Default: false, Doc: "NAK requests for addresses not in this server's configuration"},
	{Key: "match-client-id", Kind: KindBool, Scopes: Networks, Default: true, Doc: "identify clients by client-id before MAC"},
	{Key: "echo-client-id", Kind: KindBool, Scopes: ScopeGlobal, Default: true, Doc: "send the client-id back (RFC 6842)"},
	{Key: "min-valid-lifetime", Kind: KindInt, Scopes: Networks | ScopeClass, DefaultFrom: "valid-lifetime"},
	{Key: "max-valid-lifetime", Kind: KindInt, Scopes: Networks | ScopeClass, DefaultFrom: "valid-lifetime"},
	{Key: "offer-lifetime", Kind: KindInt, Scopes: Networks | ScopeClass, Since: Version{2, 6}, Default: int64(0), Doc: "seconds an offered address is held"},
	{Key: "next-server", Kind: KindIPv4, Scopes: Networks | ScopeClass | ScopeReservation, Default: "0.0.0.0", Doc: "siaddr: the boot server"},
	{Key: "server-hostname", Kind: KindString, Scopes: Networks | ScopeClass | ScopeReservation, Default: "", Doc: "sname"},
	{Key: "boot-file-name", Kind: KindString, Scopes: Networks | ScopeClass | ScopeReservation, Default: "", Doc: "file: the boot file"},
	{Key: "reservations-global", Kind: KindBool, Scopes: Networks, Default: false},
	{Key: "reservations-in-subnet", Kind: KindBool, Scopes: Networks, Default: true},
	{Key: "reservations-out-of-pool", Kind: KindBool, Scopes: Networks, Default: false},
	{Key: "host-reservation-identifiers", Kind: KindList, Scopes: ScopeGlobal, Default: []string{"hw-address", "duid", "circuit-id", "client-id"}},
	{Key: "calculate-tee-times", Kind: KindBool, Scopes: Networks, Default: false},
	{Key: "t1-percent", Kind: KindFloat, Scopes: Networks, Default: 0.5},
	{Key: "t2-percent", Kind: KindFloat, Scopes: Networks, Default: 0.875},
	{Key: "store-extended-info", Kind: KindBool, Scopes: Networks, Default: false},
	{Key: "cache-threshold", Kind: KindFloat, Scopes: Networks, Default: 0.25},
	{Key: "cache-max-age", Kind: KindInt, Scopes: Networks},
	{Key: "allocator", Kind: KindString, Scopes: Networks, Since: Version{2, 4}, Default: "iterative"},
	{Key: "decline-probation-period", Kind: KindInt, Scopes: ScopeGlobal, Default: int64(86400)},
	{Key: "ip-reservations-unique", Kind: KindBool, Scopes: ScopeGlobal, Default: true},
	{Key: "early-global-reservations-lookup", Kind: KindBool, Scopes: ScopeGlobal, Default: false},
	{Key: "reservations-lookup-first", Kind: KindBool, Scopes: ScopeGlobal, Default: false},
	{Key: "ddns-send-updates", Kind: KindBool, Scopes: Networks, Default: true},
	{Key: "ddns-override-no-update", Kind: KindBool, Scopes: Networks, Default: false},
	{Key: "ddns-override-client-update", Kind: KindBool, Scopes: Networks, Default: false},
	{Key: "ddns-replace-client-name", Kind: KindString, Scopes: Networks, Default: "never"},
	{Key: "ddns-generated-prefix", Kind: KindString, Scopes: Networks, Default: "myhost"},
	{Key: "ddns-qualifying-suffix", Kind: KindString, Scopes: Networks, Default: ""},
	{Key: "ddns-update-on-renew", Kind: KindBool, Scopes: Networks, Default: false},
	{Key: "ddns-use-conflict-resolution", Kind: KindBool, Scopes: Networks, Until: Version{2, 6}, Default: true, Successor: "ddns-conflict-resolution-mode"},
	{Key: "ddns-conflict-resolution-mode", Kind: KindString, Scopes: Networks, Since: Version{2, 6}, Default: "check-with-dhcid"},
	{Key: "ddns-ttl-percent", Kind: KindFloat, Scopes: Networks, Since: Version{2, 6}},
	{Key: "hostname-char-set", Kind: KindString, Scopes: Networks, Default: "[^A-Za-z0-9.-]"},
	{Key: "hostname-char-replacement", Kind: KindString, Scopes: Networks, Default: ""},
	// A template class spawns one class per value of the expression
	// (SPAWN_<name>_<value>), from 2.5.
	{Key: "template-test", Kind: KindString, Scopes: ScopeClass, Since: Version{2, 6}},
	// Classes evaluated after the others, for options only (renamed in
	// 3.0, when only-if-required became only-in-additional-list).
	{Key: "require-client-classes", Kind: KindList, Scopes: Networks | ScopePool, Until: Version{3, 0}, Successor: "evaluate-additional-classes"},
	{Key: "evaluate-additional-classes", Kind: KindList, Scopes: Networks | ScopePool, Since: Version{3, 0}},
	{Key: "expired-leases-processing", Kind: KindMap, Scopes: ScopeGlobal, Default: map[string]any{
		"flush-reclaimed-timer-wait-time": int64(25), "hold-reclaimed-time": int64(3600), "max-reclaim-leases": int64(100),
		"max-reclaim-time": int64(250), "reclaim-timer-wait-time": int64(10), "unwarned-reclaim-cycles": int64(5)}},
	{Key: "dhcp-queue-control", Kind: KindMap, Scopes: ScopeGlobal, Default: map[string]any{
		"capacity": int64(64), "enable-queue": false, "queue-type": "kea-ring4"}},
	// The connection to kea-dhcp-ddns (D2), which sends the DNS updates.
	{Key: "dhcp-ddns", Kind: KindMap, Scopes: ScopeGlobal, Default: map[string]any{
		"enable-updates": false, "max-queue-size": int64(1024), "ncr-format": "JSON", "ncr-protocol": "UDP",
		"sender-ip": "0.0.0.0", "sender-port": int64(0), "server-ip": "127.0.0.1", "server-port": int64(53001)}},
}

var settingIndex = func() map[string]int {
	m := make(map[string]int, len(SettingDefs))
	for i, d := range SettingDefs {
		m[d.Key] = i
	}
	return m
}()

// SettingDefOf returns the definition of key.
func SettingDefOf(key string) (SettingDef, bool) {
	i, ok := settingIndex[key]
	if !ok {
		return SettingDef{}, false
	}
	return SettingDefs[i], true
}

// Text is a setting value as one canonical line of text (JSON), for
// digests, diffs and comparisons.
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// SettingLines returns, for every key set at any scope of chain
// (outermost first), its effective value — the innermost one — as
// canonical text, where that differs from what the scope has without the
// chain: base (values of enclosing scopes, or derived by the renderer),
// else Kea's default. valid is the scope's effective valid-lifetime, the
// default of the settings that default to it. Both sides of a diff, and
// the fingerprint, compare these: a setting that restates what Kea does
// anyway is not a change.
func SettingLines(base map[string]any, valid int64, chain ...Settings) map[string]string {
	var out map[string]string
	for _, c := range chain {
		for k := range c {
			if _, done := out[k]; done {
				continue
			}
			eff := c[k].Value
			for _, inner := range chain {
				if v, ok := inner[k]; ok {
					eff = v.Value
				}
			}
			if t := Text(eff); t != Text(baseline(k, base, valid)) {
				if out == nil {
					out = map[string]string{}
				}
				out[k] = t
			}
		}
	}
	return out
}

func baseline(key string, base map[string]any, valid int64) any {
	if v, ok := base[key]; ok {
		return v
	}
	d, _ := SettingDefOf(key)
	if d.DefaultFrom == "valid-lifetime" {
		if valid <= 0 {
			return nil
		}
		return valid
	}
	return d.Default
}

// SubnetBase is what a subnet has without settings of its own or its
// network's: the reservation flags keaops derives (see ReservationFlags)
// under the global settings.
func SubnetBase(s *Site, globals []*Reservation, sn *Subnet, res []*Reservation) map[string]any {
	base := ReservationFlags(s, globals, sn, res)
	for k, v := range s.Settings {
		base[k] = v.Value
	}
	return base
}

// ReservationFlags are the reservations-* values keaops renders on a
// subnet whose scopes set none: look up global reservations only when the
// site has some (globals, see GlobalReservations), and skip the in-pool
// check when no reservation that can apply to the subnet — its own (res)
// and the global ones — is inside one of its pools: faster, and true. A
// host database may hold any reservation, so with one the check stays.
func ReservationFlags(s *Site, globals []*Reservation, sn *Subnet, res []*Reservation) map[string]any {
	global := len(globals) > 0
	outOfPool := len(s.HostsDBs) == 0
	inPool := func(r *Reservation) {
		for _, p := range sn.Pools {
			if r.IP.IsValid() && p.Range().Contains(r.IP) {
				outOfPool = false
			}
		}
	}
	for _, r := range globals {
		inPool(r)
	}
	for _, r := range res {
		inPool(r)
	}
	return map[string]any{"reservations-global": global, "reservations-in-subnet": true, "reservations-out-of-pool": outOfPool}
}

// SortedKeys returns m's keys in order.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Value converts v — decoded JSON or YAML — to the setting's kind: bool,
// int64, float64, string or []string.
func (d SettingDef) Value(v any) (any, error) {
	bad := func() (any, error) {
		return nil, fmt.Errorf("%s: want %s, not %v", d.Key, d.Kind, v)
	}
	switch d.Kind {
	case KindBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case KindInt:
		switch x := v.(type) {
		case json.Number:
			if i, err := x.Int64(); err == nil && i >= 0 {
				return i, nil
			}
		case int:
			if x >= 0 {
				return int64(x), nil
			}
		case int64:
			if x >= 0 {
				return x, nil
			}
		}
	case KindFloat:
		switch x := v.(type) {
		case json.Number:
			if f, err := x.Float64(); err == nil {
				return f, nil
			}
		case float64:
			return x, nil
		case int:
			return float64(x), nil
		case int64:
			return float64(x), nil
		}
	case KindString:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case KindIPv4:
		if s, ok := v.(string); ok {
			if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
				return s, nil
			}
		}
	case KindMap:
		m, ok := v.(map[string]any)
		if !ok {
			return bad()
		}
		def, _ := d.Default.(map[string]any)
		out := make(map[string]any, len(def))
		for k, dv := range def {
			out[k] = dv
		}
		for _, k := range SortedKeys(m) {
			dv, known := def[k]
			if !known {
				return nil, fmt.Errorf("%s: %s is not one of its keys (%s)", d.Key, k, strings.Join(SortedKeys(def), ", "))
			}
			var want Kind
			switch dv.(type) {
			case bool:
				want = KindBool
			case int64:
				want = KindInt
			default:
				want = KindString
			}
			x, err := SettingDef{Key: d.Key + "." + k, Kind: want}.Value(m[k])
			if err != nil {
				return nil, err
			}
			out[k] = x
		}
		return out, nil
	case KindList:
		switch x := v.(type) {
		case []string:
			return slices.Clone(x), nil
		case []any:
			out := make([]string, 0, len(x))
			for _, e := range x {
				s, ok := e.(string)
				if !ok {
					return bad()
				}
				out = append(out, s)
			}
			return out, nil
		}
	}
	return bad()
}

func (k Kind) String() string {
	return [...]string{"true or false", "a whole number", "a number", "a string", "an IPv4 address", "a list of strings", "an object"}[k]
}

// GlobalReservations are the site's global reservations, for
// ReservationFlags (callers take them once, not once per subnet).
func GlobalReservations(s *Site) []*Reservation {
	var out []*Reservation
	for _, r := range s.Reservations {
		if r.Global {
			out = append(out, r)
		}
	}
	return out
}
