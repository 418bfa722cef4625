package model

import (
	"encoding/json"
	"slices"
	"strings"
)

// Raw is Kea JSON the model does not express, kept at its scope — global,
// shared network, subnet, pool, reservation or client class — and merged
// verbatim into the render there: the escape hatch. It never overrides
// what the model sets (the renderer reports a clash), and a list in it
// adds entries to the list the model renders. Values are decoded JSON
// (numbers as json.Number); a secret is a SecretRef, never its value.
type Raw struct {
	Fields map[string]any
	Pos    Pos
}

// Empty reports whether the scope has no raw Kea JSON.
func (r Raw) Empty() bool { return len(r.Fields) == 0 }

// Text is the raw JSON in one canonical form (sorted keys), for digests
// and diffs; secrets appear as their references.
func (r Raw) Text() string {
	if r.Empty() {
		return ""
	}
	b, _ := json.Marshal(canonical(r.Fields))
	return string(b)
}

// KeyText is one key's value in the canonical form of Text.
func (r Raw) KeyText(key string) string {
	v, ok := r.Fields[key]
	if !ok {
		return ""
	}
	b, _ := json.Marshal(canonical(v))
	return string(b)
}

// canonical replaces secret references by their reference text, so that
// encoding/json (which sorts map keys) gives one form.
func canonical(v any) any {
	return MapSecrets(v, func(r *SecretRef) any { return r.Placeholder() })
}

// MapSecrets copies decoded JSON with every secret reference in it
// replaced by fn's value for it.
func MapSecrets(v any, fn func(*SecretRef) any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = MapSecrets(e, fn)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = MapSecrets(e, fn)
		}
		return l
	case *SecretRef:
		return fn(x)
	}
	return v
}

// IdentityKeys name, per list Kea takes, the field that makes an entry the
// same entity as another: a raw entry with the identity of one the model
// renders clashes with it, any other raw entry is added to the list.
var IdentityKeys = map[string][]string{
	"option-data":     {"space", "name", "code"},
	"option-def":      {"space", "name", "code"},
	"client-classes":  {"name"},
	"hooks-libraries": {"library"},
	"loggers":         {"name"},
	"subnet4":         {"id", "subnet"},
	"shared-networks": {"name"},
	"pools":           {"pool"},
	"reservations":    {"hw-address", "client-id", "duid", "circuit-id", "flex-id"},
	"control-sockets": {"socket-type"},
}

// Identity returns what makes a list entry one entity of list key: for a
// scalar (an interface name, an address) the value itself; for an object
// its identity keys, "" when it has none (it is then never a clash).
func Identity(list string, entry any) string {
	m, ok := entry.(map[string]any)
	if !ok {
		b, _ := json.Marshal(entry)
		return string(b)
	}
	if list == "option-data" || list == "option-def" {
		// Kea keys options by space and code; keaops renders them by
		// name in the dhcp4 space.
		space, _ := m["space"].(string)
		if space == "" {
			space = "dhcp4"
		}
		if name, ok := m["name"].(string); ok {
			return space + "/" + name
		}
		b, _ := json.Marshal(m["code"])
		return space + "/" + string(b)
	}
	var parts []string
	for _, k := range IdentityKeys[list] {
		if v, ok := m[k]; ok {
			b, _ := json.Marshal(v)
			parts = append(parts, k+"="+string(b))
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}
