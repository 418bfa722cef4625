package model

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
)

// Pos is where an entity or value came from: a file position (Line and Col
// are 1-based; 0 means unknown), or an object reference such as
// "netbox:ipam/prefixes/12" in File with no line.
type Pos struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

// String formats p the way compilers do, so editors and CI systems link it.
func (p Pos) String() string {
	switch {
	case p.File == "":
		return "-"
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return p.File + ":" + strconv.Itoa(p.Line)
	}
	return p.File + ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}

// Short is the position without the file name, for "(first at line 12)" hints.
func (p Pos) Short() string {
	if p.Line == 0 {
		return p.File
	}
	return "line " + strconv.Itoa(p.Line)
}

// Severity says whether a finding blocks the change.
type Severity int

const (
	// Error findings make check fail and stop render and deploy.
	Error Severity = iota
	// Warning findings are shown but do not fail the check.
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// MarshalText makes severities readable in JSON output.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads "error" or "warning" back.
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "error":
		*s = Error
	case "warning":
		*s = Warning
	default:
		return fmt.Errorf("severity %q: want error or warning", b)
	}
	return nil
}

// Finding is one problem in the inputs.
type Finding struct {
	Pos      Pos      `json:"pos"`
	Severity Severity `json:"severity"`
	// Check names the family of checks that produced the finding ("yaml",
	// "schema", "subnet-overlap", ...): stable, for reports and filters.
	Check   string `json:"check"`
	Message string `json:"message"`
}

func (f Finding) String() string {
	return f.Pos.String() + ": " + f.Severity.String() + ": " + f.Message
}

// Errorf builds an error finding.
func Errorf(pos Pos, check, format string, args ...any) Finding {
	return Finding{Pos: pos, Severity: Error, Check: check, Message: fmt.Sprintf(format, args...)}
}

// Warnf builds a warning finding.
func Warnf(pos Pos, check, format string, args ...any) Finding {
	return Finding{Pos: pos, Severity: Warning, Check: check, Message: fmt.Sprintf(format, args...)}
}

// Findings is a list of problems, collected rather than stopping at the first.
type Findings []Finding

// HasErrors reports whether any finding is an error.
func (fs Findings) HasErrors() bool { return fs.Count(Error) > 0 }

// Count returns how many findings have severity s.
func (fs Findings) Count(s Severity) int {
	n := 0
	for _, f := range fs {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// Sort orders findings by file, line, column, then message, so output is
// stable however the checks ran.
func (fs Findings) Sort() {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			cmp.Compare(a.Severity, b.Severity),
			cmp.Compare(a.Message, b.Message),
		)
	})
}
