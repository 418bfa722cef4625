package yamlsrc

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/safefile"
)

// MaxFileSize bounds every input file. The largest realistic input, 100,000
// reservations, is about 12 MiB; anything far beyond is a mistake (a log or a
// lease file pointed at by accident) and must not exhaust memory.
const MaxFileSize = 32 << 20

// maxExpandedNodes bounds alias expansion ("billion laughs"): the copies
// that aliases expand to may total at most this many nodes.
const maxExpandedNodes = 1 << 20

// readDoc reads and parses one YAML file into a plain node tree: aliases
// expanded, merge keys applied, duplicate keys rejected. It returns the
// top-level mapping node, or findings explaining why there is none.
func readDoc(files Files, path string) (*yaml.Node, model.Findings) {
	fail := func(line, col int, format string, args ...any) (*yaml.Node, model.Findings) {
		return nil, model.Findings{model.Errorf(model.Pos{File: path, Line: line, Col: col}, "yaml", format, args...)}
	}
	st, err := files.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fail(0, 0, "file does not exist")
	case err != nil:
		return fail(0, 0, "reading file: %v", err)
	case st.IsDir():
		return fail(0, 0, "is a directory, not a YAML file")
	case !st.Mode().IsRegular():
		return fail(0, 0, "is not a regular file (a FIFO or a device?): keaops reads only regular files")
	case st.Size() > MaxFileSize:
		return fail(0, 0, "file is %.1f MiB, over the %d MiB limit for one input file", float64(st.Size())/(1<<20), MaxFileSize>>20)
	}
	src, err := files.ReadFile(path)
	if errors.Is(err, safefile.ErrTooLarge) {
		return fail(0, 0, "file is over the %d MiB limit for one input file", MaxFileSize>>20)
	}
	if err != nil {
		return fail(0, 0, "reading file: %v", err)
	}
	return parseDoc(path, src)
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseDoc is readDoc without the file system, for tests and fuzzing.
func parseDoc(path string, src []byte) (*yaml.Node, model.Findings) {
	fail := func(line, col int, format string, args ...any) (*yaml.Node, model.Findings) {
		return nil, model.Findings{model.Errorf(model.Pos{File: path, Line: line, Col: col}, "yaml", format, args...)}
	}
	if len(bytes.TrimSpace(src)) == 0 {
		return fail(0, 0, "file is empty")
	}
	if line, col, ok := tabIndent(src); ok {
		return fail(line, col, "tab character in indentation: YAML indents with spaces only")
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		msg := err.Error()
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			line, col := problemLine(src, m[2], line)
			return fail(line, col, "invalid YAML: %s", m[2])
		}
		return fail(0, 0, "invalid YAML: %s", trimYAMLPrefix(msg))
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return fail(0, 0, "file has no YAML document (only comments?)")
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" && root.Value == "" {
		return fail(0, 0, "file has an empty YAML document")
	}
	n := &normalizer{file: path, budget: maxExpandedNodes}
	root = n.node(root, 0, false)
	if len(n.findings) > 0 {
		return nil, n.findings
	}
	if root.Kind != yaml.MappingNode {
		return fail(root.Line, root.Column, "the top level must be a mapping (key: value), not %s", kindName(root))
	}
	return root, nil
}

// problemLine finds the line a YAML parser error is about, and the column
// where that line's text starts. yaml.v3 names the line where the
// enclosing collection starts (its context mark), which for a bad indent
// deep in a long list is line 1. The shortest prefix of whole lines that
// fails with the same problem ends on the line at fault; longer prefixes
// keep failing with it, so a binary search finds it in log2(lines) parses,
// paid only when a file is broken.
func problemLine(src []byte, problem string, reported int) (line, col int) {
	ends := []int{} // ends[k-1]: the end of the first k lines
	for i, b := range src {
		if b == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(ends) == 0 || ends[len(ends)-1] != len(src) {
		ends = append(ends, len(src))
	}
	fails := func(k int) bool {
		var n yaml.Node
		err := yaml.Unmarshal(src[:ends[k-1]], &n)
		if err == nil {
			return false
		}
		m := yamlLineRE.FindStringSubmatch(err.Error())
		return m != nil && m[2] == problem
	}
	// The whole file fails with the problem: that is where it came from.
	lo, hi := max(reported, 1), len(ends)
	if lo > hi {
		return reported, 1
	}
	for lo < hi {
		if mid := (lo + hi) / 2; fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	start := 0
	if lo > 1 {
		start = ends[lo-2]
	}
	text := src[start:ends[lo-1]]
	return lo, len(text) - len(bytes.TrimLeft(text, " ")) + 1
}

func trimYAMLPrefix(s string) string {
	if len(s) > 6 && s[:6] == "yaml: " {
		return s[6:]
	}
	return s
}

// tabIndent finds the first tab used in a line's leading whitespace, where the
// YAML parser would only say "found character that cannot start any token".
func tabIndent(src []byte) (line, col int, ok bool) {
	line = 1
	atStart := true
	col = 0
	for _, b := range src {
		col++
		switch {
		case b == '\n':
			line++
			col = 0
			atStart = true
		case atStart && b == '\t':
			return line, col, true
		case b != ' ':
			atStart = false
		}
	}
	return 0, 0, false
}

// normalizer turns the parser's tree into a plain one. yaml.v3 checks
// duplicate keys only when decoding into Go maps, and expands aliases
// only there; keaops walks nodes to keep positions, so it does both here.
type normalizer struct {
	file     string
	budget   int
	findings model.Findings
}

const maxDepth = 200

func (n *normalizer) errorf(at *yaml.Node, format string, args ...any) {
	n.findings = append(n.findings, model.Errorf(model.Pos{File: n.file, Line: at.Line, Col: at.Column}, "yaml", format, args...))
}

// node normalises y; inAlias is true inside an alias expansion, where every
// node produced counts against the budget.
func (n *normalizer) node(y *yaml.Node, depth int, inAlias bool) *yaml.Node {
	if depth > maxDepth {
		n.errorf(y, "nesting deeper than %d levels", maxDepth)
		return y
	}
	if inAlias {
		n.budget--
		if n.budget < 0 {
			if n.budget == -1 {
				n.errorf(y, "aliases expand to more than %d nodes", maxExpandedNodes)
			}
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: y.Line, Column: y.Column}
		}
	}
	switch y.Kind {
	case yaml.AliasNode:
		// Keep the alias's own position: errors then point where it is used.
		c := *n.node(y.Alias, depth+1, true)
		c.Line, c.Column = y.Line, y.Column
		return &c
	case yaml.SequenceNode:
		// Rebuild the list only when an item changed (an alias expanded
		// somewhere below); most documents have none and are not copied.
		var out []*yaml.Node
		for i, c := range y.Content {
			nc := n.node(c, depth+1, inAlias)
			if nc != c && out == nil {
				out = make([]*yaml.Node, len(y.Content))
				copy(out, y.Content[:i])
			}
			if out != nil {
				out[i] = nc
			}
		}
		if out == nil {
			return y
		}
		c := *y
		c.Content = out
		return &c
	case yaml.MappingNode:
		return n.mapping(y, depth, inAlias)
	}
	return y
}

func (n *normalizer) mapping(y *yaml.Node, depth int, inAlias bool) *yaml.Node {
	out := *y
	out.Content = make([]*yaml.Node, 0, len(y.Content))
	changed := false
	seen := make(map[string]*yaml.Node, len(y.Content)/2)
	var merged []*yaml.Node // key/value pairs from "<<" merges; explicit keys win
	for i := 0; i+1 < len(y.Content); i += 2 {
		k, v := y.Content[i], y.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merged = append(merged, n.mergeSources(v, depth, inAlias)...)
			changed = true
			continue
		}
		if k.Kind != yaml.ScalarNode {
			n.errorf(k, "mapping keys must be plain strings, not %s", kindName(k))
			changed = true
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			n.errorf(k, "duplicate key %q (first at line %d)", k.Value, prev.Line)
			changed = true
			continue
		}
		seen[k.Value] = k
		nv := n.node(v, depth+1, inAlias)
		changed = changed || nv != v
		out.Content = append(out.Content, k, nv)
	}
	for i := 0; i+1 < len(merged); i += 2 {
		if _, dup := seen[merged[i].Value]; dup {
			continue
		}
		seen[merged[i].Value] = merged[i]
		out.Content = append(out.Content, merged[i], merged[i+1])
	}
	if !changed && !inAlias {
		return y
	}
	return &out
}

func (n *normalizer) mergeSources(v *yaml.Node, depth int, inAlias bool) []*yaml.Node {
	v = n.node(v, depth+1, inAlias)
	switch v.Kind {
	case yaml.MappingNode:
		return v.Content
	case yaml.SequenceNode:
		var out []*yaml.Node
		for _, m := range v.Content {
			if m.Kind != yaml.MappingNode {
				n.errorf(m, "a merge key (<<) takes mappings only")
				continue
			}
			out = append(out, m.Content...)
		}
		return out
	}
	n.errorf(v, "a merge key (<<) takes a mapping or a list of mappings")
	return nil
}

func kindName(y *yaml.Node) string {
	switch y.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if y.Tag == "!!null" {
			return "null"
		}
		return fmt.Sprintf("the value %q", y.Value)
	}
	return "an alias"
}

// lookup returns the value node for key in mapping m, or nil.
func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}
