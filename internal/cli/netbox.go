package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/keaops/keaops/internal/artifact"
	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/sources/netbox"
	"github.com/keaops/keaops/sources/yamlsrc"
)

// netboxRead is a command's NetBox state. It remembers a live read for the
// rest of the command, so a diff against a Git revision compares both sides
// with the same NetBox data instead of reading it twice (and showing
// NetBox edits made in between as part of the change).
type netboxRead struct {
	snap *netbox.Snapshot
}

// loadSite reads the site from files and adds what its NetBox source
// gives: from the snapshot file the site names (or --netbox-snapshot), or
// live from NetBox when it names none (or --netbox-live).
func loadSite(ctx context.Context, files yamlsrc.Files, a SiteArgs) (*model.Site, model.Findings, error) {
	site, findings, err := yamlsrc.LoadFrom(ctx, files, a.Site)
	if err != nil || site == nil {
		return site, findings, err
	}
	cfg := site.NetBox
	if cfg == nil {
		if a.NetBoxSnapshot != "" || a.NetBoxLive {
			return nil, nil, fmt.Errorf("%s has no sources.netbox section, so there is no NetBox to read", a.Site)
		}
		return site, findings, nil
	}
	snap, file, more, err := netboxSnapshot(ctx, files, cfg, a)
	findings = append(findings, more...)
	if err != nil || snap == nil {
		return site, findings, err
	}
	name := cfg.URL
	if file != "" { // its revision is part of the render's source
		name = file
		site.Inputs = append(site.Inputs, file)
	}
	subnets, res, more := netbox.Convert(snap, cfg, name)
	findings = append(findings, more...)
	// NetBox's objects come first, so a YAML record that clashes with one
	// is the one reported: that is the line a merge request changed.
	site.Subnets = append(subnets, site.Subnets...)
	site.Reservations = append(res, site.Reservations...)
	return site, findings, nil
}

// netboxSnapshot is the NetBox data for a site: a snapshot file (whose
// path it returns) or a live read (""). A missing or unreadable snapshot
// file is a finding at the site's netbox section.
func netboxSnapshot(ctx context.Context, files yamlsrc.Files, cfg *model.NetBox, a SiteArgs) (*netbox.Snapshot, string, model.Findings, error) {
	path := cfg.Snapshot
	if a.NetBoxSnapshot != "" {
		path = a.NetBoxSnapshot
	}
	if path == "" || a.NetBoxLive {
		if a.netbox != nil && a.netbox.snap != nil {
			return a.netbox.snap, "", nil, nil
		}
		snap, err := readNetBox(ctx, cfg, logOf(ctx))
		if err != nil {
			return nil, "", nil, err
		}
		if a.netbox != nil {
			a.netbox.snap = snap
		}
		return snap, "", nil, nil
	}
	data, err := files.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, path, model.Findings{model.Errorf(cfg.Pos, "netbox-snapshot", "the NetBox snapshot %s does not exist: take one with keaops netbox snapshot", path)}, nil
	}
	if err != nil {
		return nil, path, model.Findings{model.Errorf(cfg.Pos, "netbox-snapshot", "reading the NetBox snapshot: %v", err)}, nil
	}
	snap, findings := netbox.ParseSnapshot(path, data)
	return snap, path, findings, nil
}

// readNetBox reads the site's selection live, with the token from where
// the site says it is.
func readNetBox(ctx context.Context, cfg *model.NetBox, log *slog.Logger) (*netbox.Snapshot, error) {
	if cfg.Token == nil {
		return nil, fmt.Errorf("%s: sources.netbox has no token, so keaops cannot read NetBox live (set token: {env: NETBOX_TOKEN})", cfg.Pos)
	}
	token, err := artifact.EnvFileResolver(cfg.Token.Ref())
	if err != nil {
		return nil, fmt.Errorf("the NetBox token (%s): %w", cfg.Token.Ref(), err)
	}
	o := netbox.OptionsFor(cfg, token)
	o.Logger = log
	snap, err := netbox.Fetch(ctx, cfg, o)
	if err != nil {
		return nil, fmt.Errorf("reading NetBox at %s: %w", cfg.URL, err)
	}
	return snap, nil
}

// NetBoxSnapshotArgs are the inputs of keaops netbox snapshot.
type NetBoxSnapshotArgs struct {
	Site  string
	Out   string
	Check bool
	// Format is text or json.
	Format string
}

// snapshotReport is netbox snapshot --format json.
type snapshotReport struct {
	File   string `json:"file"`
	NetBox string `json:"netbox"`
	// Written: the file was written; UpToDate (with --check): it holds
	// what NetBox holds; Changes name the objects that differ.
	Written     bool     `json:"written"`
	UpToDate    bool     `json:"up_to_date"`
	Changes     []string `json:"changes,omitempty"`
	Prefixes    int      `json:"prefixes"`
	IPRanges    int      `json:"ip_ranges"`
	IPAddresses int      `json:"ip_addresses"`
}

func newNetBoxCmd(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "netbox",
		Short: "Work with the site's NetBox source",
	}
	var a NetBoxSnapshotArgs
	snap := &cobra.Command{
		Use:   "snapshot",
		Short: "Read the site's subnets, pools and reservations from NetBox into a snapshot file",
		Long: `snapshot reads what keaops.yaml selects from NetBox — prefixes, the IP
ranges and IP addresses inside them, the MAC addresses of those addresses'
interfaces — and writes it to a JSON file: sorted, without timestamps, the
same bytes for the same objects. Commit it next to keaops.yaml: check,
render, diff and deploy then read the snapshot instead of NetBox, so merge
request jobs need no NetBox token and what was reviewed is what deploys.

With --check nothing is written: the exit code says whether the file
differs from NetBox (2) or not (0), for a scheduled job that opens a merge
request when NetBox changed.`,
		Example: `  NETBOX_TOKEN=... keaops netbox snapshot -s site/keaops.yaml
  keaops netbox snapshot -o /tmp/netbox.json
  keaops netbox snapshot --check || echo "NetBox changed: take a new snapshot"`,
		Args: cobra.NoArgs,
		RunE: runE(func(ctx context.Context) (int, error) { return NetBoxSnapshot(ctx, a, stdout, stderr) }),
	}
	siteFlag(snap, &a.Site)
	snap.Flags().StringVarP(&a.Out, "output", "o", "", "the file to write (default: sources.netbox.snapshot in the site file)")
	snap.Flags().BoolVar(&a.Check, "check", false, "write nothing; exit 2 when the file differs from NetBox")
	formatFlag(snap, &a.Format, "text", "json")
	cmd.AddCommand(snap)
	return cmd
}

// NetBoxSnapshot runs keaops netbox snapshot.
func NetBoxSnapshot(ctx context.Context, a NetBoxSnapshotArgs, out, errOut io.Writer) (int, error) {
	site, findings, err := yamlsrc.Load(ctx, a.Site)
	if err != nil {
		return ExitProblems, err
	}
	if site == nil || findings.HasErrors() {
		printFindings(out, a.Site, site, findings)
		return ExitProblems, nil
	}
	cfg := site.NetBox
	if cfg == nil {
		return ExitProblems, fmt.Errorf("%s has no sources.netbox section", a.Site)
	}
	path := a.Out
	if path == "" {
		path = cfg.Snapshot
	}
	if path == "" {
		return ExitProblems, fmt.Errorf("no file to write: pass -o or set sources.netbox.snapshot in %s", a.Site)
	}
	snap, err := readNetBox(ctx, cfg, logOf(ctx))
	if err != nil {
		return ExitProblems, err
	}
	data, err := snap.Marshal()
	if err != nil {
		return ExitProblems, err
	}
	summary := fmt.Sprintf("%s, %s and %s from %s", count(len(snap.Prefixes), "prefix"), count(len(snap.IPRanges), "IP range"), count(len(snap.Addresses), "IP address"), snap.NetBox)
	rep := snapshotReport{File: path, NetBox: snap.NetBox, Prefixes: len(snap.Prefixes), IPRanges: len(snap.IPRanges), IPAddresses: len(snap.Addresses)}
	code := ExitOK
	switch old, err := os.ReadFile(path); {
	case a.Check && err != nil && !errors.Is(err, fs.ErrNotExist):
		return ExitProblems, err
	case a.Check && bytes.Equal(old, data):
		rep.UpToDate = true
		if a.Format != "json" {
			fmt.Fprintf(out, "%s is up to date: %s\n", path, summary)
		}
	case a.Check:
		rep.Changes, code = snapshotChanges(path, old, snap), ExitChanges
		if a.Format != "json" {
			fmt.Fprintf(out, "%s differs from NetBox (%s):\n", path, summary)
			for _, line := range rep.Changes {
				fmt.Fprintln(out, "  "+line)
			}
		}
	default:
		if err := artifact.WriteFileAtomic(path, data, 0o644); err != nil {
			return ExitProblems, fmt.Errorf("writing the snapshot: %w", err)
		}
		rep.Written, rep.UpToDate = true, true
		if a.Format != "json" {
			fmt.Fprintf(out, "wrote %s: %s\n", path, summary)
		}
	}
	if a.Format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return ExitProblems, fmt.Errorf("writing the report: %w", err)
		}
	}
	return code, nil
}

// snapshotChanges names the objects that differ between a snapshot file
// and a fresh read, by endpoint and id.
func snapshotChanges(path string, old []byte, now *netbox.Snapshot) []string {
	before, findings := netbox.ParseSnapshot(path, old)
	if before == nil {
		if len(old) == 0 {
			return []string{"no snapshot yet"}
		}
		return []string{fmt.Sprintf("the file does not read as a snapshot: %v", findings)}
	}
	var lines []string
	if !jsonEqual(before.Selection, now.Selection) {
		lines = append(lines, "the selection in keaops.yaml changed")
	}
	lines = append(lines, changedObjects("ipam/prefixes", before.Prefixes, now.Prefixes, func(p netbox.Prefix) int32 { return p.ID })...)
	lines = append(lines, changedObjects("ipam/ip-ranges", before.IPRanges, now.IPRanges, func(r netbox.IPRange) int32 { return r.ID })...)
	lines = append(lines, changedObjects("ipam/ip-addresses", before.Addresses, now.Addresses, func(a netbox.IPAddress) int32 { return a.ID })...)
	return lines
}

func changedObjects[T any](endpoint string, before, now []T, id func(T) int32) []string {
	old := map[int32]T{}
	for _, o := range before {
		old[id(o)] = o
	}
	var lines []string
	for _, o := range now {
		prev, ok := old[id(o)]
		switch {
		case !ok:
			lines = append(lines, fmt.Sprintf("+ netbox:%s/%d", endpoint, id(o)))
		case !jsonEqual(prev, o):
			lines = append(lines, fmt.Sprintf("~ netbox:%s/%d", endpoint, id(o)))
		}
		delete(old, id(o))
	}
	for _, o := range before {
		if _, gone := old[id(o)]; gone {
			lines = append(lines, fmt.Sprintf("- netbox:%s/%d", endpoint, id(o)))
		}
	}
	return lines
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// netboxFlags adds the NetBox source flags of commands that load a site.
func (a *SiteArgs) netboxFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&a.NetBoxSnapshot, "netbox-snapshot", "", "read NetBox objects from this snapshot file instead of the one keaops.yaml names")
	cmd.Flags().BoolVar(&a.NetBoxLive, "netbox-live", false, "read NetBox live even when keaops.yaml names a snapshot (needs the token)")
	a.netbox = &netboxRead{}
}
