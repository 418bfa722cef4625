package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keaops/keaops/internal/diff"
	"github.com/keaops/keaops/internal/edit"
	"github.com/keaops/keaops/internal/keaapi"
	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/sources/keaconfig"
	"github.com/keaops/keaops/sources/yamlsrc"
)

// AdoptArgs are the inputs of keaops adopt.
type AdoptArgs struct {
	SiteArgs
	Conn ConnArgs
	// From is the node whose running configuration is adopted.
	From   string
	DryRun bool
	Git    gitArgs
}

func newAdoptCmd(stdout io.Writer) *cobra.Command {
	var a AdoptArgs
	cmd := &cobra.Command{
		Use:   "adopt",
		Short: "Write reservations made on the live nodes outside keaops into the site's files, for review",
		Long: `adopt reads what a node runs and writes the reservations that were added,
changed or removed there outside keaops — by a provisioning tool through
the control API, by hand — into the site's reservations files, in place
(the records alone, every other byte as it was), instead of letting the
next deploy undo them. The site as adopt leaves it passes every check or
nothing is written; then diff shows nothing for those reservations, and
the next deploy leaves the node as it is.

What adopt cannot write back (a changed subnet, pool, option or class) is
listed, for a person to write into the site.`,
		Example: `  keaops adopt --dry-run
  keaops adopt --branch adopt-provisioned-hosts`,
		Args: cobra.NoArgs,
		RunE: runE(func(ctx context.Context) (int, error) { return Adopt(ctx, a, stdout) }),
	}
	a.SiteArgs.flags(cmd)
	a.Conn.flags(cmd)
	cmd.Flags().StringVar(&a.From, "from", "", "the node to adopt from (default: the site's first node that answers)")
	cmd.Flags().BoolVar(&a.DryRun, "dry-run", false, "say what would be written, write nothing")
	a.Git.flags(cmd)
	return cmd
}

// Adopt runs keaops adopt.
func Adopt(ctx context.Context, a AdoptArgs, out io.Writer) (int, error) {
	if err := a.Git.check(); err != nil {
		return ExitProblems, err
	}
	site, err := loadValid(ctx, a.SiteArgs, out)
	if site == nil {
		return ExitProblems, err
	}
	clients, err := connect(ctx, site, a.Conn)
	if err != nil {
		return ExitProblems, err
	}
	// The node named, else the first that answers: a node down does not
	// keep its partner's changes from being adopted.
	candidates := []string{a.From}
	if a.From == "" {
		candidates = nil
		for _, n := range site.Nodes {
			candidates = append(candidates, n.Name)
		}
	}
	var from string
	var cfg keaapi.Config
	for _, name := range candidates {
		c, ok := clients[name]
		if !ok {
			return ExitProblems, fmt.Errorf("--from %s: the site has no such node", name)
		}
		if cfg, err = c.ConfigGet(ctx); err == nil {
			from = name
			break
		}
		fmt.Fprintf(out, "%s: not read (%v)\n", name, err)
	}
	if from == "" {
		return ExitProblems, fmt.Errorf("no node answered: nothing to adopt from")
	}
	live, err := keaconfig.Parse(cfg.Dhcp4, from)
	if err != nil {
		return ExitProblems, fmt.Errorf("reading %s's configuration: %w", from, err)
	}
	docs := map[string]*edit.Doc{}
	var done []string
	apply := func(file string, what string, fn func(d *edit.Doc) (*edit.Doc, error)) error {
		d := docs[file]
		if d == nil {
			if d, err = openDoc(file); err != nil {
				return err
			}
		}
		nd, err := fn(d)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		docs[file] = nd
		done = append(done, what)
		return nil
	}
	plan := adoptPlan(site, live)
	// Removals first, last record first, so earlier indexes hold.
	for _, r := range plan.removed {
		if strings.HasPrefix(r.Pos.File, "netbox:") {
			plan.unwritable = append(plan.unwritable, fmt.Sprintf("- reservation %s: it comes from NetBox; remove it there", describe(r)))
			continue
		}
		if err := apply(r.Pos.File, "- reservation "+describe(r), func(d *edit.Doc) (*edit.Doc, error) {
			i, err := recordIndex(d, r)
			if err != nil {
				return nil, err
			}
			return d.Remove("reservations", i)
		}); err != nil {
			return ExitProblems, err
		}
	}
	for _, p := range plan.changed {
		if strings.HasPrefix(p.want.Pos.File, "netbox:") {
			plan.unwritable = append(plan.unwritable, fmt.Sprintf("~ reservation %s: it comes from NetBox; change it there", describe(p.want)))
			continue
		}
		if err := apply(p.want.Pos.File, "~ reservation "+describe(p.want)+" → "+describe(p.live), func(d *edit.Doc) (*edit.Doc, error) {
			i, err := recordIndex(d, p.want)
			if err != nil {
				return nil, err
			}
			for _, f := range p.fields {
				if d, err = d.Set("reservations", i, f); err != nil {
					return nil, err
				}
			}
			return d, nil
		}); err != nil {
			return ExitProblems, err
		}
	}
	for _, r := range plan.added {
		file, err := pickFile(site, ReservationArgs{SiteArgs: a.SiteArgs, Fields: []fieldFlag{{"ip-address", r.IP.String()}}})
		if err != nil {
			return ExitProblems, err
		}
		if err := apply(file, "+ reservation "+describe(r), func(d *edit.Doc) (*edit.Doc, error) {
			return d.Append("reservations", recordFields(d, r))
		}); err != nil {
			return ExitProblems, err
		}
	}
	fmt.Fprintf(out, "adopting from %s:\n", from)
	for _, w := range done {
		fmt.Fprintln(out, "  "+w)
	}
	if len(done) == 0 {
		fmt.Fprintln(out, "  no reservation differs from the site")
	}
	// The site as the edits leave it: what still differs is what adopt
	// could not write back.
	files := overlay{base: yamlsrc.OS, files: map[string][]byte{}}
	var names []string
	for name, d := range docs {
		files.files[filepath.Clean(name)] = d.Bytes()
		names = append(names, name)
	}
	slices.Sort(names)
	edited, findings, err := loadAndValidate(ctx, files, a.SiteArgs)
	if err != nil {
		return ExitProblems, err
	}
	if edited != nil {
		for _, c := range diff.Sites(live, edited) {
			plan.unwritable = append(plan.unwritable, strings.TrimSpace(fmt.Sprintf("%c %s %s %s", c.Op, c.Kind, c.What, c.Field)))
		}
	}
	if len(plan.unwritable) > 0 {
		fmt.Fprintf(out, "not written back (%d): write these into the site, or deploy to undo them:\n", len(plan.unwritable))
		for _, u := range plan.unwritable {
			fmt.Fprintln(out, "  "+u)
		}
	}
	if len(done) == 0 || a.DryRun {
		return ExitOK, nil
	}
	if edited == nil || findings.HasErrors() {
		printFindings(out, a.Site, edited, findings)
		fmt.Fprintln(out, "nothing written: the adopted site would fail the checks above")
		return ExitProblems, nil
	}
	for _, name := range names {
		if err := writeKeeping(name, docs[name].Bytes()); err != nil {
			return ExitProblems, err
		}
		fmt.Fprintf(out, "wrote %s\n", name)
	}
	if err := a.Git.record(ctx, names, "keaops: adopt reservations made on "+from, out); err != nil {
		return ExitProblems, err
	}
	return ExitOK, nil
}

// adoption is what adopt writes, and what it cannot.
type adoption struct {
	added, removed []*model.Reservation
	changed        []changedReservation
	unwritable     []string
}

type changedReservation struct {
	want, live *model.Reservation
	fields     []edit.Field
}

// adoptPlan compares the site's reservations with the live ones, by
// identifier: what to add, remove and change.
func adoptPlan(site, live *model.Site) adoption {
	var a adoption
	key := func(r *model.Reservation) string { kind, id := r.Identifier(); return kind + "=" + id }
	want := map[string]*model.Reservation{}
	for _, r := range site.Reservations {
		want[key(r)] = r
	}
	have := map[string]*model.Reservation{}
	for _, r := range live.Reservations {
		have[key(r)] = r
		w, ok := want[key(r)]
		switch {
		case !ok:
			a.added = append(a.added, r)
		case w.IP != r.IP || w.Hostname != r.Hostname:
			c := changedReservation{want: w, live: r}
			if w.IP != r.IP {
				c.fields = append(c.fields, edit.Field{Key: "ip-address", Value: r.IP.String()})
			}
			if w.Hostname != r.Hostname {
				c.fields = append(c.fields, edit.Field{Key: "hostname", Value: edit.Scalar(r.Hostname, 0)})
			}
			a.changed = append(a.changed, c)
		}
	}
	for i := len(site.Reservations) - 1; i >= 0; i-- {
		if r := site.Reservations[i]; have[key(r)] == nil {
			a.removed = append(a.removed, r)
		}
	}
	return a
}

// recordIndex is a site reservation's record in its file.
func recordIndex(d *edit.Doc, r *model.Reservation) (int, error) {
	records, err := d.Records("reservations")
	if err != nil {
		return 0, err
	}
	for _, rec := range records {
		if rec.Line == r.Pos.Line && rec.Col == r.Pos.Col {
			return rec.Index, nil
		}
	}
	return 0, fmt.Errorf("%s is not a record of the file's reservations list: edit it by hand", r.Pos)
}

// recordFields writes a live reservation as a record, quoted as the
// file's last record quotes its fields.
func recordFields(d *edit.Doc, r *model.Reservation) []edit.Field {
	var like edit.Record
	if rs, _ := d.Records("reservations"); len(rs) > 0 {
		like = rs[len(rs)-1]
	}
	var fs []edit.Field
	add := func(k, v string) {
		if v != "" {
			fs = append(fs, edit.Field{Key: k, Value: edit.Scalar(v, like.StyleOf(k))})
		}
	}
	add("hostname", r.Hostname)
	kind, id := r.Identifier()
	add(kind, id)
	if r.IP.IsValid() {
		add("ip-address", r.IP.String())
	}
	if len(r.ClientClasses) > 0 {
		fs = append(fs, edit.Field{Key: "client-classes", Value: "[" + strings.Join(r.ClientClasses, ", ") + "]"})
	}
	return fs
}
