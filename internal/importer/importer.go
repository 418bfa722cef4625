// Package importer brings an existing network under keaops: it reads what
// runs — a live pair (config-get), Kea's own files, an ISC dhcpd.conf —
// through a source into the model, assembles the nodes of the pair, and
// hands the site to generators/siteyaml, which writes it as site files.
// Like Caddy's config adapters: a source plus a generator, and nothing
// else in between but the checks that make the result exact.
//
// Nothing is dropped unsaid. What the model cannot express goes to the
// escape hatch when Kea takes it as raw JSON, and into the Report with its
// position otherwise; secrets written literally become references and are
// listed; subnet ids are the ones the running server uses.
package importer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/sources/keaconfig"
)

// Result is an imported site and what the import says about it.
type Result struct {
	Site *model.Site
	// Report lists what was not converted, with its position: the import
	// is partial while it is not empty.
	Report []Item
	// Wrong are mistakes in the input, with their positions: the import
	// converts them as they are, and fails.
	Wrong []Item
	// Notes are what the import decided for the user (a version guessed,
	// a control URL assumed), for the command's output.
	Notes []string
	// Secrets were written literally in the input and are references now.
	Secrets []keaconfig.Literal
	// From names the inputs, for the files' header.
	From []string
	// Extra are more files to write beside the site's (the leases).
	Extra map[string][]byte
}

// Item is one thing an import could not carry over.
type Item struct {
	Pos  string // file:line, or the node and JSON path
	Text string
}

func (i Item) String() string { return i.Pos + ": " + i.Text }

func (r *Result) report(pos, format string, args ...any) {
	r.Report = append(r.Report, Item{Pos: pos, Text: fmt.Sprintf(format, args...)})
}

func (r *Result) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// secrets adds literal secrets made references, once per reference.
func (r *Result) secrets(lits []keaconfig.Literal) {
	for _, l := range lits {
		if !slices.ContainsFunc(r.Secrets, func(o keaconfig.Literal) bool { return o.Ref.Env == l.Ref.Env }) {
			r.Secrets = append(r.Secrets, l)
		}
	}
}

// AssignAutoIDs gives the subnets a Kea 2.2 or 2.4 file leaves without an
// id the ids that Kea gives them: counting from 1, in the order Kea parses
// them — every shared network's subnets first (Kea reads the Dhcp4 keys in
// alphabetical order, and shared-networks sorts before subnet4), then the
// top-level ones — ignoring the explicit ids, as Kea does (a collision is
// Kea's error too). It reports how many it numbered.
func AssignAutoIDs(s *model.Site) (int, error) {
	var order []*model.Subnet
	for _, inNetwork := range []bool{true, false} {
		for _, sn := range s.Subnets {
			if (sn.Network != "") == inNetwork && sn.ID == 0 {
				order = append(order, sn)
			}
		}
	}
	if len(order) == 0 {
		return 0, nil
	}
	if s.KeaVersion.AtLeast(2, 6) {
		return 0, fmt.Errorf("subnet %s has no id: Kea %s requires one on every subnet (only 2.2 and 2.4 number them)", order[0].Prefix, s.KeaVersion)
	}
	used := map[uint32]*model.Subnet{}
	for _, sn := range s.Subnets {
		if sn.ID != 0 {
			used[sn.ID] = sn
		}
	}
	for i, sn := range order {
		id := uint32(i + 1)
		if other := used[id]; other != nil {
			return 0, fmt.Errorf("subnet %s would get id %d, which subnet %s has explicitly: Kea refuses this file too (\"ID of the new IPv4 subnet '%d' is already in use\")", sn.Prefix, id, other.Prefix, id)
		}
		sn.ID, sn.IDExplicit = id, true
		used[id] = sn
	}
	return len(order), nil
}

// unmodelled turns what a read could not carry into report items.
func (r *Result) unmodelled(origin string, paths []string) {
	for _, p := range paths {
		r.report(origin, "%s: not converted: the model has no place for it and it is not raw Kea JSON keaops can merge", p)
	}
}

// versionOf reads "2.6.3" (version-get) as 2.6.
func versionOf(text string) (model.Version, error) {
	var v model.Version
	fields := strings.FieldsFunc(text, func(r rune) bool { return r == '.' || r == '-' || r == ' ' })
	if len(fields) < 2 {
		return v, fmt.Errorf("version %q: want major.minor", text)
	}
	if _, err := fmt.Sscanf(fields[0]+" "+fields[1], "%d %d", &v.Major, &v.Minor); err != nil {
		return v, fmt.Errorf("version %q: want major.minor", text)
	}
	return v, nil
}

// ParseVersion reads a --kea-version flag: 2.2, 2.4, 2.6, 3.0 or 3.2.
func ParseVersion(text string) (model.Version, error) {
	v, err := versionOf(text)
	if err != nil {
		return v, err
	}
	if !slices.Contains([]string{"2.2", "2.4", "2.6", "3.0", "3.2"}, v.String()) {
		return v, fmt.Errorf("keaops renders for Kea 2.2, 2.4, 2.6, 3.0 and 3.2, not %s", v)
	}
	return v, nil
}
