package yamlsrc

import (
	"encoding/json"
	"math"
	"net/netip"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/keaops/keaops/internal/model"
)

// What the model grew for real Kea configurations: settings by their Kea
// name, the escape hatch (kea:), shared networks.

// settings reads the keys of r that are settings of scope.
func (l *loader) settings(r rec, scope model.Scope) model.Settings {
	var out model.Settings
	for _, d := range model.SettingDefs {
		n := r.get(d.Key)
		if n == nil || d.Scopes&scope == 0 {
			continue
		}
		v, err := d.Value(plainValue(n))
		if err != nil {
			l.add(model.Errorf(r.pos(n), "setting", "%v", err))
			continue
		}
		if out == nil {
			out = model.Settings{}
		}
		out[d.Key] = model.Setting{Value: v, Pos: r.pos(n)}
	}
	return out
}

// plainValue is a YAML value as Go's: bool, int64, float64, string, or a
// list or map of them.
func plainValue(n *yaml.Node) any {
	switch n.Kind {
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			out[i] = plainValue(c)
		}
		return out
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			out[n.Content[i].Value] = plainValue(n.Content[i+1])
		}
		return out
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!bool":
			return n.Value == "true" || n.Value == "True" || n.Value == "TRUE"
		case "!!int":
			if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
				return i
			}
		case "!!float":
			if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
				return f
			}
		}
		return n.Value
	}
	return nil
}

// raw reads a scope's kea: escape hatch.
func (l *loader) raw(r rec) model.Raw {
	n := r.get("kea")
	if n == nil || n.Kind != yaml.MappingNode {
		return model.Raw{}
	}
	m, _ := l.rawValue(r, n, "kea").(map[string]any)
	if len(m) == 0 {
		return model.Raw{}
	}
	return model.Raw{Fields: m, Pos: r.pos(n)}
}

// secretKeys are the keys whose values are secrets wherever they are in
// Kea's JSON: they must be given as secret references.
var secretKeys = map[string]bool{"password": true, "secret": true, "basic-auth-password": true, "token": true}

// rawValue converts YAML to the JSON Kea reads: numbers kept as written
// (json.Number), {env: …} / {file: …} as secret references.
func (l *loader) rawValue(r rec, n *yaml.Node, path string) any {
	switch n.Kind {
	case yaml.MappingNode:
		if ref := asSecret(r, n); ref != nil {
			return ref
		}
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			if secretKeys[k] && v.Kind == yaml.ScalarNode && v.Value != "" {
				l.add(model.Errorf(r.pos(v), "secret", "%s.%s is a secret written literally: give it as {env: NAME} or {file: /path}, resolved when keaops applies the config", path, k))
				continue
			}
			if (v.Kind == yaml.SequenceNode || v.Kind == yaml.MappingNode) && len(v.Content) == 0 {
				// Kea reads an empty list or object as nothing; kept, it
				// would never read back and look like drift forever.
				l.add(model.Warnf(r.pos(v), "kea", "%s.%s is empty and means nothing to Kea: left out", path, k))
				continue
			}
			m[k] = l.rawValue(r, v, path+"."+k)
		}
		return m
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			out[i] = l.rawValue(r, c, path+"["+strconv.Itoa(i)+"]")
		}
		return out
	case yaml.ScalarNode:
		switch v := plainValue(n).(type) {
		case int64:
			return json.Number(strconv.FormatInt(v, 10))
		case float64:
			if math.IsInf(v, 0) || math.IsNaN(v) {
				l.add(model.Errorf(r.pos(n), "kea", "%s: %s is not a number JSON can hold", path, n.Value))
				return nil
			}
			return json.Number(strconv.FormatFloat(v, 'f', -1, 64))
		default:
			if n.Tag == "!!null" {
				return nil
			}
			return v
		}
	}
	return nil
}

func asSecret(r rec, n *yaml.Node) *model.SecretRef {
	if len(n.Content) != 2 || n.Content[1].Kind != yaml.ScalarNode {
		return nil
	}
	switch k, v := n.Content[0].Value, n.Content[1].Value; {
	case k == "env" && v != "":
		return &model.SecretRef{Env: v, Pos: r.pos(n)}
	case k == "file" && strings.HasPrefix(v, "/"):
		return &model.SecretRef{File: v, Pos: r.pos(n)}
	}
	return nil
}

// networks reads a subnets file's shared networks.
func (l *loader) networks(r rec) []*model.SharedNetwork {
	var out []*model.SharedNetwork
	for _, m := range l.records(r, "shared-networks") {
		nr := rec{file: r.file, m: m}
		n := &model.SharedNetwork{Name: nr.str("name"), Interface: nr.str("interface"), ClientClasses: classList(nr), Comment: nr.str("comment"),
			Lifetimes: nr.lifetimes(), Options: l.options(nr), Settings: l.settings(nr, model.ScopeNetwork), Raw: l.raw(nr), Pos: nr.pos(m)}
		n.Relay = relays(nr)
		out = append(out, n)
	}
	return out
}

func relays(r rec) []netip.Addr {
	var out []netip.Addr
	for _, a := range r.strs("relay") {
		if ip, err := netip.ParseAddr(a); err == nil {
			out = append(out, ip)
		}
	}
	return out
}

// identifiers reads the reservation's host identifier: exactly one.
func (l *loader) identifier(r rec, res *model.Reservation) bool {
	var set []string
	for _, kind := range model.IdentifierKinds {
		n := r.get(kind)
		if n == nil {
			continue
		}
		set = append(set, kind)
		res.IDPos = r.pos(n)
		v, err := model.ParseIdentifier(kind, n.Value)
		if err != nil {
			l.add(model.Errorf(res.IDPos, "reservation", "%s %q: %v", kind, n.Value, err))
			return false
		}
		res.SetIdentifier(kind, v)
	}
	switch len(set) {
	case 1:
		return true
	case 0:
		what := "reservation"
		if res.IP.IsValid() {
			what += " for " + res.IP.String()
		}
		l.add(model.Errorf(res.Pos, "reservation", "%s has no identifier: set %s or %s", what, strings.Join(model.IdentifierKinds[:len(model.IdentifierKinds)-1], ", "), model.IdentifierKinds[len(model.IdentifierKinds)-1]))
	case 2:
		l.add(model.Errorf(res.IDPos, "reservation", "both %s and %s are set: Kea matches a reservation on one identifier, keep one", set[0], set[1]))
	default:
		l.add(model.Errorf(res.IDPos, "reservation", "%s are all set: Kea matches a reservation on one identifier, keep one", strings.Join(set, ", ")))
	}
	return false
}

func (l *loader) optionDefs(r rec) []*model.OptionDef {
	var out []*model.OptionDef
	for _, m := range l.records(r, "option-def") {
		dr := rec{file: r.file, m: m}
		d := &model.OptionDef{Name: dr.str("name"), Space: dr.str("space"), Type: dr.str("type"), RecordTypes: dr.str("record-types"),
			Encapsulate: dr.str("encapsulate"), Pos: dr.pos(m)}
		if d.Space == "dhcp4" {
			d.Space = ""
		}
		if c := dr.intp("code"); c != nil {
			d.Code = int(c.Value)
		}
		if b := dr.boolp("array"); b != nil {
			d.Array = *b
		}
		out = append(out, d)
	}
	return out
}

// classList reads client-class (one) or client-classes (a list).
func classList(r rec) []string {
	if c := r.str("client-class"); c != "" {
		return []string{c}
	}
	return r.strs("client-classes")
}
