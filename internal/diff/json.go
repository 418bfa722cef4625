package diff

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// JSON lists raw differences between two Kea configurations, one line per
// path: "path: have → want". Only paths that want sets are compared unless
// bothWays (for two rendered configs; a live one carries Kea's defaults).
// Values of keys that hold secrets are never printed: a live config-get
// returns passwords in clear.
func JSON(have, want json.RawMessage, bothWays bool) ([]string, error) {
	var h, w any
	if err := json.Unmarshal(have, &h); err != nil {
		return nil, fmt.Errorf("decoding the running config: %w", err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		return nil, fmt.Errorf("decoding the rendered config: %w", err)
	}
	var out []string
	jsonWalk("", h, w, bothWays, &out)
	slices.Sort(out)
	return out, nil
}

type missing struct{}

func secretKey(path string) bool {
	i := strings.LastIndex(path, ".")
	return strings.Contains(strings.ToLower(path[i+1:]), "password")
}

func show(path string, v any) string {
	switch t := v.(type) {
	case missing:
		return "(absent)"
	case map[string]any:
		return "{…}"
	case []any:
		return fmt.Sprintf("[%d items]", len(t))
	}
	if secretKey(path) {
		return "(secret)"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func jsonWalk(path string, h, w any, bothWays bool, out *[]string) {
	switch wt := w.(type) {
	case map[string]any:
		ht, ok := h.(map[string]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: %s → %s", path, show(path, h), show(path, w)))
			return
		}
		for k, wv := range wt {
			hv, ok := ht[k]
			if !ok {
				hv = missing{}
			}
			jsonWalk(joinPath(path, k), hv, wv, bothWays, out)
		}
		if bothWays {
			for k, hv := range ht {
				if _, ok := wt[k]; !ok {
					p := joinPath(path, k)
					*out = append(*out, fmt.Sprintf("%s: %s → (absent)", p, show(p, hv)))
				}
			}
		}
	case []any:
		ht, ok := h.([]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: %s → %s", path, show(path, h), show(path, w)))
			return
		}
		if hk, wk := identities(ht), identities(wt); hk != nil && wk != nil {
			walkByIdentity(path, ht, wt, hk, wk, bothWays, out)
			return
		}
		for i := range max(len(wt), len(ht)) {
			p := path + "[" + strconv.Itoa(i) + "]"
			switch {
			case i >= len(ht):
				*out = append(*out, fmt.Sprintf("%s: (absent) → %s", p, show(p, wt[i])))
			case i >= len(wt):
				if bothWays {
					*out = append(*out, fmt.Sprintf("%s: %s → (absent)", p, show(p, ht[i])))
				}
			default:
				jsonWalk(p, ht[i], wt[i], bothWays, out)
			}
		}
	default:
		if secretKey(path) {
			return // placeholders against real values: not comparable, never shown
		}
		hb, _ := json.Marshal(h)
		wb, _ := json.Marshal(w)
		if _, isMissing := h.(missing); isMissing || string(hb) != string(wb) {
			*out = append(*out, fmt.Sprintf("%s: %s → %s", path, show(path, h), show(path, w)))
		}
	}
}

func joinPath(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// identityKeys name what a list entry is, in the order tried: a subnet by
// its id, a reservation by its identifier (so a changed address is one
// change of that reservation), a pool by its range, an option by name or
// code (within its space), a class, peer or logger by name, a hook by its
// library.
var identityKeys = []string{"id", "name", "hw-address", "client-id", "duid", "circuit-id", "flex-id", "pool", "library", "subnet", "code", "socket-type"}

// identities returns each entry's identity ("hw-address=02:…"), or nil
// when some entry has none or two entries share one: such a list is
// compared by position.
func identities(list []any) []string {
	ids := make([]string, len(list))
	seen := make(map[string]bool, len(list))
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil
		}
		for _, k := range identityKeys {
			if v, ok := m[k]; ok {
				b, _ := json.Marshal(v)
				ids[i] = k + "=" + strings.Trim(string(b), `"`)
				// Kea's config-get writes the default space out; a render
				// leaves it implied.
				if sp, ok := m["space"].(string); ok && sp != "dhcp4" {
					ids[i] += ",space=" + sp
				}
				break
			}
		}
		if ids[i] == "" || seen[ids[i]] {
			return nil
		}
		seen[ids[i]] = true
	}
	return ids
}

// walkByIdentity compares two lists entry by entry of the same identity:
// one entry changed, added or removed is one difference, wherever it sits.
func walkByIdentity(path string, h, w []any, hk, wk []string, bothWays bool, out *[]string) {
	have := make(map[string]any, len(h))
	for i, id := range hk {
		have[id] = h[i]
	}
	want := make(map[string]bool, len(w))
	for i, id := range wk {
		want[id] = true
		p := path + "[" + id + "]"
		if hv, ok := have[id]; ok {
			jsonWalk(p, hv, w[i], bothWays, out)
		} else {
			*out = append(*out, fmt.Sprintf("%s: (absent) → %s", p, show(p, w[i])))
		}
	}
	if !bothWays {
		return
	}
	for i, id := range hk {
		if !want[id] {
			p := path + "[" + id + "]"
			*out = append(*out, fmt.Sprintf("%s: %s → (absent)", p, show(p, h[i])))
		}
	}
}
