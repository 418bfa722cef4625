package keaconfig

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// Kea's parser also takes <?include "path"?>: the named file's text
// replaces the directive, wherever whitespace may go (a fragment such as
// `"subnet4": [...]` is fine). kea-dhcp4 opens a relative path from its
// working directory, not from the including file's.

// maxIncludeDepth bounds nesting: deeper is a loop or a mistake.
const maxIncludeDepth = 10

var includeRE = regexp.MustCompile(`^<\?include\s+"([^"]*)"\s*\?>`)

// segment is a run of the expanded text that comes from one file.
type segment struct {
	out  int // where it starts in the expanded text
	file string
	src  []byte
	at   int // where it starts in src
	n    int
}

// expanded is a file with its includes in place, and where each part came
// from.
type expanded struct {
	text []byte
	segs []segment
}

// pos maps an offset of the expanded text back to file:line:col.
func (e expanded) pos(off int) string {
	for i := len(e.segs) - 1; i >= 0; i-- {
		s := e.segs[i]
		if off >= s.out && off <= s.out+s.n {
			line, col := lineCol(s.src, s.at+off-s.out)
			return fmt.Sprintf("%s:%d:%d", s.file, line, col)
		}
	}
	return "?"
}

// ReadFile reads a Kea configuration file as kea-dhcp4 reads it and
// returns the object under key (Dhcp4, DhcpDdns, Control-agent) as strict
// JSON: includes expanded (a relative path from dir, where Kea would run),
// comments and extraneous commas dropped. Errors name the file, line and
// column they are in, inside an included file too.
func ReadFile(path, dir, key string) ([]byte, error) {
	read := func(p string) ([]byte, error) {
		if !filepath.IsAbs(p) && p != path {
			p = filepath.Join(dir, p)
		}
		return os.ReadFile(p)
	}
	return readWith(path, key, read)
}

func readWith(path, key string, read func(string) ([]byte, error)) ([]byte, error) {
	var e expanded
	if err := e.expand(path, nil, read); err != nil {
		return nil, err
	}
	clean, err := Clean(e.text)
	if err == nil {
		var v map[string]any
		err = decodeClean(clean, &v)
	}
	var se *SyntaxError
	if errors.As(err, &se) {
		return nil, fmt.Errorf("%s: %s", e.pos(se.Offset), se.Msg)
	} else if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	obj, err := UnwrapAs(clean, key)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return obj, nil
}

// expand appends file's text to e with its includes in place; stack is
// the chain of files including it, to refuse a loop.
func (e *expanded) expand(file string, stack []string, read func(string) ([]byte, error)) error {
	if len(stack) >= maxIncludeDepth {
		return fmt.Errorf("%s: includes nested more than %d deep", file, maxIncludeDepth)
	}
	for _, f := range stack {
		if f == file {
			return fmt.Errorf("%s: includes itself (through %v)", file, stack)
		}
	}
	src, err := read(file)
	if err != nil {
		if len(stack) == 0 {
			return fmt.Errorf("reading %s: %w", file, err)
		}
		return err
	}
	start := 0
	emit := func(to int) {
		if to > start {
			e.segs = append(e.segs, segment{out: len(e.text), file: file, src: src, at: start, n: to - start})
			e.text = append(e.text, src[start:to]...)
		}
	}
	for i := 0; i < len(src); i++ {
		switch c := src[i]; {
		case c == '"':
			end, err := stringEnd(src, i)
			if err != nil {
				line, col := lineCol(src, i)
				return fmt.Errorf("%s:%d:%d: %v", file, line, col, err)
			}
			i = end
		case c == '#' || c == '/' && i+1 < len(src) && src[i+1] == '/':
			if end := bytes.IndexByte(src[i:], '\n'); end >= 0 {
				i += end
			} else {
				i = len(src)
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			if end := bytes.Index(src[i+2:], []byte("*/")); end >= 0 {
				i += 2 + end + 1
			} else {
				i = len(src)
			}
		case c == '<':
			m := includeRE.FindSubmatchIndex(src[i:])
			if m == nil {
				continue
			}
			emit(i)
			name := string(src[i+m[2] : i+m[3]])
			if err := e.expand(name, append(stack, file), read); err != nil {
				line, col := lineCol(src, i)
				return fmt.Errorf("%s:%d:%d: including %s: %w", file, line, col, name, err)
			}
			i += m[1] - 1
			start = i + 1
		}
	}
	emit(len(src))
	return nil
}
