package edit

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Append adds a record at the end of the top-level list key, written as
// the records before it are: block or one-line flow, at their indentation,
// keys in their order. A missing key is added at the end of the file.
func (d *Doc) Append(key string, fields []Field) (*Doc, error) {
	if len(fields) == 0 {
		return nil, fmt.Errorf("a record needs at least one field")
	}
	nl := d.newline()
	k, seq := d.list(key)
	switch {
	case k == nil:
		// At the end of the file, at the top mapping's indentation.
		pad := ""
		if d.root != nil && len(d.root.Content) > 0 {
			if isFlow(d.root) {
				return nil, d.errAt(d.root, "the file is one {...} mapping: write it as a block mapping to edit it with keaops")
			}
			pad = strings.Repeat(" ", d.root.Content[0].Column-1)
		}
		text := pad + key + ":" + nl + block(pad+"  - ", fields, nl)
		if len(d.src) > 0 && d.src[len(d.src)-1] != '\n' {
			text = nl + text
		}
		return d.appended(key, len(d.src), len(d.src), text)
	case seq.Kind == yaml.ScalarNode && seq.Tag == "!!null", seq.Kind == yaml.SequenceNode && len(seq.Content) == 0:
		// "key:" or "key: []": the first record, two spaces in; a
		// comment after it stays on the key's line.
		colon := d.offset(k.Line, k.Column) + len(key)
		if colon >= len(d.src) || d.src[colon] != ':' {
			return nil, d.errAt(k, "%s: unexpected layout: edit it by hand", key)
		}
		after := colon + 1
		if seq.Kind == yaml.SequenceNode {
			at := d.offset(seq.Line, seq.Column)
			if seq.Line != k.Line || !strings.HasPrefix(string(d.src[at:]), "[]") {
				return nil, d.errAt(seq, "%s is an empty list written across lines: edit it by hand", key)
			}
			after = at + 2
		}
		lineEnd := d.lineStart(k.Line+1) - len(nl)
		if k.Line == len(d.lines) || lineEnd < after {
			lineEnd = len(d.src)
		}
		rest := string(d.src[after:lineEnd])
		if t := strings.TrimSpace(rest); t != "" && !strings.HasPrefix(t, "#") {
			return nil, d.errAt(seq, "%s is followed by more on its line: edit it by hand", key)
		}
		pad := strings.Repeat(" ", k.Column-1) + "  - "
		return d.appended(key, colon, lineEnd, ":"+strings.TrimRight(rest, " ")+nl+strings.TrimSuffix(block(pad, fields, nl), nl))
	case seq.Kind != yaml.SequenceNode:
		return nil, d.errAt(seq, "%s is not a list", key)
	case isFlow(seq):
		return nil, d.errAt(seq, "%s is a flow list ([...]): write it as a block list (\"- \" lines) to edit it with keaops", key)
	}
	last := seq.Content[len(seq.Content)-1]
	dash, err := d.dash(last)
	if err != nil {
		return nil, err
	}
	first := seq.Content[0]
	fields = keyOrder(fields, Record{node: first}.Keys())
	pad := strings.Repeat(" ", dash-1)
	var text string
	if isFlow(last) {
		text = pad + "- " + flow(fields) + nl
	} else {
		// The keys' column, as the last record has it ("-   key" too).
		gap := strings.Repeat(" ", max(1, last.Column-dash-1))
		text = block(pad+"-"+gap, fields, nl)
	}
	at := d.lineStart(d.ownedEnd(last.Line, dash+1))
	if at == len(d.src) && len(d.src) > 0 && d.src[len(d.src)-1] != '\n' {
		text = nl + text
	}
	return d.appended(key, at, at, text)
}

// appended splices in a new last record and checks that it is one.
func (d *Doc) appended(key string, from, to int, text string) (*Doc, error) {
	nd, err := d.splice(from, to, text)
	if err != nil {
		return nil, err
	}
	return d.checked(nd, key, len(d.records(key)), 1)
}

// block writes fields as a block mapping: the first after lead, the rest
// on lines of their own at lead's width.
func block(lead string, fields []Field, nl string) string {
	var b strings.Builder
	for i, f := range fields {
		if i == 0 {
			b.WriteString(lead)
		} else {
			b.WriteString(strings.Repeat(" ", len(lead)))
		}
		b.WriteString(f.Key + ": " + f.Value + nl)
	}
	return b.String()
}

func flow(fields []Field) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.Key + ": " + f.Value
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// Remove deletes record index of the list: its lines, and nothing else.
// The last record leaves "key: []".
func (d *Doc) Remove(key string, index int) (*Doc, error) {
	k, seq, item, err := d.item(key, index)
	if err != nil {
		return nil, err
	}
	dash, err := d.dash(item)
	if err != nil {
		return nil, err
	}
	from, to := d.lineStart(item.Line), d.lineStart(d.ownedEnd(item.Line, dash+1))
	if len(seq.Content) == 1 {
		// The key's line ends "key:"; the list it heads is now empty.
		end := d.offset(k.Line, k.Column) + len(key)
		if string(d.src[end:end+1]) != ":" {
			return nil, d.errAt(k, "%s: unexpected layout: edit it by hand", key)
		}
		nd, err := d.splice(from, to, "")
		if err != nil {
			return nil, err
		}
		if nd, err = nd.splice(end+1, end+1, " []"); err != nil {
			return nil, err
		}
		return d.checked(nd, key, index, -1)
	}
	nd, err := d.splice(from, to, "")
	if err != nil {
		return nil, err
	}
	return d.checked(nd, key, index, -1)
}

func (d *Doc) item(key string, index int) (k, seq, item *yaml.Node, err error) {
	k, seq = d.list(key)
	if seq == nil || seq.Kind != yaml.SequenceNode || index < 0 || index >= len(seq.Content) {
		return nil, nil, nil, fmt.Errorf("%s: %s has no record %d", d.name, key, index)
	}
	if isFlow(seq) {
		return nil, nil, nil, d.errAt(seq, "%s is a flow list ([...]): write it as a block list (\"- \" lines) to edit it with keaops", key)
	}
	item = seq.Content[index]
	if item.Kind != yaml.MappingNode {
		return nil, nil, nil, d.errAt(item, "this record is not a mapping")
	}
	return k, seq, item, nil
}
