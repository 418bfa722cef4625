package kea

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/keaops/keaops/internal/model"
)

// encode writes the rendered tree as JSON in one pass: keys sorted, two
// spaces of indent, a trailing newline, strings escaped as encoding/json
// does minus HTML escaping (client class tests may hold & < >). The trees
// hold only what the renderer puts in them: maps, lists, strings, bools,
// numbers and the raw Kea JSON of the escape hatch.
//
// A secret in the tree is written as its placeholder and its byte offset
// recorded: consumers substitute secrets only at the offsets the render
// lists, so placeholder text that reached the config any other way (option
// data from a hostile source, say) is never resolved.
func encode(v any) ([]byte, []SecretAt, error) {
	e := encoder{}
	e.b.Grow(4096)
	if err := e.value(v, 0); err != nil {
		return nil, nil, err
	}
	e.b.WriteByte('\n')
	out := e.b.Bytes()
	if n := bytes.Count(out, []byte(model.SecretPrefix)); n != len(e.secrets) {
		return nil, nil, fmt.Errorf("%d secret placeholders in the output, %d put there by the renderer: placeholder text came in through the site's data", n, len(e.secrets))
	}
	return out, e.secrets, nil
}

// secret is a secret reference in the rendered tree ("env:NAME").
type secret string

func secretOf(r *model.SecretRef) secret { return secret(r.Ref()) }

// SecretAt is where a render put a secret's placeholder: the byte offset of
// the JSON string that holds it, and the reference it names.
type SecretAt struct {
	Offset int
	Ref    string
}

type encoder struct {
	b       bytes.Buffer
	secrets []SecretAt
}

func indent(b *bytes.Buffer, depth int) {
	b.WriteByte('\n')
	for range depth {
		b.WriteString("  ")
	}
}

func (e *encoder) value(v any, depth int) error {
	b := &e.b
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 {
			b.WriteString("{}")
			return nil
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			indent(b, depth+1)
			writeString(b, k)
			b.WriteString(": ")
			if err := e.value(t[k], depth+1); err != nil {
				return err
			}
		}
		indent(b, depth)
		b.WriteByte('}')
	case []any:
		if len(t) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		for i, el := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			indent(b, depth+1)
			if err := e.value(el, depth+1); err != nil {
				return err
			}
		}
		indent(b, depth)
		b.WriteByte(']')
	case string:
		writeString(b, t)
	case secret:
		e.secrets = append(e.secrets, SecretAt{Offset: b.Len(), Ref: string(t)})
		writeString(b, model.SecretPrefix+string(t)+model.SecretSuffix)
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case int:
		b.WriteString(strconv.Itoa(t))
	case int64:
		b.WriteString(strconv.FormatInt(t, 10))
	case uint32:
		b.WriteString(strconv.FormatUint(uint64(t), 10))
	case float64:
		b.WriteString(strconv.FormatFloat(t, 'f', -1, 64))
	case json.Number:
		// From raw Kea JSON, decoded keeping the number as written.
		if _, err := strconv.ParseFloat(string(t), 64); err != nil {
			return fmt.Errorf("%q is not a number", t)
		}
		b.WriteString(string(t))
	case []string:
		l := make([]any, len(t))
		for i, x := range t {
			l[i] = x
		}
		return e.value(l, depth)
	case nil:
		b.WriteString("null")
	default:
		return fmt.Errorf("cannot encode %T", v)
	}
	return nil
}

const hexDigits = "0123456789abcdef"

func writeString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			case '\b':
				b.WriteString(`\b`)
			case '\f':
				b.WriteString(`\f`)
			default:
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			b.WriteString(s[start:i])
			if r == utf8.RuneError {
				b.WriteString(`\ufffd`)
			} else {
				b.WriteString(`\u202`)
				b.WriteByte(hexDigits[r&15])
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}
