package dhcpd

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// keaNames are the DHCPv4 options dhcpd names otherwise than Kea.
var keaNames = map[string]string{
	"bootfile-name":                   "boot-file-name",
	"nisplus-domain":                  "nisplus-domain-name",
	"pxe-system-type":                 "client-system",
	"pxe-interface-id":                "client-ndi",
	"pxe-client-id":                   "uuid-guid",
	"rfc3442-classless-static-routes": "classless-static-route",
}

// timerOptions are options Kea computes from its own settings.
var timerOptions = map[string]string{
	"dhcp-lease-time":     "valid-lifetime",
	"dhcp-renewal-time":   "renew-timer",
	"dhcp-rebinding-time": "rebind-timer",
}

// option converts an option statement: a space, a definition, or a value.
func (c *conv) option(st *stmt, sc *scope) {
	args := st.words[1:]
	switch {
	case len(args) >= 2 && strings.EqualFold(args[0].text, "space"):
		c.spaces[args[1].text] = args[1].text
		if len(args) > 2 {
			c.conf.Notes = append(c.conf.Notes, st.pos.String()+": option space "+args[1].text+": its code and length widths are dhcpd's; Kea's spaces take one-byte codes and lengths")
		}
		return
	case len(args) >= 4 && strings.EqualFold(args[1].text, "code"):
		c.optionDef(st)
		return
	case len(args) == 0:
		c.wrong(st.pos, "option without a name")
		return
	}
	name, space := args[0].text, ""
	if sp, n, ok := strings.Cut(name, "."); ok {
		if sp == "agent" || sp == "fqdn" || sp == "server" {
			c.notConverted(st.pos, "%s not converted: the %s options are dhcpd's own; Kea sets them from its settings", st.text(), sp)
			return
		}
		space, name = c.spaceName(sp), n
	}
	if k, ok := keaNames[name]; ok && space == "" {
		name = k
	}
	if setting, ok := timerOptions[args[0].text]; ok {
		n, isNum := int64(0), len(args) == 2
		if isNum {
			n, isNum = number(args[1])
		}
		if !isNum || sc.kind == "pool" || sc.kind == "host" {
			c.notConverted(st.pos, "%s not converted: Kea sends it from its %s setting, which this scope does not take", st.text(), setting)
			return
		}
		lt := &model.Int{Value: n, Pos: st.pos}
		switch setting {
		case "valid-lifetime":
			sc.life.Valid = lt
		case "renew-timer":
			sc.life.Renew = lt
		default:
			sc.life.Rebind = lt
		}
		return
	}
	o := &model.Option{Name: name, Space: space, Pos: st.pos}
	values, binary, ok := c.optionValues(st, args[1:])
	if !ok {
		return
	}
	o.Values = values
	if binary {
		f := false
		o.CSVFormat = &f
	}
	if name == "vendor-encapsulated-options" && len(values) == 0 {
		o.Values = nil
	}
	sc.setOption(o)
}

// optionValues reads an option's value: comma-separated fields, each a
// word or a quoted string. A value written as hex bytes (01:02:0a) is
// binary, csv-format false in Kea.
func (c *conv) optionValues(st *stmt, ws []token) (values []string, binary, ok bool) {
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			values = append(values, strings.Join(cur, " "))
		}
		cur = nil
	}
	for _, w := range ws {
		switch {
		case w.kind == tPunct && w.text == ",":
			flush()
		case w.kind == tPunct:
			c.notConverted(st.pos, "%s not converted: an expression as an option's value (Kea takes data only)", st.text())
			return nil, false, false
		case w.kind == tString:
			cur = append(cur, strings.ReplaceAll(w.text, ",", `\,`))
		case isHexBytes(w.text) && len(ws) == 1:
			return []string{strings.ReplaceAll(w.text, ":", "")}, true, true
		default:
			v := w.text
			switch strings.ToLower(v) {
			case "on", "true":
				v = "true"
			case "off", "false":
				v = "false"
			}
			if looksLikeHost(v) {
				c.notConverted(w.pos, "%s not converted: %q is a host name, which dhcpd resolves when it starts; Kea takes addresses, and keaops never resolves names", st.text(), v)
				return nil, false, false
			}
			cur = append(cur, v)
		}
	}
	flush()
	return values, false, true
}

// isHexBytes: 01:02:0a, as dhcpd writes binary data (at least two bytes,
// so a lone number stays a number).
func isHexBytes(s string) bool {
	parts := strings.Split(s, ":")
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if len(p) == 0 || len(p) > 2 {
			return false
		}
		for i := 0; i < len(p); i++ {
			if !isHexDigit(p[i]) {
				return false
			}
		}
	}
	return true
}

// looksLikeHost: a dotted name with a letter label where an address would
// be (ntp.example.org), not a number or an address.
func looksLikeHost(v string) bool {
	if _, err := netip.ParseAddr(v); err == nil || !strings.Contains(v, ".") {
		return false
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return false
	}
	for _, r := range v {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return true
		}
	}
	return false
}

// setOption sets o in the scope, replacing an earlier value of the same
// option (dhcpd: the last one wins).
func (sc *scope) setOption(o *model.Option) {
	for i, e := range sc.options {
		if e.Key() == o.Key() {
			sc.options[i] = o
			return
		}
	}
	sc.options = append(sc.options, o)
}

// spaceName is Kea's name for a dhcpd option space.
func (c *conv) spaceName(sp string) string {
	if k, ok := c.spaces[sp]; ok {
		return k
	}
	return sp
}

// defTypes maps dhcpd's option types to Kea's.
var defTypes = map[string]string{
	"text": "string", "string": "binary", "ip-address": "ipv4-address", "ip6-address": "ipv6-address", "boolean": "boolean",
	"domain-name": "fqdn", "domain-list": "fqdn", "zerolen": "empty",
	"unsigned integer 8": "uint8", "unsigned integer 16": "uint16", "unsigned integer 32": "uint32",
	"signed integer 8": "int8", "signed integer 16": "int16", "signed integer 32": "int32",
	"integer 8": "int8", "integer 16": "int16", "integer 32": "int32",
}

// optionDef converts option NAME code N = TYPE.
func (c *conv) optionDef(st *stmt) {
	args := st.words[1:]
	name, space := args[0].text, ""
	if sp, n, ok := strings.Cut(name, "."); ok {
		space, name = c.spaceName(sp), n
	}
	code, ok := number(args[2])
	if !ok || code < 1 || code > 254 || args[3].text != "=" {
		c.wrong(st.pos, "%s: want option NAME code 1-254 = TYPE", st.text())
		return
	}
	typ := strings.ToLower(strings.Join(wordsText(args[4:]), " "))
	d := &model.OptionDef{Name: name, Code: int(code), Space: space, Pos: st.pos}
	if rest, ok := strings.CutPrefix(typ, "array of "); ok {
		d.Array, typ = true, rest
	}
	if strings.HasPrefix(typ, "domain-list") {
		d.Array, typ = true, "domain-list"
	}
	if inner, ok := strings.CutPrefix(typ, "{"); ok {
		fields := strings.Split(strings.TrimSpace(strings.TrimSuffix(inner, "}")), ",")
		var kea []string
		for _, f := range fields {
			t, known := defTypes[strings.TrimSpace(f)]
			if !known || t == "fqdn" || t == "empty" {
				c.notConverted(st.pos, "%s not converted: Kea has no record field like %q", st.text(), strings.TrimSpace(f))
				return
			}
			kea = append(kea, t)
		}
		d.Type, d.RecordTypes = "record", strings.Join(kea, ", ")
	} else if t, known := defTypes[typ]; known {
		d.Type = t
	} else {
		c.notConverted(st.pos, "%s not converted: Kea has no option type like %q", st.text(), typ)
		return
	}
	s := c.conf.Site
	for _, e := range s.OptionDefs {
		if e.Space == d.Space && e.Name == d.Name {
			return // the same definition twice, as split configs repeat it
		}
	}
	s.OptionDefs = append(s.OptionDefs, d)
}

// vendorOptionSpace converts vendor-option-space NAME: dhcpd then sends
// the options of that space inside option 43, which Kea does with its
// vendor-encapsulated-options-space.
func (c *conv) vendorOptionSpace(st *stmt, sc *scope) {
	const kea = "vendor-encapsulated-options-space"
	sp := st.arg(1)
	switch prev := c.spaces[sp]; {
	case sp == "":
		c.wrong(st.pos, "vendor-option-space names a space")
		return
	case prev != sp && prev != kea && prev != "":
		c.notConverted(st.pos, "%s not converted: Kea has one space inside option 43, which %s is already", st.text(), prev)
		return
	}
	for other, k := range c.spaces {
		if k == kea && other != sp {
			c.notConverted(st.pos, "%s not converted: Kea has one space inside option 43, and %s is it", st.text(), other)
			return
		}
	}
	if c.spaces[sp] != kea {
		c.conf.Notes = append(c.conf.Notes, "option space "+sp+" goes inside option 43 (vendor-option-space): in Kea it is "+kea)
	}
	c.spaces[sp] = kea
	for _, d := range c.conf.Site.OptionDefs {
		if d.Space == sp {
			d.Space = kea
		}
	}
	renameSpace(c.conf.Site, sp, kea)
	for _, o := range sc.options {
		if o.Space == sp {
			o.Space = kea
		}
	}
	sc.setOption(&model.Option{Name: "vendor-encapsulated-options", Pos: st.pos})
}

// renameSpace renames a space in the options already read.
func renameSpace(s *model.Site, from, to string) {
	s.EachOption(func(o *model.Option) {
		if o.Space == from {
			o.Space = to
		}
	})
}
