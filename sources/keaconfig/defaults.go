package keaconfig

import (
	"embed"
	"encoding/json"
	"path"
	"strings"
)

// Kea's config-get prints every parameter, defaults included. The tables
// in defaults/ are what each Kea version adds, scope by scope, to a
// configuration that sets nothing (TestDefaultsAreKeas reads them from the
// real daemons): a value equal to its default is not a setting.

//go:embed defaults/*.json
var defaultsFS embed.FS

// defaultTables: Kea line → scope → key → default.
var defaultTables = func() map[string]map[string]map[string]any {
	out := map[string]map[string]map[string]any{}
	files, _ := defaultsFS.ReadDir("defaults")
	for _, f := range files {
		data, err := defaultsFS.ReadFile(path.Join("defaults", f.Name()))
		if err != nil {
			panic(err) // embedded at build time
		}
		var t map[string]map[string]any
		if err := decodeClean(data, &t); err != nil {
			panic("defaults/" + f.Name() + ": " + err.Error())
		}
		out[strings.TrimSuffix(f.Name(), ".json")] = t
	}
	return out
}()

// isDefault reports whether v is Kea's default for key at scope, in any
// version keaops knows (a live config's version is not always known, and
// the versions' defaults agree where they share a key). A map is a
// default when each of its keys is.
func isDefault(scope, key string, v any) bool {
	path := strings.Split(scope, ".")
	for _, t := range defaultTables {
		var at any = t[path[0]]
		for _, p := range path[1:] {
			m, _ := at.(map[string]any)
			at = m[p]
		}
		m, _ := at.(map[string]any)
		if d, ok := m[key]; ok && sameDefault(d, v) {
			return true
		}
	}
	return isEmpty(v)
}

func sameDefault(d, v any) bool {
	dm, ok1 := d.(map[string]any)
	vm, ok2 := v.(map[string]any)
	if ok1 && ok2 {
		for k, e := range vm {
			if de, ok := dm[k]; !ok || !sameDefault(de, e) {
				return false
			}
		}
		return true
	}
	return jsonText(d) == jsonText(v)
}

// isEmpty: an empty list, map or string says nothing.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case []any:
		return len(x) == 0
	case map[string]any:
		for _, e := range x {
			if !isEmpty(e) {
				return false
			}
		}
		return true
	case string:
		return x == ""
	}
	return false
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// pruneEntry removes from an entry of a list the model leaves whole what
// config-get adds to it: a logger's debuglevel 0 and output defaults.
func pruneEntry(list string, e any) any {
	m, ok := e.(map[string]any)
	if list != "loggers" || !ok {
		return e
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch k {
		case "debuglevel":
			if jsonText(v) == "0" {
				continue
			}
		case "output_options", "output-options":
			l, _ := v.([]any)
			outs := make([]any, 0, len(l))
			for _, o := range l {
				om, _ := o.(map[string]any)
				kept := map[string]any{}
				for ok, ov := range om {
					if def, known := loggerOutputDefaults[ok]; !known || jsonText(ov) != def {
						kept[ok] = ov
					}
				}
				outs = append(outs, kept)
			}
			v = outs
		}
		out[k] = v
	}
	return out
}
