package keaconfig

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// D2 is a kea-dhcp-ddns configuration read back: the site's DDNS, and
// what is the node's own (its control socket and log file).
type D2 struct {
	DDNS                   *model.DDNS
	ControlSocket, LogFile string
	// Unmodelled is what neither the model nor the escape hatch carries.
	Unmodelled []string
}

// ParseD2 reads a DhcpDdns configuration (the object inside "DhcpDdns"),
// as config-get prints it or as a file holds it. What the model does not
// express goes to DDNS.Raw.
func ParseD2(d2 json.RawMessage, origin string) (*D2, error) { return parseD2(d2, origin, nil) }

// ImportD2 is ParseD2 for keaops import (see Import).
func ImportD2(d2 json.RawMessage, origin string) (*D2, []Literal, error) {
	var lits []Literal
	d, err := parseD2(d2, origin, &lits)
	return d, lits, err
}

func parseD2(d2 json.RawMessage, origin string, literals *[]Literal) (*D2, error) {
	r, g, err := newRead(d2, origin, "DhcpDdns", literals)
	if err != nil {
		return nil, err
	}
	p := r.p
	out := &D2{DDNS: &model.DDNS{Pos: r.pos}}
	d := out.DDNS
	if ip := g.str("ip-address"); ip != "" {
		if a, err := netip.ParseAddr(ip); err == nil && !isDefault("d2", "ip-address", ip) {
			d.IP = a
		}
	}
	if port := g.intp("port"); port != nil && *port != 53001 { // Kea's default: the model's zero
		d.Port = int(*port)
	}
	if cs := g.child("control-socket"); cs.has("socket-name") {
		cs.str("socket-type")
		out.ControlSocket = cs.str("socket-name")
	}
	for _, cs := range g.list("control-sockets") {
		if cs.str("socket-type") == "unix" {
			out.ControlSocket = cs.str("socket-name")
		}
		cs.claimed = true
	}
	for _, k := range g.list("tsig-keys") {
		k.claimed = true
		key := &model.TSIGKey{Name: k.str("name"), Algorithm: strings.ToUpper(k.str("algorithm")), Pos: r.pos}
		if bits := k.intp("digest-bits"); bits != nil {
			key.DigestBits = int(*bits)
		}
		key.Secret = r.secret(k, "secret", "DDNS_KEY_"+envWord(key.Name))
		d.Keys = append(d.Keys, key)
		k.report("d2-key")
	}
	d.Forward = r.d2Domains(g.child("forward-ddns"))
	d.Reverse = r.d2Domains(g.child("reverse-ddns"))
	// kea-dhcp-ddns's own logger as keaops renders it is the node's log
	// file; any other loggers stay in the escape hatch.
	if list := g.list("loggers"); len(list) == 1 {
		if file, ok := d2Logger(list[0]); ok {
			for k := range list[0].m {
				list[0].get(k)
			}
			out.LogFile = file
			list[0].claimed = true
		}
	}
	d.Raw = r.raw(g, "d2")
	out.Unmodelled = p.unmodelled
	if len(p.errs) > 0 {
		return nil, fmt.Errorf("%s: %s", origin, strings.Join(p.errs, "; "))
	}
	return out, nil
}

func (r *reader) d2Domains(side *obj) []*model.DNSDomain {
	var out []*model.DNSDomain
	for _, dc := range side.list("ddns-domains") {
		dc.claimed = true
		dom := &model.DNSDomain{Name: dc.str("name"), Key: dc.str("key-name"), Pos: r.pos}
		for _, sc := range dc.list("dns-servers") {
			sc.claimed = true
			sv := model.DNSServer{Key: sc.str("key-name")}
			sv.IP, _ = netip.ParseAddr(sc.str("ip-address"))
			if port := sc.intp("port"); port != nil && *port != 53 {
				sv.Port = int(*port)
			}
			if sv.Key == dom.Key {
				sv.Key = "" // config-get repeats the domain's key on each server
			}
			dom.Servers = append(dom.Servers, sv)
			sc.report("d2-server")
		}
		out = append(out, dom)
		dc.report("d2-domain")
	}
	return out
}

// d2Logger is keaopsLogger for kea-dhcp-ddns.
func d2Logger(l *obj) (string, bool) {
	if l.m["name"] != "kea-dhcp-ddns" {
		return "", false
	}
	cp := &obj{m: map[string]any{}}
	for k, v := range l.m {
		cp.m[k] = v
	}
	cp.m["name"] = "kea-dhcp4"
	return keaopsLogger(cp)
}
