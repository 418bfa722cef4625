package keaconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Kea's configuration parser is not a strict JSON parser: kea-dhcp4,
// kea-ctrl-agent and kea-dhcp-ddns of 2.2, 2.6 and 3.0 all accept
// comments in three forms (// to the end of the line, # to the end of the
// line, /* … */) and extraneous commas before a closing brace or bracket
// (with a warning). Files people keep use all of them.

// Clean returns src as strict JSON: comments and extraneous commas become
// spaces, every other byte — newlines included — stays where it was, so an
// offset into the result is an offset into src.
func Clean(src []byte) ([]byte, error) {
	out := bytes.Clone(src)
	blank := func(from, to int) {
		for i := from; i < to; i++ {
			if out[i] != '\n' && out[i] != '\r' {
				out[i] = ' '
			}
		}
	}
	// lastComma is the offset of a comma not yet followed by a value: a
	// closing bracket after it makes it extraneous.
	lastComma := -1
	for i := 0; i < len(src); i++ {
		switch c := src[i]; {
		case c == '"':
			end, err := stringEnd(src, i)
			if err != nil {
				return nil, err
			}
			i = end
			lastComma = -1
		case c == '#' || c == '/' && i+1 < len(src) && src[i+1] == '/':
			end := bytes.IndexByte(src[i:], '\n')
			if end < 0 {
				end = len(src) - i
			}
			blank(i, i+end)
			i += end - 1
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := bytes.Index(src[i+2:], []byte("*/"))
			if end < 0 {
				return nil, &SyntaxError{Offset: i, Msg: "a /* comment that is never closed"}
			}
			blank(i, i+2+end+2)
			i += 2 + end + 1
		case c == ',':
			lastComma = i
		case c == '}' || c == ']':
			if lastComma >= 0 {
				blank(lastComma, lastComma+1)
			}
			lastComma = -1
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			lastComma = -1
		}
	}
	return out, nil
}

// stringEnd returns the offset of the quote closing the string that opens
// at start.
func stringEnd(src []byte, start int) (int, error) {
	for i := start + 1; i < len(src); i++ {
		switch src[i] {
		case '\\':
			i++
		case '"':
			return i, nil
		case '\n':
			return 0, &SyntaxError{Offset: start, Msg: "a string that does not end on its line"}
		}
	}
	return 0, &SyntaxError{Offset: start, Msg: "a string that is never closed"}
}

// SyntaxError is a mistake in a Kea JSON file, at a byte offset.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string { return e.Msg }

// Decode reads a Kea JSON file (comments and all) into v, with errors at
// file:line:col.
func Decode(file string, src []byte, v any) error {
	clean, err := Clean(src)
	if err == nil {
		err = decodeClean(clean, v)
	}
	var se *SyntaxError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		line, col := lineCol(src, se.Offset)
		return fmt.Errorf("%s:%d:%d: %s", file, line, col, se.Msg)
	}
	return fmt.Errorf("%s: %w", file, err)
}

// decodeClean decodes strict JSON into v (numbers as json.Number); a
// failure is a *SyntaxError at its offset.
func decodeClean(clean []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(clean))
	d.UseNumber()
	err := d.Decode(v)
	if err == nil && d.More() {
		return &SyntaxError{Offset: int(d.InputOffset()), Msg: "more after the end of the configuration"}
	}
	var js *json.SyntaxError
	var ut *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &js):
		return &SyntaxError{Offset: int(js.Offset) - 1, Msg: js.Error()}
	case errors.As(err, &ut):
		return &SyntaxError{Offset: int(ut.Offset) - 1, Msg: fmt.Sprintf("%s: want %s, not a JSON %s", ut.Field, ut.Type, ut.Value)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &SyntaxError{Offset: len(clean), Msg: "the configuration ends too early"}
	}
	return err
}

// lineCol turns an offset into a 1-based line and column (in bytes).
func lineCol(src []byte, off int) (line, col int) {
	off = max(0, min(off, len(src)))
	line = 1 + bytes.Count(src[:off], []byte("\n"))
	return line, off - bytes.LastIndexByte(src[:off], '\n')
}
