package siteyaml

import (
	"net/netip"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/keaops/keaops/internal/model"
)

// What every scope has: lifetimes, options, settings, the escape hatch.

func lifetimes(m mapping, l model.Lifetimes) {
	m.set("valid-lifetime", modelInt(l.Valid))
	m.set("renew-timer", modelInt(l.Renew))
	m.set("rebind-timer", modelInt(l.Rebind))
}

// settings writes a scope's settings by their Kea names, in the order of
// model.SettingDefs (related settings together). An object setting shows
// the keys it changes, as a person writes it.
func settings(m mapping, s model.Settings) {
	for _, d := range model.SettingDefs {
		set, ok := s[d.Key]
		if !ok {
			continue
		}
		if d.Kind == model.KindMap {
			obj, _ := set.Value.(map[string]any)
			def, _ := d.Default.(map[string]any)
			changed := map[string]any{}
			for k, v := range obj {
				if model.Text(v) != model.Text(def[k]) {
					changed[k] = v
				}
			}
			n := value(changed)
			m.set(d.Key, n)
			continue
		}
		switch v := set.Value.(type) {
		case float64:
			m.set(d.Key, float(v))
		default:
			m.set(d.Key, value(v))
		}
	}
}

func raw(m mapping, r model.Raw) {
	if !r.Empty() {
		m.set("kea", value(r.Fields))
	}
}

// Which shorthand keys a scope's schema has (gateway only on subnets).
type shorthands uint8

const (
	noShorthands shorthands = iota
	commonShorthands
	subnetShorthands
)

// hostname is the schema's #Hostname: what domain: takes.
var hostname = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$`)

// shorthand is the short key an option is written as (gateway, dns, ntp,
// domain), "" when it needs the options map: flags, another space, or a
// value the short key's schema does not take.
func shorthand(o *model.Option, allowed shorthands) string {
	if allowed == noShorthands || o.Space != "" || o.AlwaysSend || o.NeverSend || o.CSVFormat != nil || len(o.Values) == 0 {
		return ""
	}
	addrs := func() bool {
		for _, v := range o.Values {
			if a, err := netip.ParseAddr(v); err != nil || !a.Is4() {
				return false
			}
		}
		return true
	}
	switch o.Name {
	case "routers":
		if allowed == subnetShorthands && len(o.Values) == 1 && addrs() {
			return "gateway"
		}
	case "domain-name-servers":
		if addrs() {
			return "dns"
		}
	case "ntp-servers":
		if addrs() {
			return "ntp"
		}
	case "domain-name":
		if len(o.Values) == 1 && len(o.Values[0]) <= 253 && hostname.MatchString(o.Values[0]) {
			return "domain"
		}
	}
	return ""
}

// options writes a scope's options: the shorthand keys first, the rest in
// an options map in the order the scope lists them.
func options(m mapping, opts []*model.Option, allowed shorthands) {
	rest := newMapping()
	for _, o := range opts {
		if key := shorthand(o, allowed); key != "" {
			if key == "gateway" || key == "domain" {
				m.set(key, str(o.Values[0]))
			} else {
				m.set(key, oneOrList(o.Values))
			}
			continue
		}
		rest.set(optionKey(o), optionValue(o))
	}
	m.set("options", rest.node())
}

// optionKey is the option's name, or its code for an option Kea knows by
// code only.
func optionKey(o *model.Option) string {
	if o.Name != "" {
		return o.Name
	}
	return strconv.Itoa(o.Code)
}

func optionValue(o *model.Option) *yaml.Node {
	items := make([]*yaml.Node, len(o.Values))
	for i, v := range o.Values {
		items[i] = optionScalar(v)
	}
	var data *yaml.Node
	switch len(items) {
	case 0:
		data = str("")
	case 1:
		data = items[0]
	default:
		data = flow(items...)
	}
	if o.Space == "" && !o.AlwaysSend && !o.NeverSend && o.CSVFormat == nil {
		return data
	}
	long := newMapping()
	long.n.Style = yaml.FlowStyle
	long.set("data", data)
	long.set("space", strOr(o.Space))
	long.set("always-send", trueOr(o.AlwaysSend))
	long.set("never-send", trueOr(o.NeverSend))
	long.set("csv-format", boolp(o.CSVFormat))
	return long.n
}

// optionScalar is an option field: a plain number where it is one, else a
// string (the reader takes the text either way).
func optionScalar(v string) *yaml.Node {
	if i, err := strconv.ParseInt(v, 10, 64); err == nil && strconv.FormatInt(i, 10) == v {
		return integer(i)
	}
	return str(v)
}

// classes writes a scope's client classes: client-class for one (every
// version takes it), client-classes for more.
func classes(m mapping, list []string) {
	if len(list) == 1 {
		m.set("client-class", str(list[0]))
		return
	}
	m.set("client-classes", strs(list))
}

func relay(m mapping, addrs []netip.Addr) {
	list := make([]string, len(addrs))
	for i, a := range addrs {
		list[i] = a.String()
	}
	if len(list) > 0 {
		m.set("relay", oneOrList(list))
	}
}
