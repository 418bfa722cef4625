package kea

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/keaops/keaops/internal/model"
)

// TestMergeRaw: the escape hatch adds what the render lacks and never
// overrides what it has.
func TestMergeRaw(t *testing.T) {
	rendered := func() map[string]any {
		return map[string]any{
			"subnet":       "10.0.0.0/24",
			"option-data":  []any{map[string]any{"name": "routers", "data": "10.0.0.1"}},
			"user-context": map[string]any{"name": "A"},
		}
	}
	for _, c := range []struct {
		name, raw string
		want      string // the merged map, or the clash
	}{
		{"a new key", `{"4o6-interface": "eth9"}`, `{"4o6-interface":"eth9","option-data":[{"data":"10.0.0.1","name":"routers"}],"subnet":"10.0.0.0/24","user-context":{"name":"A"}}`},
		{"into a rendered object", `{"user-context": {"rack": 3}}`, `{"option-data":[{"data":"10.0.0.1","name":"routers"}],"subnet":"10.0.0.0/24","user-context":{"name":"A","rack":3}}`},
		{"a list entry of its own", `{"option-data": [{"name": "acs", "space": "vendor-x", "data": "a"}]}`, `{"option-data":[{"data":"10.0.0.1","name":"routers"},{"data":"a","name":"acs","space":"vendor-x"}],"subnet":"10.0.0.0/24","user-context":{"name":"A"}}`},
		{"an option the model renders, again", `{"option-data": [{"name": "routers", "space": "dhcp4", "data": "10.0.0.1"}]}`, "clash: kea.option-data: the entry dhcp4/routers is one keaops renders"},
		{"the same value", `{"subnet": "10.0.0.0/24"}`, `{"option-data":[{"data":"10.0.0.1","name":"routers"}],"subnet":"10.0.0.0/24","user-context":{"name":"A"}}`},
		{"another value", `{"subnet": "10.9.0.0/24"}`, `clash: kea.subnet = "10.9.0.0/24" clashes with what the model sets there ("10.0.0.0/24")`},
		{"deep", `{"user-context": {"name": "B"}}`, `clash: kea.user-context.name = "B" clashes`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var fields map[string]any
			d := json.NewDecoder(strings.NewReader(c.raw))
			d.UseNumber()
			if err := d.Decode(&fields); err != nil {
				t.Fatal(err)
			}
			m := rendered()
			var cl clashes
			cl.mergeRaw(m, model.Raw{Fields: fields, Pos: model.Pos{File: "subnets.yaml", Line: 3, Col: 5}}, "subnet A")
			if want, ok := strings.CutPrefix(c.want, "clash: "); ok {
				if len(cl.out) != 1 || !strings.Contains(cl.out[0].String(), want) || cl.out[0].Pos.Line != 3 {
					t.Errorf("clashes %v; want one at line 3 with %q", cl.out, want)
				}
				return
			}
			got, _ := json.Marshal(m)
			if len(cl.out) > 0 || string(got) != c.want {
				t.Errorf("merged %s, clashes %v; want %s", got, cl.out, c.want)
			}
		})
	}
}
