// Package yamlsrc reads a site's intent from YAML — keaops.yaml, subnets.yaml
// and reservations.yaml — into the model. Every file is checked against the
// embedded CUE schemas first, record by record; every problem comes back as
// a finding with the file, line and column to edit.
package yamlsrc

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/safefile"
	"github.com/keaops/keaops/schema"
)

// Default file names, relative to the site file, used when the site file's
// sources section does not name any.
const (
	DefaultSubnets      = "subnets.yaml"
	DefaultReservations = "reservations.yaml"
)

// Files is where Load reads from: the file system (OS), or a revision of a
// Git repository. Names are the paths Load builds with filepath.Join from
// the site path, so findings print them as the user knows them.
type Files interface {
	Stat(name string) (fs.FileInfo, error)
	ReadFile(name string) ([]byte, error)
}

// OS reads from the file system.
var OS Files = osFiles{}

type osFiles struct{}

func (osFiles) Stat(name string) (fs.FileInfo, error) { return os.Stat(name) }

// ReadFile reads only regular files, at most MaxFileSize bytes of them:
// a FIFO or /dev/zero named as an input must not hang or exhaust keaops.
func (osFiles) ReadFile(name string) ([]byte, error) {
	return safefile.ReadFile(name, safefile.Options{Limit: MaxFileSize})
}

// Load reads the site file and the subnet and reservation files it names
// from the file system.
func Load(ctx context.Context, sitePath string) (*model.Site, model.Findings, error) {
	return LoadFrom(ctx, OS, sitePath)
}

// LoadFrom reads the site file and the subnet and reservation files it names.
// Problems in the inputs are findings; the error is for failures of keaops
// itself (a broken embedded schema) or a cancelled context. Records that
// fail the schema are left out of the model, so later checks do not report
// consequences of the same mistake again.
func LoadFrom(ctx context.Context, files Files, sitePath string) (*model.Site, model.Findings, error) {
	sc, err := newShapeChecker()
	if err != nil {
		return nil, nil, err
	}
	l := &loader{shape: sc, files: files}
	if f := notASiteFile(files, sitePath); f != nil {
		return nil, model.Findings{*f}, nil
	}
	root := l.document(sitePath, schema.SiteFile)
	if root == nil {
		return nil, l.findings, nil
	}
	site := l.site(sitePath, root)
	site.Inputs = append(site.Inputs, sitePath)
	dir := filepath.Dir(sitePath)
	srcs := rec{file: sitePath, m: get(root, "sources")}
	if nb := srcs.sub("netbox"); nb.m != nil && nb.m.Kind == yaml.MappingNode && !l.bad[nb.m] {
		site.NetBox = netBox(nb, dir)
	}
	if lk := (rec{file: sitePath, m: get(root, "deploy")}).sub("lock"); lk.m != nil && lk.m.Kind == yaml.MappingNode && !l.bad[lk.m] {
		site.DeployLock = deployLock(lk, dir)
	}
	for _, f := range l.sourceFiles(srcs, "subnets", dir, DefaultSubnets) {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		site.Inputs = append(site.Inputs, f)
		if r := l.document(f, schema.SubnetsFile); r != nil {
			site.Subnets = append(site.Subnets, l.subnets(rec{file: f, m: r})...)
			site.Networks = append(site.Networks, l.networks(rec{file: f, m: r})...)
		} else {
			l.dropped.AnySubnet = true
		}
	}
	for _, f := range l.sourceFiles(srcs, "reservations", dir, DefaultReservations) {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		site.Inputs = append(site.Inputs, f)
		site.ReservationFiles = append(site.ReservationFiles, f)
		if r := l.document(f, schema.ReservationsFile); r != nil {
			site.Reservations = append(site.Reservations, l.reservations(rec{file: f, m: r})...)
		}
	}
	if l.internal != nil {
		return nil, nil, l.internal
	}
	site.Dropped = l.dropped
	return site, l.findings, nil
}

type loader struct {
	shape    *shapeChecker
	files    Files
	findings model.Findings
	// bad marks records (by their mapping node) that failed the schema.
	bad map[*yaml.Node]bool
	// dropped is what subnets files held that the model leaves out.
	dropped  model.Dropped
	internal error
}

func (l *loader) add(fs ...model.Finding) { l.findings = append(l.findings, fs...) }

// document reads one file and checks its shape; it returns nil when the file
// could not be read as YAML at all.
func (l *loader) document(path, def string) *yaml.Node {
	root, found := readDoc(l.files, path)
	l.add(found...)
	if root == nil {
		return nil
	}
	hdr, lists := l.shape.header(path, root, def)
	l.add(hdr...)
	for _, list := range lists {
		fs, bad, err := checkRecords(path, def, list)
		if err != nil {
			l.internal = errors.Join(l.internal, fmt.Errorf("checking %s: %w", path, err))
			continue
		}
		l.add(fs...)
		for i, b := range bad {
			if b {
				if l.bad == nil {
					l.bad = map[*yaml.Node]bool{}
				}
				l.bad[list.items.Content[i]] = true
			}
		}
	}
	return root
}

// sourceFiles resolves the files named under sources.<key>, relative to the
// site file. A named file that does not exist is reported at the name; an
// absent default file simply means there is no such input.
func (l *loader) sourceFiles(srcs rec, key, dir, def string) []string {
	v := srcs.get(key)
	if v == nil {
		p := filepath.Join(dir, def)
		if _, err := l.files.Stat(p); err != nil {
			return nil
		}
		return []string{p}
	}
	var names []*yaml.Node
	switch v.Kind {
	case yaml.ScalarNode:
		names = []*yaml.Node{v}
	case yaml.SequenceNode:
		names = v.Content
	}
	var out []string
	for _, n := range names {
		if n.Kind != yaml.ScalarNode || n.Value == "" {
			continue
		}
		p := n.Value
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if st, err := l.files.Stat(p); err != nil || st.IsDir() {
			l.add(model.Errorf(srcs.pos(n), "sources", "%s file %q does not exist (paths are relative to %s)", key, n.Value, filepath.Base(srcs.file)))
			continue
		}
		out = append(out, p)
	}
	return out
}

// notASiteFile is one finding for a subnets or reservations file given
// where the site file belongs (--site subnets.yaml), instead of every
// field it lacks and has too many.
func notASiteFile(files Files, path string) *model.Finding {
	root, found := readDoc(files, path)
	if root == nil || len(found) > 0 || get(root, "nodes") != nil || get(root, "kea-version") != nil {
		return nil
	}
	for _, k := range []struct{ key, file string }{{"subnets", "subnets"}, {"shared-networks", "subnets"}, {"reservations", "reservations"}} {
		if key, _ := lookup(root, k.key); key != nil {
			f := model.Errorf(model.Pos{File: path, Line: key.Line, Col: key.Column}, "schema",
				"%s is a %s file, not a site file: name the keaops.yaml that lists it under sources (--site, or KEAOPS_SITE)", filepath.Base(path), k.file)
			return &f
		}
	}
	return nil
}
