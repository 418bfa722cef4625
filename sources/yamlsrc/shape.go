package yamlsrc

import (
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
	"go.yaml.in/yaml/v3"

	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/suggest"
	"github.com/keaops/keaops/schema"
)

// shapeChecker validates YAML documents against the embedded CUE schemas.
// A cue.Context is not safe for concurrent use, so each goroutine that
// validates needs its own checker.
type shapeChecker struct {
	ctx    *cue.Context
	schema cue.Value
}

func newShapeChecker() (*shapeChecker, error) {
	ctx := cuecontext.New()
	// cue/build rather than cue/load: load links CUE's module registry
	// client, which an embedded, import-free schema does not need.
	inst := build.NewContext().NewInstance("schema", nil)
	files, err := fs.Glob(schema.FS, "*.cue")
	if err != nil {
		return nil, fmt.Errorf("listing embedded schema: %w", err)
	}
	for _, name := range files {
		src, err := schema.FS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("reading embedded schema: %w", err)
		}
		f, err := parser.ParseFile("schema/"+name, src)
		if err != nil {
			return nil, fmt.Errorf("parsing embedded schema %s: %w", name, err)
		}
		if err := inst.AddSyntax(f); err != nil {
			return nil, fmt.Errorf("adding embedded schema %s: %w", name, err)
		}
	}
	v := ctx.BuildInstance(inst)
	if err := v.Err(); err != nil {
		return nil, fmt.Errorf("building embedded schema: %w", err)
	}
	return &shapeChecker{ctx: ctx, schema: v}, nil
}

func (c *shapeChecker) def(name string) cue.Value {
	return c.schema.LookupPath(cue.ParsePath(name))
}

// recordList is a top-level list whose items are validated one by one.
type recordList struct {
	key   string
	items *yaml.Node
}

// header validates the top level of a document against the definition
// defName with every list of records emptied, and returns those lists for
// records. Validating records apart keeps one bad record from hiding the
// problems of another (CUE suppresses "required" errors when any other
// error exists in the same evaluation) and keeps the cost linear.
func (c *shapeChecker) header(file string, root *yaml.Node, defName string) (model.Findings, []recordList) {
	def := c.def(defName)
	var lists []recordList
	hdr := &yaml.Node{Kind: yaml.MappingNode, Line: root.Line, Column: root.Column}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if strings.HasPrefix(k.Value, "x-") {
			continue // a holder for YAML anchors, as in Compose files
		}
		if v.Kind == yaml.SequenceNode && len(v.Content) > 0 {
			if elem := lookupSchema(def, []string{k.Value, "0"}); elem.Exists() && elem.IncompleteKind() == cue.StructKind {
				lists = append(lists, recordList{key: k.Value, items: v})
				v = &yaml.Node{Kind: yaml.SequenceNode, Line: v.Line, Column: v.Column}
			}
		}
		hdr.Content = append(hdr.Content, k, v)
	}
	return c.check(file, hdr, root, def, nil), lists
}

// recordBatch is how many records one CUE evaluation takes; a batch with an
// error is evaluated again record by record to report every problem.
const recordBatch = 64

// checkRecords validates the records of l against the element type of
// defName's list field, on every CPU: each worker has its own checker
// because a cue.Context is not safe for concurrent use.
func checkRecords(file, defName string, l recordList) (model.Findings, []bool, error) {
	items := l.items.Content
	nb := (len(items) + recordBatch - 1) / recordBatch
	workers := min(runtime.GOMAXPROCS(0), nb)
	results := make([]model.Findings, nb)
	bad := make([]bool, len(items))
	next := atomic.Int64{}
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := newShapeChecker()
			if err != nil {
				errs[w] = err
				return
			}
			list := lookupSchema(c.def(defName), []string{l.key})
			elem := lookupSchema(list, []string{"0"})
			for b := int(next.Add(1) - 1); b < nb; b = int(next.Add(1) - 1) {
				lo, hi := b*recordBatch, min((b+1)*recordBatch, len(items))
				batch := &yaml.Node{Kind: yaml.SequenceNode, Content: items[lo:hi]}
				if list.Unify(c.ctx.BuildExpr(toExpr(batch))).Validate(cue.Concrete(true)) == nil {
					continue
				}
				for i := lo; i < hi; i++ {
					fs := c.check(file, items[i], items[i], elem, []string{l.key, strconv.Itoa(i)})
					bad[i] = len(fs) > 0
					results[b] = append(results[b], fs...)
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	var out model.Findings
	for _, r := range results {
		out = append(out, r...)
	}
	return out, bad, nil
}

// check validates one YAML value against def. data is what CUE sees, orig the
// node positions are taken from (they differ for a header with emptied lists).
func (c *shapeChecker) check(file string, data, orig *yaml.Node, def cue.Value, prefix []string) model.Findings {
	v := def.Unify(c.ctx.BuildExpr(toExpr(data)))
	err := v.Validate(cue.Concrete(true))
	if err == nil {
		return nil
	}
	// CUE drops "field not allowed" and "required" errors when the same
	// evaluation has another error, so walk a failing record's keys against
	// the schema as well.
	explained := map[string]bool{}
	out := c.structure(file, orig, def, def, nil, explained)
	seen := map[string]bool{}
	for _, f := range out {
		seen[f.Message] = true
	}
	for name := range explained {
		seen[missingField(name)] = true
	}
	// Error paths start with the definition's own path (#File.list.[_]).
	strip := len(def.Path().Selectors())
	var paths [][]string
	var found model.Findings
	for _, e := range cueerrors.Errors(err) {
		path := dataPath(e.Path(), strip)
		// CUE reports each failed branch of a disjunction; one line per
		// field is what a person wants.
		key := strings.Join(path, "\x00")
		if seen[key] {
			continue
		}
		seen[key] = true
		if f := c.finding(file, orig, def, path, prefix, e); !seen[f.Message] {
			seen[f.Message] = true
			paths, found = append(paths, path), append(found, f)
		}
	}
	// A value that fits no branch of "scalar or list" fails as a whole and
	// in the element that is wrong: the element is the one to point at.
	for i, f := range found {
		if !slices.ContainsFunc(paths, func(p []string) bool { return len(p) > len(paths[i]) && slices.Equal(p[:len(paths[i])], paths[i]) }) {
			out = append(out, f)
		}
	}
	return out
}

func (c *shapeChecker) finding(file string, root *yaml.Node, def cue.Value, path, prefix []string, e cueerrors.Error) model.Finding {
	keyNode, valNode, parent := walk(root, path)
	field := strings.Join(append(slices.Clone(prefix), path...), ".")
	format, args := e.Msg()
	msg := fmt.Sprintf(format, args...)
	if strings.Contains(msg, "mismatched types") && valNode != nil {
		// CUE prints both whole values here; the kinds are what matter.
		msg = fmt.Sprintf("want %s, not %s", kindWord(lookupSchema(def, path)), kindName(valNode))
	}
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	pos := func(n *yaml.Node) model.Pos { return model.Pos{File: file, Line: n.Line, Col: n.Column} }
	last := ""
	if len(path) > 0 {
		last = path[len(path)-1]
	}
	switch {
	case strings.Contains(msg, "field not allowed") && keyNode != nil:
		m := fmt.Sprintf("unknown field %q", last)
		if s := suggest.Closest(last, allowedFields(def, path[:len(path)-1]), 3); s != "" {
			m += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return model.Errorf(pos(keyNode), "schema", "%s", m)
	case strings.Contains(msg, "required but not present"):
		return model.Errorf(pos(parent), "schema", "%s", missingField(last))
	}
	at := parent
	if valNode != nil {
		at = valNode
	}
	if doc := docAttr(def, path); doc != "" && valNode != nil {
		return model.Errorf(pos(at), "schema", "%s: invalid value %s: want %s", field, describe(valNode), doc)
	}
	if field == "" {
		return model.Errorf(pos(at), "schema", "%s", msg)
	}
	return model.Errorf(pos(at), "schema", "%s: %s", field, msg)
}

// structure reports every key of n (and of its nested mappings) that the
// schema at sv does not allow, and every required field that is missing
// unless a misspelt key explains it: "prefxes (did you mean prefixes?)"
// says all there is to say. The names so explained are added to explained.
func (c *shapeChecker) structure(file string, n *yaml.Node, def, sv cue.Value, path []string, explained map[string]bool) model.Findings {
	var out, nested model.Findings
	switch n.Kind {
	case yaml.MappingNode:
		if sv.IncompleteKind() != cue.StructKind {
			return nil
		}
		var missing []string
		if it, err := sv.Fields(cue.Optional(true)); err == nil {
			for it.Next() {
				name := it.Selector().Unquoted()
				if it.Selector().ConstraintType() == cue.RequiredConstraint && get(n, name) == nil {
					missing = append(missing, name)
				}
			}
		}
		var unknown model.Findings
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			p := append(slices.Clone(path), k.Value)
			if !sv.Allows(cue.Str(k.Value)) {
				m := fmt.Sprintf("unknown field %q", k.Value)
				if s := suggest.Closest(k.Value, allowedFields(def, path), 3); s != "" {
					m += fmt.Sprintf(" (did you mean %q?)", s)
					if slices.Contains(missing, s) {
						explained[s] = true
					}
				}
				unknown = append(unknown, model.Errorf(model.Pos{File: file, Line: k.Line, Col: k.Column}, "schema", "%s", m))
				continue
			}
			nested = append(nested, c.structure(file, n.Content[i+1], def, lookupSchema(def, p), p, explained)...)
		}
		for _, name := range missing {
			if !explained[name] {
				out = append(out, model.Errorf(model.Pos{File: file, Line: n.Line, Col: n.Column}, "schema", "%s", missingField(name)))
			}
		}
		out = append(out, unknown...)
	case yaml.SequenceNode:
		for i, item := range n.Content {
			p := append(slices.Clone(path), strconv.Itoa(i))
			nested = append(nested, c.structure(file, item, def, lookupSchema(def, p), p, explained)...)
		}
	}
	return append(out, nested...)
}

func missingField(name string) string { return fmt.Sprintf("missing required field %q", name) }

// dataPath turns a CUE error path into YAML keys: it drops the definition
// name and unquotes labels such as "hw-address".
func dataPath(p []string, strip int) []string {
	if strip <= len(p) {
		p = p[strip:]
	}
	out := make([]string, 0, len(p))
	for _, el := range p {
		if u, err := strconv.Unquote(el); err == nil {
			el = u
		}
		out = append(out, el)
	}
	return out
}

// walk follows a CUE error path through the YAML tree. It returns the key
// and value nodes of the last element when they exist, and always the
// deepest existing node on the way (for "missing field" errors).
func walk(root *yaml.Node, path []string) (key, val, parent *yaml.Node) {
	cur := root
	for i, el := range path {
		var k, v *yaml.Node
		switch cur.Kind {
		case yaml.MappingNode:
			k, v = lookup(cur, el)
		case yaml.SequenceNode:
			if n, err := strconv.Atoi(el); err == nil && n >= 0 && n < len(cur.Content) {
				v = cur.Content[n]
			}
		}
		if v == nil {
			return nil, nil, cur
		}
		if i == len(path)-1 {
			return k, v, cur
		}
		cur = v
	}
	return nil, cur, cur
}

// lookupSchema follows a data path through the schema: list indices become
// the element type, and fields are found whatever their constraint (a
// LookupPath for "x" does not find "x?" or "x!").
func lookupSchema(def cue.Value, path []string) cue.Value {
	v := def
	for _, el := range path {
		if _, err := strconv.Atoi(el); err == nil {
			v = v.LookupPath(cue.MakePath(cue.AnyIndex))
			continue
		}
		next := cue.Value{}
		for _, sel := range []cue.Selector{cue.Str(el), cue.Str(el).Optional(), cue.Str(el).Required()} {
			if next = v.LookupPath(cue.MakePath(sel)); next.Exists() {
				break
			}
		}
		v = next
		if !v.Exists() {
			return v
		}
	}
	return v
}

// docAttr returns the @doc attribute of the schema field at path, looking
// through list indices to the field that holds the list.
func docAttr(def cue.Value, path []string) string {
	for n := len(path); n > 0; n-- {
		a := lookupSchema(def, path[:n]).Attribute("doc")
		if s, err := a.String(0); err == nil && s != "" {
			return s
		}
		if _, err := strconv.Atoi(path[n-1]); err != nil {
			break
		}
	}
	return ""
}

func allowedFields(def cue.Value, path []string) []string {
	v := lookupSchema(def, path)
	it, err := v.Fields(cue.Optional(true))
	if err != nil {
		return nil
	}
	var out []string
	for it.Next() {
		out = append(out, it.Selector().Unquoted())
	}
	return out
}

func kindWord(v cue.Value) string {
	switch k := v.IncompleteKind(); {
	case k == cue.StructKind:
		return "a mapping (key: value)"
	case k == cue.ListKind:
		return "a list"
	case k&cue.StringKind != 0 && k&cue.ListKind != 0:
		return "a value or a list"
	case k == cue.StringKind:
		return "a string"
	case k&cue.NumberKind != 0:
		return "a number"
	case k == cue.BoolKind:
		return "true or false"
	}
	return "another kind of value"
}

func describe(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		if n.Tag == "!!str" {
			return strconv.Quote(n.Value)
		}
		return n.Value
	}
	return kindName(n)
}

// toExpr converts a normalised YAML tree to a CUE expression. Positions are
// not carried over: findings take them from the YAML nodes instead.
func toExpr(n *yaml.Node) ast.Expr {
	switch n.Kind {
	case yaml.MappingNode:
		st := &ast.StructLit{Elts: make([]ast.Decl, 0, len(n.Content)/2)}
		for i := 0; i+1 < len(n.Content); i += 2 {
			st.Elts = append(st.Elts, &ast.Field{Label: ast.NewString(n.Content[i].Value), Value: toExpr(n.Content[i+1])})
		}
		return st
	case yaml.SequenceNode:
		l := &ast.ListLit{Elts: make([]ast.Expr, len(n.Content))}
		for i, c := range n.Content {
			l.Elts[i] = toExpr(c)
		}
		return l
	case yaml.ScalarNode:
		return scalarExpr(n)
	}
	return ast.NewNull()
}

func scalarExpr(n *yaml.Node) ast.Expr {
	switch n.ShortTag() {
	case "!!null":
		return ast.NewNull()
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return ast.NewBool(b)
		}
	case "!!int":
		var i int64
		if n.Decode(&i) == nil {
			return ast.NewLit(token.INT, strconv.FormatInt(i, 10))
		}
		var u uint64
		if n.Decode(&u) == nil {
			return ast.NewLit(token.INT, strconv.FormatUint(u, 10))
		}
	case "!!float":
		var f float64
		if n.Decode(&f) == nil && !isNaNOrInf(f) {
			return ast.NewLit(token.FLOAT, strconv.FormatFloat(f, 'g', -1, 64))
		}
	}
	return ast.NewString(n.Value)
}

func isNaNOrInf(f float64) bool { return f != f || f > 1e308 || f < -1e308 }
