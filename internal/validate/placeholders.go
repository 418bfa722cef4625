package validate

import (
	"reflect"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

var (
	posType    = reflect.TypeFor[model.Pos]()
	optionType = reflect.TypeFor[model.Option]()
)

// checkPlaceholders: secret placeholder text may appear nowhere in a site's
// data. Only the renderer writes placeholders, where the model holds a
// secret reference; one written as an option value (in YAML or in NetBox)
// would otherwise be resolved at apply time and hand the secret to every
// DHCP client. The walk covers every string the model holds, so a field
// added later is covered too.
func checkPlaceholders(s *model.Site, _ []int, report func(model.Finding)) {
	walkStrings(reflect.ValueOf(s), s.Pos, "", func(at model.Pos, field, v string) {
		if strings.Contains(v, model.SecretPrefix) {
			report(model.Errorf(at, "secret", "%s holds secret placeholder text (%s…): secrets are given as {env: NAME} or {file: PATH} where keaops takes them, never as data", field, model.SecretPrefix))
		}
	})
}

// walkStrings calls fn for every string reachable from v, with the
// position of the nearest enclosing entity that has one.
func walkStrings(v reflect.Value, at model.Pos, field string, fn func(at model.Pos, field, v string)) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), at, field, fn)
		}
	case reflect.Struct:
		if v.Type() == posType {
			return
		}
		if p := v.FieldByName("Pos"); p.IsValid() && p.Type() == posType {
			if pos := p.Interface().(model.Pos); pos.File != "" {
				at = pos
			}
		}
		t := v.Type()
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				name := strings.ToLower(t.Field(i).Name)
				if t == optionType {
					name = "option " + v.FieldByName("Name").String()
				}
				walkStrings(v.Field(i), at, name, fn)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkStrings(v.Index(i), at, field, fn)
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			walkStrings(it.Key(), at, field, fn)
			walkStrings(it.Value(), at, field, fn)
		}
	case reflect.String:
		fn(at, field, v.String())
	}
}
