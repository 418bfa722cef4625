package edit

import (
	"fmt"
	"reflect"

	"go.yaml.in/yaml/v3"
)

// checked is the guard every edit passes before it is returned: read
// back, the file must mean what it meant, but for the one record the edit
// was for. A layout the splice misjudged (a value continued on a line less
// indented, say) is then an error, never a wrong file.
func (d *Doc) checked(nd *Doc, key string, touched int, delta int) (*Doc, error) {
	fail := func(what string) (*Doc, error) {
		return nil, fmt.Errorf("%s: keaops cannot edit this layout in place (%s): edit it by hand", d.name, what)
	}
	was, now := d.meaning(key), nd.meaning(key)
	if !reflect.DeepEqual(was, now) {
		return fail("other keys would change")
	}
	before, after := d.records(key), nd.records(key)
	if len(after) != len(before)+delta {
		return fail(fmt.Sprintf("%d records would become %d", len(before), len(after)))
	}
	j := 0
	for i := range before {
		if i == touched {
			if delta < 0 {
				continue
			}
		} else if !reflect.DeepEqual(before[i], after[j]) {
			what := fmt.Sprintf("record %d would change too", i+1)
			if _, seq := d.list(key); touched < len(seq.Content) && seq.Content[touched].Anchor != "" {
				what += fmt.Sprintf(": the record edited carries the anchor &%s, which it merges", seq.Content[touched].Anchor)
			}
			return fail(what)
		}
		j++
	}
	return nd, nil
}

// meaning is the file's content but key, decoded.
func (d *Doc) meaning(key string) map[string]any {
	out := map[string]any{}
	if d.root != nil {
		_ = d.root.Decode(&out)
	}
	delete(out, key)
	return out
}

// records are the list's records, decoded.
func (d *Doc) records(key string) []any {
	_, seq := d.list(key)
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]any, len(seq.Content))
	for i, n := range seq.Content {
		_ = n.Decode(&out[i])
	}
	return out
}
