// Package keaexpr checks Kea's client classification expressions (a
// class's "test") the way kea-dhcp4 parses them, so that a mistake such as
// option[175].exist or pkt4.mac == is a positioned error at keaops check,
// not a config-test failure on the server. It checks; it does not
// evaluate. The grammar is Kea's (src/lib/eval: lexer.ll, parser.yy) as
// the ARM's "Using Expressions in Classification" describes it, and a
// table of cases is held against the real kea-dhcp4 -t of every Kea
// version the tests provide.
package keaexpr

import (
	"fmt"
	"strings"
)

type kind int

const (
	tEOF kind = iota
	tString
	tHex
	tInt
	tAddr
	tName // a word: keyword, or an option name inside [...]
	tPunct
)

type token struct {
	kind kind
	text string
	at   int // byte offset in the expression
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "the end of the expression"
	case tString:
		return "the string " + t.text
	}
	return fmt.Sprintf("%q", t.text)
}

// Error is a mistake at a byte offset of the expression.
type Error struct {
	Offset int
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("at character %d: %s", e.Offset+1, e.Msg) }

func errAt(at int, format string, args ...any) *Error {
	return &Error{Offset: at, Msg: fmt.Sprintf(format, args...)}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isHexDigit(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// lex splits an expression into tokens as Kea's flex lexer does: the
// longest match wins, a quoted string runs to the next quote on the same
// line, and any other character is an error.
func lex(s string) ([]token, error) {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case c == '\'':
			j := strings.IndexAny(s[i+1:], "'\n")
			if j < 0 || s[i+1+j] == '\n' {
				return nil, errAt(i, "the string starting here has no closing quote (')")
			}
			out = append(out, token{tString, s[i : i+j+2], i})
			i += j + 2
		case c == '0' && i+2 < len(s) && (s[i+1] == 'x' || s[i+1] == 'X') && isHexDigit(s[i+2]):
			j := i + 2
			for j < len(s) && isHexDigit(s[j]) {
				j++
			}
			out = append(out, token{tHex, s[i:j], i})
			i = j
		case isDigit(c) || c == '-' && i+1 < len(s) && isDigit(s[i+1]) || isHexDigit(c) || c == ':':
			t, n, err := number(s, i)
			if err != nil {
				return nil, err
			}
			if n == 0 { // a letter a-f that starts a word
				t, n = word(s, i)
			}
			if n == 0 { // a lone ':'
				return nil, errAt(i, "%q is not a character Kea's expressions use here", string(rune(c)))
			}
			out = append(out, t)
			i += n
		case isLetter(c):
			t, n := word(s, i)
			out = append(out, t)
			i += n
		case c == '=' && i+1 < len(s) && s[i+1] == '=':
			out = append(out, token{tPunct, "==", i})
			i += 2
		case strings.IndexByte("()[].,+*", c) >= 0:
			out = append(out, token{tPunct, string(c), i})
			i++
		default:
			return nil, errAt(i, "%q is not a character Kea's expressions use", string(rune(c)))
		}
	}
	return append(out, token{tEOF, "", len(s)}), nil
}

// number reads an integer, an IPv4 address (four dotted numbers) or an
// IPv6 address (hex digits with at least two colons); n is 0 when s[i:]
// is none of them (a word starting with a hex letter).
func number(s string, i int) (token, int, error) {
	j := i
	for j < len(s) && (isHexDigit(s[j]) || s[j] == ':' || s[j] == '.' || j == i && s[j] == '-') {
		j++
	}
	text := s[i:j]
	switch {
	case strings.Count(text, ":") >= 2:
		return token{tAddr, text, i}, len(text), nil
	case isDigit(s[i]) || s[i] == '-':
		k := i
		if s[k] == '-' {
			k++
		}
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		if d := s[i:k]; k < len(s) && s[k] == '.' {
			// Four dotted decimal numbers make an address; anything else
			// dotted is a number followed by a "."
			parts := strings.SplitN(s[i:], ".", 5)
			if len(parts) >= 4 && allDigits(parts[0]) && allDigits(parts[1]) && allDigits(parts[2]) && leadingDigits(parts[3]) > 0 {
				n := len(parts[0]) + len(parts[1]) + len(parts[2]) + 3 + leadingDigits(parts[3])
				return token{tAddr, s[i : i+n], i}, n, nil
			}
			return token{tInt, d, i}, len(d), nil
		}
		return token{tInt, s[i:k], i}, k - i, nil
	}
	return token{}, 0, nil
}

func allDigits(s string) bool { return s != "" && leadingDigits(s) == len(s) }

func leadingDigits(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}

// word reads a keyword or a name: letters, digits, '-' and '_', not ending
// in '-' or '_' (an option name's rule; "vendor-class" is one word).
func word(s string, i int) (token, int) {
	j := i
	for j < len(s) && (isLetter(s[j]) || isDigit(s[j]) || s[j] == '-' || s[j] == '_') {
		j++
	}
	for j > i+1 && (s[j-1] == '-' || s[j-1] == '_') {
		j--
	}
	return token{tName, s[i:j], i}, j - i
}
