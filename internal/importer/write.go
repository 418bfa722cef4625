package importer

import (
	"fmt"
	"strings"

	"github.com/keaops/keaops/generators/siteyaml"
	"github.com/keaops/keaops/internal/artifact"
)

// Marker is the file an import leaves beside the site files: what it was
// imported from and what it could not carry. Its presence lets the next
// import replace the directory; a directory without it is not replaced.
const Marker = ".keaops-import"

// Files renders the result as the site's files, the marker included.
func (res *Result) Files(positions bool) (map[string][]byte, error) {
	header := []string{"Imported by keaops import from " + strings.Join(res.From, ", ") + "."}
	if len(res.Report) > 0 {
		header = append(header, fmt.Sprintf("%d things were not converted: see %s.", len(res.Report), Marker))
	}
	for _, l := range res.Secrets {
		header = append(header, "A secret written literally in the input is {env: "+l.Ref.Env+"} here: set "+l.Ref.Env+" where keaops deploys.")
	}
	files, err := siteyaml.Write(res.Site, siteyaml.Options{Header: header, Positions: positions})
	if err != nil {
		return nil, err
	}
	var m strings.Builder
	m.WriteString("# keaops import: what this site was imported from, and what it could not carry.\n")
	for _, f := range res.From {
		fmt.Fprintf(&m, "from: %s\n", f)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(&m, "note: %s\n", n)
	}
	for _, l := range res.Secrets {
		fmt.Fprintf(&m, "secret: %s\n", l)
	}
	for _, it := range res.Wrong {
		fmt.Fprintf(&m, "wrong in the input: %s\n", it)
	}
	for _, it := range res.Report {
		fmt.Fprintf(&m, "not converted: %s\n", it)
	}
	files[Marker] = []byte(m.String())
	for name, data := range res.Extra {
		files[name] = data
	}
	return files, nil
}

// Write writes the result into dir, replacing an earlier import there but
// never a directory keaops did not write.
func (res *Result) Write(dir string, positions bool) error {
	files, err := res.Files(positions)
	if err != nil {
		return err
	}
	return artifact.WriteDir(dir, files, Marker, "an import")
}
