package kea

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/keaops/keaops/internal/model"
)

// The escape hatch: a scope's raw Kea JSON merged into its render. Raw
// never overrides what the model renders — the same key with another value
// is a clash, an error at the raw's position — and a list in it adds the
// entries whose identity (model.IdentityKeys) the rendered list lacks.

// clashes collects the escape-hatch clashes of one render.
type clashes struct {
	mu  sync.Mutex
	out model.Findings
}

func (c *clashes) add(pos model.Pos, format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.out = append(c.out, model.Errorf(pos, "kea", format, args...))
}

// ClashError is a render refused because a scope's raw Kea JSON clashes
// with what the model renders there.
type ClashError struct{ Findings model.Findings }

func (e *ClashError) Error() string {
	lines := make([]string, len(e.Findings))
	for i, f := range e.Findings {
		lines[i] = f.String()
	}
	return strings.Join(lines, "\n")
}

// mergeRaw merges raw into the rendered map m of scope (for messages).
func (c *clashes) mergeRaw(m map[string]any, raw model.Raw, scope string) {
	if raw.Empty() {
		return
	}
	for _, k := range model.SortedKeys(raw.Fields) {
		c.merge(m, k, plain(raw.Fields[k]), raw.Pos, scope+": kea."+k)
	}
}

func (c *clashes) merge(m map[string]any, k string, v any, pos model.Pos, path string) {
	have, ok := m[k]
	if !ok {
		m[k] = v
		return
	}
	switch hv := have.(type) {
	case map[string]any:
		if rv, isMap := v.(map[string]any); isMap {
			// Merge into a copy: rendered maps may be shared by scopes.
			merged := make(map[string]any, len(hv)+len(rv))
			for mk, mv := range hv {
				merged[mk] = mv
			}
			for _, rk := range model.SortedKeys(rv) {
				c.merge(merged, rk, rv[rk], pos, path+"."+rk)
			}
			m[k] = merged
			return
		}
	case []any:
		if rv, isList := v.([]any); isList {
			ids := map[string]bool{}
			for _, e := range hv {
				ids[model.Identity(k, e)] = true
			}
			merged := slices.Clone(hv)
			for _, e := range rv {
				id := model.Identity(k, e)
				if ids[id] && id != "" {
					if same(e, hv, k, id) {
						continue // restates what the model renders
					}
					c.add(pos, "%s: the entry %s is one keaops renders from the model; set it there, not in kea", path, id)
					continue
				}
				merged = append(merged, e)
			}
			m[k] = merged
			return
		}
	}
	if jsonEqual(have, v) {
		return
	}
	c.add(pos, "%s = %s clashes with what the model sets there (%s); set it in the model, not in kea", path, jsonShow(v), jsonShow(have))
}

// same reports whether entry e of raw equals the rendered entry with the
// same identity.
func same(e any, rendered []any, list, id string) bool {
	for _, r := range rendered {
		if model.Identity(list, r) == id {
			return jsonEqual(r, e)
		}
	}
	return false
}

// plain turns raw values into what the encoder takes: json.Number as is
// (it encodes verbatim), secret references as placeholders.
func plain(v any) any {
	return model.MapSecrets(v, func(r *model.SecretRef) any { return secretOf(r) })
}

func jsonEqual(a, b any) bool { return jsonShow(a) == jsonShow(b) }

func jsonShow(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
