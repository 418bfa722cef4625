package siteyaml

import (
	"bytes"
	"fmt"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestLongListsEncodeAsOne: a list encoded in chunks is byte for byte the
// list encoded whole — comments, quoting and nesting included.
func TestLongListsEncodeAsOne(t *testing.T) {
	list := seq()
	for i := range 3*chunk + 7 {
		m := newMapping()
		m.set("hostname", str(fmt.Sprintf("h%d", i)))
		m.set("flex-id", str("'text'"))
		m.set("ip-address", str("10.0.0.1"))
		m.set("options", value(map[string]any{"a": []any{"1", "true"}, "b": map[string]any{"c": nil}}))
		if i%chunk == 0 {
			m.n.HeadComment = "subnet " + fmt.Sprint(i)
		}
		list.Content = append(list.Content, m.n)
	}
	root := newMapping()
	root.set("version", integer(1))
	root.set("reservations", list)
	var whole, chunked bytes.Buffer
	if err := encodeNode(&whole, root.n, ""); err != nil {
		t.Fatal(err)
	}
	if err := encode(&chunked, root.n); err != nil {
		t.Fatal(err)
	}
	if whole.String() != chunked.String() {
		t.Fatalf("chunked:\n%.600s\nwhole:\n%.600s", chunked.String(), whole.String())
	}
	var back struct{ Reservations []map[string]any }
	if err := yaml.Unmarshal(chunked.Bytes(), &back); err != nil || len(back.Reservations) != 3*chunk+7 {
		t.Fatalf("read back %d records: %v", len(back.Reservations), err)
	}
}
