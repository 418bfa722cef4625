// Package edit changes a site's YAML files in place: a record appended to
// a list, removed from it, or one of its fields set or removed, with every
// byte outside that record as it was — comments, order, blank lines,
// quoting, anchors. A re-encode through the YAML library would reformat
// the whole file, and a merge request that adds one reservation must show
// one reservation. The CLI's reservation commands and the web editor both
// edit through it; what the edit means (is the result a valid site?) is
// the caller's to check before it writes.
//
// Lists must be block sequences ("- ..." lines); their records block
// mappings or one-line flow mappings ("- {a: b}"). An empty flow list
// ("reservations: []") takes its first record. Anything else is an error
// naming the position, never a rewrite.
package edit

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Doc is one YAML file and its parse.
type Doc struct {
	name  string
	src   []byte
	lines []int // byte offset of each line's start
	root  *yaml.Node
}

// Parse reads a file that holds one YAML mapping (or nothing).
func Parse(name string, src []byte) (*Doc, error) {
	d := &Doc{name: name, src: src}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	switch {
	case doc.Kind == 0: // empty file
	case len(doc.Content) == 1 && doc.Content[0].Kind == yaml.MappingNode:
		d.root = doc.Content[0]
	default:
		return nil, fmt.Errorf("%s: not a YAML mapping", name)
	}
	d.lines = []int{0}
	for i, b := range src {
		if b == '\n' {
			d.lines = append(d.lines, i+1)
		}
	}
	return d, nil
}

// Bytes is the file's content.
func (d *Doc) Bytes() []byte { return d.src }

// Name is the file's name, as given to Parse.
func (d *Doc) Name() string { return d.name }

// Field is one key and its value, already written as YAML (Scalar makes
// one from a string).
type Field struct{ Key, Value string }

// Record is one item of a list.
type Record struct {
	Index     int
	Line, Col int
	node      *yaml.Node
}

// Get is a field's value as text: the record's own, else one merged in
// ("<<: *defaults").
func (r Record) Get(key string) (string, bool) {
	if v := lookup(r.node, key, 0); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value, true
	}
	return "", false
}

// Keys are the record's own keys, in order.
func (r Record) Keys() []string {
	var out []string
	for i := 0; i+1 < len(r.node.Content); i += 2 {
		out = append(out, r.node.Content[i].Value)
	}
	return out
}

// lookup finds key in a mapping, then in what it merges; depth bounds a
// merge that names itself.
func lookup(m *yaml.Node, key string, depth int) *yaml.Node {
	if m != nil && m.Kind == yaml.AliasNode {
		m = m.Alias
	}
	if m == nil || m.Kind != yaml.MappingNode || depth > 32 {
		return nil
	}
	var merged []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		switch {
		case k.Value == key && k.Tag != "!!merge":
			return v
		case k.Tag == "!!merge" || k.Value == "<<":
			if v.Kind == yaml.SequenceNode {
				merged = append(merged, v.Content...)
			} else {
				merged = append(merged, v)
			}
		}
	}
	for _, mm := range merged {
		if v := lookup(mm, key, depth+1); v != nil {
			return v
		}
	}
	return nil
}

// list finds the top-level key's sequence: (key node, value node).
func (d *Doc) list(key string) (*yaml.Node, *yaml.Node) {
	if d.root == nil {
		return nil, nil
	}
	for i := 0; i+1 < len(d.root.Content); i += 2 {
		if d.root.Content[i].Value == key {
			return d.root.Content[i], d.root.Content[i+1]
		}
	}
	return nil, nil
}

// Records are the list's items (none when the key is absent or empty).
func (d *Doc) Records(key string) ([]Record, error) {
	_, seq := d.list(key)
	if seq == nil || seq.Kind == yaml.ScalarNode && seq.Tag == "!!null" {
		return nil, nil
	}
	if seq.Kind != yaml.SequenceNode {
		return nil, d.errAt(seq, "%s is not a list", key)
	}
	var out []Record
	for i, n := range seq.Content {
		out = append(out, Record{Index: i, Line: n.Line, Col: n.Column, node: n})
	}
	return out, nil
}

func (d *Doc) errAt(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("%s:%d:%d: %s", d.name, n.Line, n.Column, fmt.Sprintf(format, args...))
}

// splice returns a new Doc with src[from:to] replaced by text.
func (d *Doc) splice(from, to int, text string) (*Doc, error) {
	out := make([]byte, 0, len(d.src)-(to-from)+len(text))
	out = append(append(append(out, d.src[:from]...), text...), d.src[to:]...)
	nd, err := Parse(d.name, out)
	if err != nil {
		// An edit that breaks the file is keaops's bug, not the user's.
		return nil, fmt.Errorf("editing %s in place would break it (%v): nothing changed", d.name, err)
	}
	return nd, nil
}

// offset is the byte offset of a 1-based line and column (columns count
// characters, as the YAML parser does).
func (d *Doc) offset(line, col int) int {
	if line-1 >= len(d.lines) {
		return len(d.src)
	}
	off := d.lines[line-1]
	for c := 1; c < col && off < len(d.src) && d.src[off] != '\n'; c++ {
		_, size := decodeRune(d.src[off:])
		off += size
	}
	return off
}

func decodeRune(b []byte) (rune, int) {
	r := []rune(string(b[:min(len(b), 4)]))
	if len(r) == 0 {
		return 0, 1
	}
	return r[0], len(string(r[0]))
}

// line is line n (1-based) without its newline.
func (d *Doc) line(n int) string {
	if n-1 >= len(d.lines) {
		return ""
	}
	start := d.lines[n-1]
	end := len(d.src)
	if n < len(d.lines) {
		end = d.lines[n] - 1
	}
	return strings.TrimSuffix(string(d.src[start:end]), "\r")
}

// indent is a line's leading spaces; ok is false for a blank or
// comment-only line.
func indent(l string) (int, bool) {
	t := strings.TrimLeft(l, " ")
	if t == "" || strings.HasPrefix(t, "#") {
		return 0, false
	}
	return len(l) - len(t), true
}

// ownedEnd is the line after the last line that belongs to a node
// starting on line start at column col: following lines indented deeper
// (comments and blank lines in between go with them; after the last,
// they belong to what follows).
func (d *Doc) ownedEnd(start, col int) int {
	last := start
	for n := start + 1; n <= len(d.lines); n++ {
		ind, content := indent(d.line(n))
		if !content {
			continue
		}
		if ind < col {
			break
		}
		last = n
	}
	return last + 1
}

// lineStart is the offset of line n's start (or the end of the file).
func (d *Doc) lineStart(n int) int {
	if n-1 >= len(d.lines) {
		return len(d.src)
	}
	return d.lines[n-1]
}

// dash finds a block sequence item's "- " on its line: its column, or an
// error for an item that does not start its own line.
func (d *Doc) dash(item *yaml.Node) (int, error) {
	l := d.line(item.Line)
	ind, _ := indent(l)
	if !strings.HasPrefix(l[ind:], "-") {
		return 0, d.errAt(item, "this record does not start its own \"- \" line: edit it by hand")
	}
	return ind + 1, nil
}

// newline is the file's line ending.
func (d *Doc) newline() string {
	if bytes.Contains(d.src, []byte("\r\n")) {
		return "\r\n"
	}
	return "\n"
}

func isFlow(n *yaml.Node) bool { return n.Style&yaml.FlowStyle != 0 }

// keyOrder sorts fields as the list's first record orders its keys; keys
// it lacks keep their order, after.
func keyOrder(fields []Field, like []string) []Field {
	out := slices.Clone(fields)
	rank := func(k string) int {
		if i := slices.Index(like, k); i >= 0 {
			return i
		}
		return len(like)
	}
	slices.SortStableFunc(out, func(a, b Field) int { return rank(a.Key) - rank(b.Key) })
	return out
}
