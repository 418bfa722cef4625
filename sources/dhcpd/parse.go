package dhcpd

import (
	"fmt"
	"slices"
	"strings"
)

// stmt is one statement of a dhcpd file: its words up to the ';' or '{'
// that ends them, and the block that follows a '{'.
type stmt struct {
	words    []token
	block    []*stmt
	hasBlock bool
	pos      Pos
	// comment is the comment on the lines right above the statement and
	// after its first words on the same line.
	comment string
}

// keyword is the statement's first word, lower case.
func (s *stmt) keyword() string {
	if len(s.words) == 0 {
		return ""
	}
	return strings.ToLower(s.words[0].text)
}

// arg is word i's text ("" when there is none).
func (s *stmt) arg(i int) string {
	if i < len(s.words) {
		return s.words[i].text
	}
	return ""
}

// text is the statement as dhcpd.conf would show it, for reports.
func (s *stmt) text() string {
	parts := make([]string, 0, len(s.words))
	for _, w := range s.words {
		if w.kind == tString {
			parts = append(parts, fmt.Sprintf("%q", w.text))
		} else {
			parts = append(parts, w.text)
		}
	}
	out := strings.Join(parts, " ")
	out = strings.ReplaceAll(out, " ,", ",")
	if s.hasBlock {
		return out + " { … }"
	}
	return out + ";"
}

// maxIncludeDepth bounds nested includes; a loop is refused before it.
const maxIncludeDepth = 10

// readConf reads a dhcpd file and the files it includes.
func readConf(path string, read func(string) ([]byte, error)) ([]*stmt, error) {
	p := &confParser{read: read}
	return p.file(path, nil)
}

type confParser struct {
	read     func(string) ([]byte, error)
	comments map[int]string // of the file being read
	files    int            // read so far, includes included
}

// maxFiles bounds the files one configuration reads: a file included in
// several places at every level would otherwise multiply without end.
const maxFiles = 1000

func (p *confParser) file(path string, stack []string) ([]*stmt, error) {
	if slices.Contains(stack, path) {
		return nil, fmt.Errorf("%s includes itself (through %s)", path, strings.Join(stack, " → "))
	}
	if len(stack) > maxIncludeDepth {
		return nil, fmt.Errorf("%s: includes nest more than %d deep", path, maxIncludeDepth)
	}
	if p.files++; p.files > maxFiles {
		return nil, fmt.Errorf("%s: the configuration includes more than %d files", path, maxFiles)
	}
	src, err := p.read(path)
	if err != nil {
		return nil, err
	}
	toks, comments, err := lex(path, src)
	if err != nil {
		return nil, err
	}
	outer := p.comments
	p.comments = comments
	defer func() { p.comments = outer }()
	i := 0
	list, err := p.stmts(toks, &i, false, append(stack, path))
	if err != nil {
		return nil, err
	}
	return list, nil
}

// stmts reads statements from toks[*i:] until the end (or, in a block,
// its closing brace).
func (p *confParser) stmts(toks []token, i *int, inBlock bool, stack []string) ([]*stmt, error) {
	var out []*stmt
	var cur *stmt
	for *i < len(toks) {
		t := toks[*i]
		*i++
		switch {
		case t.kind == tPunct && t.text == ";":
			if cur == nil {
				continue // an empty statement, or the ';' some put after '}'
			}
			if err := p.add(&out, cur, stack); err != nil {
				return nil, err
			}
			cur = nil
		case t.kind == tPunct && t.text == "{" && cur != nil && cur.keyword() == "option" && hasPunct(cur.words, "="):
			// A record type in an option definition, { ip-address, text }:
			// words, not a block.
			cur.words = append(cur.words, t)
			for *i < len(toks) && toks[*i].text != "}" && toks[*i].text != ";" {
				cur.words = append(cur.words, toks[*i])
				*i++
			}
			if *i < len(toks) && toks[*i].text == "}" {
				cur.words = append(cur.words, toks[*i])
				*i++
			}
		case t.kind == tPunct && t.text == "{":
			if cur == nil {
				return nil, &Error{Pos: t.pos, Msg: "'{' without a statement before it"}
			}
			open := t.pos
			block, err := p.stmts(toks, i, true, stack)
			if err != nil {
				return nil, err
			}
			if *i > len(toks) || toks[*i-1].text != "}" || toks[*i-1].kind != tPunct {
				return nil, &Error{Pos: open, Msg: fmt.Sprintf("the block of %q opened here is never closed", cur.keyword())}
			}
			cur.block, cur.hasBlock = block, true
			out = append(out, cur)
			cur = nil
		case t.kind == tPunct && t.text == "}":
			if !inBlock {
				return nil, &Error{Pos: t.pos, Msg: "'}' without a block to close"}
			}
			if cur != nil {
				return nil, &Error{Pos: cur.pos, Msg: fmt.Sprintf("%q is not ended by ';' before the '}' at %d:%d", cur.text(), t.pos.Line, t.pos.Col)}
			}
			return out, nil
		default:
			if cur == nil {
				cur = &stmt{pos: t.pos, comment: p.commentAt(t.pos.Line)}
			}
			cur.words = append(cur.words, t)
		}
	}
	if cur != nil {
		return nil, &Error{Pos: cur.pos, Msg: fmt.Sprintf("%q is not ended by ';'", strings.TrimSuffix(cur.text(), ";"))}
	}
	if inBlock {
		*i = len(toks) + 1 // tells the caller the block never closed
	}
	return out, nil
}

// add appends a statement, an include expanded in its place.
func (p *confParser) add(out *[]*stmt, s *stmt, stack []string) error {
	if s.keyword() != "include" {
		*out = append(*out, s)
		return nil
	}
	if len(s.words) != 2 || s.words[1].kind != tString {
		return &Error{Pos: s.pos, Msg: `include takes one quoted file name: include "/etc/dhcp/hosts.conf";`}
	}
	list, err := p.file(s.words[1].text, stack)
	if err != nil {
		if _, ok := err.(*Error); ok {
			return err
		}
		return &Error{Pos: s.pos, Msg: fmt.Sprintf("include: %v", err)}
	}
	*out = append(*out, list...)
	return nil
}

// commentAt is the comment block right above line and the comment on it.
func (p *confParser) commentAt(line int) string {
	var lines []string
	for l := line - 1; l > 0; l-- {
		c, ok := p.comments[l]
		if !ok || strings.HasPrefix(c, "\x00") {
			break
		}
		lines = append([]string{c}, lines...)
	}
	if c, ok := p.comments[line]; ok {
		lines = append(lines, strings.TrimPrefix(c, "\x00"))
	}
	return strings.TrimSpace(strings.Join(lines, " "))
}

func hasPunct(words []token, p string) bool {
	for _, w := range words {
		if w.kind == tPunct && w.text == p {
			return true
		}
	}
	return false
}
