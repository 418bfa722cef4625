package keaconfig

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// obj is one JSON object of a configuration being read. Every key a reader
// takes is marked, so that what is left at the end — rest — is exactly
// what the model did not take: it goes to the escape hatch or into the
// report, and is never dropped unsaid.
type obj struct {
	p    *parser
	m    map[string]any
	path string
	// taken keys, few per object: a slice is cheaper than a map for the
	// hundreds of thousands of objects of a large config.
	taken []string
	kids  map[string]*obj
	lists map[string][]*obj
	// claimed: a reader took responsibility for the whole object,
	// leftovers included (they became its Raw or were reported).
	claimed bool
}

// parser collects the mistakes and the unmodelled paths of one read.
type parser struct {
	errs       []string
	unmodelled []string
	// literals is non-nil when an import reads the config: a secret
	// written literally becomes a reference, listed here.
	literals     *[]Literal
	secretValues map[string]string // env name → the value, to name each value once
}

func (p *parser) errorf(path, format string, args ...any) {
	p.errs = append(p.errs, path+": "+fmt.Sprintf(format, args...))
}

func (p *parser) obj(m map[string]any, path string) *obj {
	return &obj{p: p, m: m, path: path}
}

func (o *obj) take(k string) {
	if !o.isTaken(k) {
		o.taken = append(o.taken, k)
	}
}

func (o *obj) isTaken(k string) bool { return slices.Contains(o.taken, k) }

func (o *obj) has(k string) bool { _, ok := o.m[k]; return ok }

func (o *obj) get(k string) (any, bool) {
	v, ok := o.m[k]
	if ok {
		o.take(k)
	}
	return v, ok
}

func (o *obj) str(k string) string {
	v, ok := o.get(k)
	if !ok {
		return ""
	}
	s, isStr := v.(string)
	if !isStr {
		o.p.errorf(o.path+"."+k, "want a string, not %s", jsonText(v))
	}
	return s
}

func (o *obj) boolp(k string) *bool {
	v, ok := o.get(k)
	if !ok {
		return nil
	}
	b, isBool := v.(bool)
	if !isBool {
		o.p.errorf(o.path+"."+k, "want true or false, not %s", jsonText(v))
		return nil
	}
	return &b
}

func (o *obj) flag(k string) bool {
	b := o.boolp(k)
	return b != nil && *b
}

func (o *obj) intp(k string) *int64 {
	v, ok := o.get(k)
	if !ok {
		return nil
	}
	n, err := toInt(v)
	if err != nil {
		o.p.errorf(o.path+"."+k, "%v", err)
		return nil
	}
	return &n
}

func toInt(v any) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("want a number, not %s", jsonText(v))
	}
	i, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("want a whole number, not %s", n)
	}
	return i, nil
}

func (o *obj) strs(k string) []string {
	v, ok := o.get(k)
	if !ok {
		return nil
	}
	l, isList := v.([]any)
	var out []string
	for i, e := range l {
		s, isStr := e.(string)
		if !isStr {
			o.p.errorf(fmt.Sprintf("%s.%s[%d]", o.path, k, i), "want a string, not %s", jsonText(e))
			continue
		}
		out = append(out, s)
	}
	if !isList {
		o.p.errorf(o.path+"."+k, "want a list of strings, not %s", jsonText(v))
	}
	return out
}

// child is the object at k (an empty one when there is none); what the
// reader leaves of it is part of o's rest.
func (o *obj) child(k string) *obj {
	if c, ok := o.kids[k]; ok {
		return c
	}
	v, ok := o.m[k]
	if !ok {
		return &obj{p: o.p, path: o.path + "." + k} // nothing there, nothing left
	}
	m, _ := v.(map[string]any)
	if m == nil {
		o.p.errorf(o.path+"."+k, "want an object, not %s", jsonText(v))
		o.take(k)
	}
	c := o.p.obj(m, o.path+"."+k)
	if o.kids == nil {
		o.kids = map[string]*obj{}
	}
	o.kids[k] = c
	return c
}

// list is the objects of the list at k. An entry a reader never opens
// stays whole in o's rest; one it opens and does not claim leaves its
// leftovers to the report.
func (o *obj) list(k string) []*obj {
	if l, ok := o.lists[k]; ok {
		return l
	}
	v, ok := o.m[k]
	if !ok {
		return nil
	}
	l, isList := v.([]any)
	if !isList {
		o.p.errorf(o.path+"."+k, "want a list, not %s", jsonText(v))
		o.take(k)
		return nil
	}
	out := make([]*obj, len(l))
	for i, e := range l {
		m, isMap := e.(map[string]any)
		if !isMap {
			o.p.errorf(fmt.Sprintf("%s.%s[%d]", o.path, k, i), "want an object, not %s", jsonText(e))
			m = map[string]any{}
		}
		out[i] = o.p.obj(m, fmt.Sprintf("%s.%s[%d]", o.path, k, i))
	}
	if o.lists == nil {
		o.lists = map[string][]*obj{}
	}
	o.lists[k] = out
	return out
}

func (o *obj) opened() bool { return len(o.taken) > 0 || len(o.kids) > 0 || len(o.lists) > 0 }

// rest is what no reader took, pruned of Kea's defaults for scope: the
// keys never taken, the rest of each child object, and the list entries
// never opened. Leftovers of opened, unclaimed list entries are reported.
func (o *obj) rest(scope string) map[string]any {
	if len(o.taken) == len(o.m) {
		return nil // all taken: the common case, a config keaops rendered
	}
	out := map[string]any{}
	for k, v := range o.m {
		switch {
		case o.isTaken(k):
		case o.kids[k] != nil:
			if o.kids[k].claimed {
				continue // its reader kept what was left
			}
			if r := o.kids[k].rest(scope + "." + k); len(r) > 0 {
				out[k] = r
			}
		case o.lists[k] != nil:
			var whole []any
			for i, e := range o.lists[k] {
				switch {
				case !e.opened():
					whole = append(whole, pruneEntry(k, v.([]any)[i]))
				case !e.claimed:
					e.report(scope + "." + k)
				}
			}
			if len(whole) > 0 {
				out[k] = whole
			}
		case !isDefault(scope, k, v):
			out[k] = v
		}
	}
	return out
}

// report adds what o's readers left to the unmodelled paths.
func (o *obj) report(scope string) {
	o.claimed = true
	r := o.rest(scope)
	for _, k := range slices.Sorted(maps.Keys(r)) {
		o.p.unmodelled = append(o.p.unmodelled, o.path+"."+k+" = "+jsonText(r[k]))
	}
}
