// Package dhcpd reads ISC dhcpd's configuration (dhcpd.conf) and lease
// database (dhcpd.leases) for keaops import: the files are read into
// statements with positions, the statements into the model, and what Kea
// cannot express is reported with its position, never dropped unsaid.
package dhcpd

import (
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
	var out []token
	comments := map[int]string{}
	line, col := 1, 1
	i := 0
	advance := func(n int) {
		for k := 0; k < n && i < len(src); k++ {
			if src[i] == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
			i++
		}
	}
	for i < len(src) {
		c := src[i]
		pos := Pos{File: file, Line: line, Col: col}
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v':
			advance(1)
		case c == '#':
			start := i
			for i < len(src) && src[i] != '\n' {
				advance(1)
			}
			text := strings.TrimSpace(strings.TrimLeft(string(src[start:i]), "#"))
			if len(out) > 0 && out[len(out)-1].pos.Line == pos.Line {
				text = "\x00" + text // after a statement's words: its own, not the next one's
			}
			comments[pos.Line] = text
		case c == '"':
			text, n, err := lexString(src[i:])
			if err != nil {
				return nil, nil, &Error{Pos: pos, Msg: err.Error()}
			}
			out = append(out, token{tString, text, pos})
			advance(n)
		case (c == '~' || c == '!') && i+1 < len(src) && (src[i+1] == '=' || c == '~' && src[i+1] == '~'):
			out = append(out, token{tPunct, string(src[i : i+2]), pos})
			advance(2)
		case strings.IndexByte("{};,=()!", c) >= 0:
			out = append(out, token{tPunct, string(c), pos})
			advance(1)
		case c < 0x20 || c == 0x7f:
			return nil, nil, &Error{Pos: pos, Msg: fmt.Sprintf("unexpected control character %#02x", c)}
		default:
			start := i
			for i < len(src) && !isSpace(src[i]) && strings.IndexByte("{};,=()!\"#~", src[i]) < 0 && src[i] >= 0x20 && src[i] != 0x7f {
				advance(1)
			}
			if i == start { // a lone '~'
				return nil, nil, &Error{Pos: pos, Msg: fmt.Sprintf("unexpected %q", c)}
			}
			out = append(out, token{tWord, string(src[start:i]), pos})
		}
	}
	return out, comments, nil
}

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
