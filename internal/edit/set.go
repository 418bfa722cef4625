package edit

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Set gives record index of the list the field: its own value is
// replaced where it is; a field it lacks, or has only from a merge
// ("<<: *defaults"), is added to the record itself — a shared anchor is
// never edited, since other records read it too.
func (d *Doc) Set(key string, index int, f Field) (*Doc, error) {
	_, _, item, err := d.item(key, index)
	if err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(item.Content); i += 2 {
		k, v := item.Content[i], item.Content[i+1]
		if k.Value != f.Key || k.Tag == "!!merge" {
			continue
		}
		if v.Anchor != "" {
			return nil, d.errAt(v, "%s carries the anchor &%s, which other records may use: edit it by hand", f.Key, v.Anchor)
		}
		from, to, err := d.valueRange(k, v, isFlow(item))
		if err != nil {
			return nil, err
		}
		text := f.Value
		if from > 0 && d.src[from-1] == ':' { // a block value began on the next line
			text = " " + text
		}
		return d.changed(key, index, from, to, text)
	}
	if isFlow(item) {
		// Before the closing brace of a one-line "{...}".
		close, err := d.flowEnd(item)
		if err != nil {
			return nil, err
		}
		sep := ", "
		if len(item.Content) == 0 {
			sep = ""
		}
		return d.changed(key, index, close, close, sep+f.Key+": "+f.Value)
	}
	dash, err := d.dash(item)
	if err != nil {
		return nil, err
	}
	at := d.lineStart(d.ownedEnd(item.Line, dash+1))
	text := strings.Repeat(" ", item.Column-1) + f.Key + ": " + f.Value + d.newline()
	if at == len(d.src) && len(d.src) > 0 && d.src[len(d.src)-1] != '\n' {
		text = d.newline() + text
	}
	return d.changed(key, index, at, at, text)
}

// changed splices a change into record index and checks that no other
// record, nor anything else, changed with it.
func (d *Doc) changed(key string, index, from, to int, text string) (*Doc, error) {
	nd, err := d.splice(from, to, text)
	if err != nil {
		return nil, err
	}
	return d.checked(nd, key, index, 0)
}

// Unset removes a field the record has of its own (a block mapping's
// line, with what is indented under it).
func (d *Doc) Unset(key string, index int, field string) (*Doc, error) {
	_, _, item, err := d.item(key, index)
	if err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(item.Content); i += 2 {
		k := item.Content[i]
		if k.Value != field || k.Tag == "!!merge" {
			continue
		}
		if isFlow(item) {
			return nil, d.errAt(item, "removing %s from a one-line {...} record: edit it by hand", field)
		}
		if i == 0 {
			return nil, d.errAt(k, "%s opens the record's \"- \" line: remove the record and add it again", field)
		}
		return d.changed(key, index, d.lineStart(k.Line), d.lineStart(d.ownedEnd(k.Line, k.Column+1)), "")
	}
	return d, nil
}

// valueRange is the bytes of a value in the source: a scalar token, or a
// nested block under its key.
func (d *Doc) valueRange(k, v *yaml.Node, inFlow bool) (int, int, error) {
	start := d.offset(v.Line, v.Column)
	if v.Kind != yaml.ScalarNode && v.Kind != yaml.AliasNode {
		if isFlow(v) && v.Line == k.Line {
			end, err := d.bracketEnd(start)
			return start, end, err
		}
		// A block collection: from after "key:" to the end of its lines.
		colon := d.offset(k.Line, k.Column) + len(k.Value)
		if strings.HasPrefix(string(d.src[colon:]), ":") {
			colon++
		}
		end := d.lineStart(d.ownedEnd(k.Line, k.Column+1)) - len(d.newline())
		return colon, end, nil
	}
	if v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		end := d.lineStart(d.ownedEnd(k.Line, k.Column+1)) - len(d.newline())
		return start, end, nil
	}
	end, err := d.scalarEnd(start, v, inFlow)
	return start, end, err
}

// scalarEnd finds where a one-line scalar (or alias) token ends.
func (d *Doc) scalarEnd(start int, v *yaml.Node, inFlow bool) (int, error) {
	s := string(d.src[start:])
	switch {
	case strings.HasPrefix(s, `"`):
		for i := 1; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
			case '"':
				return start + i + 1, nil
			}
		}
	case strings.HasPrefix(s, "'"):
		for i := 1; i < len(s); i++ {
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					i++
					continue
				}
				return start + i + 1, nil
			}
		}
	default:
		line := s
		if i := strings.IndexAny(line, "\r\n"); i >= 0 {
			line = line[:i]
		}
		end := len(line)
		if i := strings.Index(line, " #"); i >= 0 {
			end = i
		}
		if inFlow || v.Kind == yaml.AliasNode {
			if i := strings.IndexAny(line[:end], ",}]"); i >= 0 {
				end = i
			}
		}
		tok := strings.TrimRight(line[:end], " \t")
		if v.Kind == yaml.ScalarNode && strings.Contains(v.Value, "\n") {
			break
		}
		return start + len(tok), nil
	}
	return 0, d.errAt(v, "a value over several lines: edit it by hand")
}

// bracketEnd is the offset after the bracket that closes the one at start.
func (d *Doc) bracketEnd(start int) (int, error) {
	depth, quote := 0, byte(0)
	for i := start; i < len(d.src); i++ {
		c := d.src[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth == 0 {
				return i + 1, nil
			}
		case c == '\n':
			return 0, d.errAt(&yaml.Node{Line: lineOf(d, start), Column: 1}, "a {...} over several lines: edit it by hand")
		}
	}
	return 0, d.errAt(&yaml.Node{Line: lineOf(d, start), Column: 1}, "an unclosed bracket")
}

// flowEnd is the offset of a one-line flow mapping's closing brace.
func (d *Doc) flowEnd(item *yaml.Node) (int, error) {
	end, err := d.bracketEnd(d.offset(item.Line, item.Column))
	if err != nil {
		return 0, err
	}
	return end - 1, nil
}

func lineOf(d *Doc, off int) int {
	n := 1
	for n < len(d.lines) && d.lines[n] <= off {
		n++
	}
	return n
}

// Scalar writes a string as a YAML value in the style like has (the same
// field's value in a neighbouring record): double- or single-quoted if it
// is, else plain where plain reads back as the same string.
func Scalar(s string, like yaml.Style) string {
	switch {
	case like&yaml.DoubleQuotedStyle != 0:
		return strconv.Quote(s)
	case like&yaml.SingleQuotedStyle != 0:
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	var back string
	if yaml.Unmarshal([]byte("v: "+s), &struct {
		V *string `yaml:"v"`
	}{&back}) == nil && back == s && !strings.ContainsAny(s, "#{}[],&*!|>'\"%@`\n") && s != "" && plainIsString(s) {
		return s
	}
	return strconv.Quote(s)
}

// plainIsString: a plain scalar YAML would not read as a number, a bool
// or null (keaops's fields are strings).
func plainIsString(s string) bool {
	var n yaml.Node
	if yaml.Unmarshal([]byte(s), &n) != nil || len(n.Content) != 1 {
		return false
	}
	return n.Content[0].Tag == "!!str"
}

// StyleOf is the style of a field's value in a record ("" field: none).
func (r Record) StyleOf(key string) yaml.Style {
	if v := lookup(r.node, key, 0); v != nil {
		return v.Style
	}
	return 0
}

// Mapping is a field's mapping as fields (its values written as YAML,
// collections in flow style): what a caller merges into before setting
// the field anew. A field the record lacks is an empty mapping.
func (r Record) Mapping(key string) ([]Field, error) {
	v := lookup(r.node, key, 0)
	if v == nil {
		return nil, nil
	}
	if v.Kind == yaml.AliasNode {
		v = v.Alias
	}
	if v.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s is not a mapping", key)
	}
	var out []Field
	for i := 0; i+1 < len(v.Content); i += 2 {
		text, err := Flow(v.Content[i+1])
		if err != nil {
			return nil, err
		}
		out = append(out, Field{Key: v.Content[i].Value, Value: text})
	}
	return out, nil
}

// Flow writes a node on one line: a scalar as it was quoted, a collection
// in flow style.
func Flow(n *yaml.Node) (string, error) {
	c := *n
	if c.Kind == yaml.ScalarNode {
		// A plain number or word stays as written; anything a flow
		// context would misread is quoted.
		if c.Style == 0 && !strings.ContainsAny(c.Value, ",[]{}#:\n") && c.Value != "" {
			return c.Value, nil
		}
		style := c.Style
		if style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) == 0 {
			style = yaml.DoubleQuotedStyle
		}
		return Scalar(c.Value, style), nil
	}
	c.Style |= yaml.FlowStyle
	b, err := yaml.Marshal(&c)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// FlowMapping writes fields as a one-line mapping: {a: 1, b: 2}.
func FlowMapping(fields []Field) string { return flow(fields) }
