// Package dhcpd reads ISC dhcpd's configuration (dhcpd.conf) and lease
// database (dhcpd.leases) for keaops import: the files are read into
// statements with positions, the statements into the model, and what Kea
// cannot express is reported with its position, never dropped unsaid.
package dhcpd

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// tokKind is what a token is.
type tokKind uint8

const (
	tWord   tokKind = iota // a keyword, name, address, number or hex string
	tString                // "quoted", escapes resolved
	tPunct                 // { } ; , = ( ) ! and the two-character ~= ~~ !=
)

// token is one lexical unit of a dhcpd file, where it starts.
type token struct {
	kind tokKind
	text string
	pos  Pos
}

// Pos is a position in a dhcpd file, 1-based.
type Pos = model.Pos

// Error is a mistake in a dhcpd file, at its position.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// lex splits src into tokens. dhcpd's grammar is a sequence of words and
// strings ended by ';' or grouped by braces; comments run from '#' to the
// end of the line, and are returned by line: a person's names for things
// (a VLAN, what a subnet is for) are often only there.
func lex(file string, src []byte) ([]token, map[int]string, error) {
	out := make([]token, 0, len(src)/6)
	comments := map[int]string{}
	line, lineStart := 1, 0 // a token's column is its offset from lineStart
	i := 0
	for i < len(src) {
		c := src[i]
		pos := Pos{File: file, Line: line, Col: i - lineStart + 1}
		switch {
		case c == '\n':
			i++
			line, lineStart = line+1, i
		case isSpace(c):
			i++
		case c == '#':
			end := bytes.IndexByte(src[i:], '\n')
			if end < 0 {
				end = len(src) - i
			}
			text := strings.TrimSpace(strings.TrimLeft(string(src[i:i+end]), "#"))
			if len(out) > 0 && out[len(out)-1].pos.Line == pos.Line {
				text = "\x00" + text // after a statement's words: its own, not the next one's
			}
			comments[pos.Line] = text
			i += end
		case c == '"':
			text, n, err := lexString(src[i:])
			if err != nil {
				return nil, nil, &Error{Pos: pos, Msg: err.Error()}
			}
			out = append(out, token{tString, text, pos})
			i += n // a string holds no newline
		case (c == '~' || c == '!') && i+1 < len(src) && (src[i+1] == '=' || c == '~' && src[i+1] == '~'):
			out = append(out, token{tPunct, string(src[i : i+2]), pos})
			i += 2
		case punct[c]:
			out = append(out, token{tPunct, string(c), pos})
			i++
		case c < 0x20 || c == 0x7f:
			return nil, nil, &Error{Pos: pos, Msg: fmt.Sprintf("unexpected control character %#02x", c)}
		default:
			start := i
			for i < len(src) && !endsWord[src[i]] {
				i++
			}
			if i == start { // a lone '~'
				return nil, nil, &Error{Pos: pos, Msg: fmt.Sprintf("unexpected %q", c)}
			}
			out = append(out, token{tWord, string(src[start:i]), pos})
		}
	}
	return out, comments, nil
}

// punct are the one-character punctuation tokens; endsWord the bytes a
// word stops at (space, punctuation, a quote, a comment, control bytes).
var punct, endsWord = func() (p, e [256]bool) {
	for _, c := range []byte("{};,=()!") {
		p[c] = true
	}
	for c := 0; c < 256; c++ {
		b := byte(c)
		e[c] = isSpace(b) || strings.IndexByte("{};,=()!\"#~", b) >= 0 || b < 0x20 || b == 0x7f
	}
	return p, e
}()

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'
}

// lexString reads a quoted string at the start of src: its text with
// dhcpd's escapes resolved (\" \\ \n \t \r and octal \NNN, \xHH), and how
// many bytes it took.
func lexString(src []byte) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '"':
			return b.String(), i + 1, nil
		case c == '\n':
			return "", 0, fmt.Errorf("string not closed before the end of the line")
		case c == '\\' && i+1 < len(src):
			i++
			switch e := src[i]; {
			case e == 'n':
				b.WriteByte('\n')
			case e == 't':
				b.WriteByte('\t')
			case e == 'r':
				b.WriteByte('\r')
			case e >= '0' && e <= '7':
				v, n := 0, 0
				for n < 3 && i+n < len(src) && src[i+n] >= '0' && src[i+n] <= '7' {
					v = v*8 + int(src[i+n]-'0')
					n++
				}
				if v > 255 {
					return "", 0, fmt.Errorf("octal escape \\%s is more than a byte", src[i:i+n])
				}
				b.WriteByte(byte(v))
				i += n - 1
			case e == 'x':
				v, n := 0, 0
				for n < 2 && i+1+n < len(src) && isHexDigit(src[i+1+n]) {
					v = v*16 + hexVal(src[i+1+n])
					n++
				}
				if n == 0 {
					return "", 0, fmt.Errorf("\\x without hex digits")
				}
				b.WriteByte(byte(v))
				i += n
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, fmt.Errorf("string not closed")
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return int(c-'A') + 10
}
