package siteyaml

import (
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/keaops/keaops/internal/model"
)

// The YAML node builders: the files are built as yaml.Node trees, not by
// marshalling structs, so that key order is the order a person reads
// (name first), lists of scalars stay on one line, and comments sit where
// they explain something.

// mapping is a YAML mapping under construction.
type mapping struct{ n *yaml.Node }

func newMapping() mapping { return mapping{&yaml.Node{Kind: yaml.MappingNode}} }

// set adds key: v, unless v is nil (nothing to say).
func (m mapping) set(key string, v *yaml.Node) {
	if v == nil {
		return
	}
	m.n.Content = append(m.n.Content, str(key), v)
}

// empty reports whether nothing was set.
func (m mapping) empty() bool { return len(m.n.Content) == 0 }

// node is the mapping, nil when empty.
func (m mapping) node() *yaml.Node {
	if m.empty() {
		return nil
	}
	return m.n
}

func seq(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Content: items}
}

// flow is a list on one line: [a, b].
func flow(items ...*yaml.Node) *yaml.Node {
	n := seq(items...)
	n.Style = yaml.FlowStyle
	return n
}

// str is a string; the encoder quotes it where YAML would read it as
// something else (true, 10, 1.5, null).
func str(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.HasPrefix(s, "'") {
		n.Style = yaml.DoubleQuotedStyle // "'text'" reads better than YAML's doubled quotes
	}
	return n
}

// strOr is str, nil for "".
func strOr(s string) *yaml.Node {
	if s == "" {
		return nil
	}
	return str(s)
}

func integer(i int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(i, 10)}
}

func intOr(i int) *yaml.Node {
	if i == 0 {
		return nil
	}
	return integer(int64(i))
}

func modelInt(i *model.Int) *yaml.Node {
	if i == nil {
		return nil
	}
	return integer(i.Value)
}

func boolean(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

func boolp(b *bool) *yaml.Node {
	if b == nil {
		return nil
	}
	return boolean(*b)
}

// trueOr is true, nil for false (a flag left out means false).
func trueOr(b bool) *yaml.Node {
	if !b {
		return nil
	}
	return boolean(true)
}

func float(f float64) *yaml.Node {
	text := strconv.FormatFloat(f, 'f', -1, 64)
	if !slices.Contains([]byte(text), '.') {
		text += ".0" // a float setting read back as a float
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: text}
}

func strs(list []string) *yaml.Node {
	if len(list) == 0 {
		return nil
	}
	items := make([]*yaml.Node, len(list))
	for i, s := range list {
		items[i] = str(s)
	}
	return flow(items...)
}

// oneOrList is a single value as a scalar, more as a flow list.
func oneOrList(list []string) *yaml.Node {
	if len(list) == 1 {
		return str(list[0])
	}
	return strs(list)
}

func secret(r *model.SecretRef) *yaml.Node {
	if r == nil {
		return nil
	}
	m := newMapping()
	m.n.Style = yaml.FlowStyle
	if r.Env != "" {
		m.set("env", str(r.Env))
	} else {
		m.set("file", str(r.File))
	}
	return m.n
}

// value is a decoded JSON value (the escape hatch, hook parameters, a
// setting) as YAML: numbers as written, secrets as their references.
func value(v any) *yaml.Node {
	switch x := v.(type) {
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	case bool:
		return boolean(x)
	case string:
		return str(x)
	case int:
		return integer(int64(x))
	case int64:
		return integer(x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return integer(int64(x))
		}
		return float(x)
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return integer(i)
		}
		f, _ := x.Float64()
		return float(f)
	case *model.SecretRef:
		return secret(x)
	case []string:
		return strs(x)
	case []any:
		items := make([]*yaml.Node, len(x))
		scalars := true
		for i, e := range x {
			items[i] = value(e)
			scalars = scalars && items[i].Kind == yaml.ScalarNode
		}
		if scalars {
			return flow(items...)
		}
		return seq(items...)
	case map[string]any:
		m := newMapping()
		for _, k := range slices.Sorted(maps.Keys(x)) {
			m.set(k, value(x[k]))
		}
		if m.empty() {
			m.n.Style = yaml.FlowStyle
		}
		return m.n
	}
	return str("")
}
