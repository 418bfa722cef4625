package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keaops/keaops/generators/kea"
	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/validate"
	"github.com/keaops/keaops/sources/yamlsrc"
)

// SiteArgs say where the site is; every command that reads it takes them.
type SiteArgs struct {
	Site string
	// Override is an overrides file: node-local settings for another pair.
	Override string
	// NetBoxSnapshot replaces the snapshot file the site names; NetBoxLive
	// reads NetBox itself even when the site names one.
	NetBoxSnapshot string
	NetBoxLive     bool
	netbox         *netboxRead
}

func (a *SiteArgs) flags(cmd *cobra.Command) {
	siteFlag(cmd, &a.Site)
	cmd.Flags().StringVar(&a.Override, "override", "", "an overrides file: node endpoints, listeners and paths for a staging or local pair")
	a.netboxFlags(cmd)
}

// CheckArgs are the inputs of keaops check.
type CheckArgs struct {
	SiteArgs
	Format  string
	Reports []string
}

func newCheckCmd(stdout io.Writer) *cobra.Command {
	var a CheckArgs
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check the site's inputs offline and report every problem with its position",
		Long: `check reads keaops.yaml and the subnet and reservation files it names,
validates their shape against keaops' schemas and their meaning (overlaps,
duplicates, containment, lifetimes, options, HA pairing), and prints every
problem as file:line:col: error|warning: message.

check needs no network and no secrets: it is safe in any merge-request job.

Exit codes: 0 no errors (warnings allowed), 1 errors found or the check failed.`,
		Example: `  # check the site in the current directory
  keaops check

  # check another site and emit machine-readable findings
  keaops check --site examples/homelab/keaops.yaml --format json

  # in a merge request: findings inline in GitLab, and as test results
  keaops check --report codequality=gl-code-quality.json --report junit=keaops-junit.xml`,
		Args: cobra.NoArgs,
		RunE: runE(func(ctx context.Context) (int, error) { return Check(ctx, a, stdout) }),
	}
	a.SiteArgs.flags(cmd)
	formatFlag(cmd, &a.Format, "text", "json")
	cmd.Flags().StringArrayVar(&a.Reports, "report", nil, "also write a report: junit=FILE, codequality=FILE (GitLab) or sarif=FILE (GitHub); repeatable")
	return cmd
}

// checkReport is check's JSON output.
type checkReport struct {
	Findings     model.Findings `json:"findings"`
	Errors       int            `json:"errors"`
	Warnings     int            `json:"warnings"`
	Subnets      int            `json:"subnets"`
	Reservations int            `json:"reservations"`
	Nodes        int            `json:"nodes"`
}

// Check runs keaops check and returns its exit code.
func Check(ctx context.Context, a CheckArgs, out io.Writer) (int, error) {
	if a.Format != "text" && a.Format != "json" {
		return ExitProblems, fmt.Errorf("--format %q: want text or json", a.Format)
	}
	site, findings, err := LoadAndValidate(ctx, a.SiteArgs)
	if err != nil {
		return ExitProblems, err
	}
	if err := writeReports(a.Reports, findings); err != nil {
		return ExitProblems, err
	}
	rep := checkReport{Findings: findings, Errors: findings.Count(model.Error), Warnings: findings.Count(model.Warning)}
	if rep.Findings == nil {
		rep.Findings = model.Findings{}
	}
	if site != nil {
		rep.Subnets, rep.Reservations, rep.Nodes = len(site.Subnets), len(site.Reservations), len(site.Nodes)
	}
	if a.Format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return ExitProblems, fmt.Errorf("writing report: %w", err)
		}
	} else {
		printFindings(out, a.Site, site, findings)
	}
	if rep.Errors > 0 {
		return ExitProblems, nil
	}
	return ExitOK, nil
}

// LoadAndValidate reads the site and runs every check: the shared first half
// of check, render, diff and deploy. Shape errors in a file do not stop the
// semantic checks on the records that were well formed.
func LoadAndValidate(ctx context.Context, a SiteArgs) (*model.Site, model.Findings, error) {
	return loadAndValidate(ctx, yamlsrc.OS, a)
}

// loadAndValidate is LoadAndValidate over files: the site as it is, or
// as an edit would leave it.
func loadAndValidate(ctx context.Context, files yamlsrc.Files, a SiteArgs) (*model.Site, model.Findings, error) {
	site, findings, err := loadSite(ctx, files, a)
	if err != nil {
		return nil, nil, err
	}
	if site != nil && a.Override != "" {
		more, err := yamlsrc.ApplyOverrides(ctx, files, a.Override, site)
		if err != nil {
			return nil, nil, err
		}
		findings = append(findings, more...)
	}
	if site != nil {
		findings = append(findings, validate.Site(site)...)
		for _, f := range kea.Check(site) {
			// The schema has said so already, at the value.
			if f.Check == "kea-version" && mentionsVersion(findings) {
				continue
			}
			findings = append(findings, f)
		}
	}
	findings.Sort()
	return site, findings, nil
}

// loadValid loads and checks the site for a command that goes on to use it:
// on error findings it prints them and returns nil with exit code 1.
func loadValid(ctx context.Context, a SiteArgs, out io.Writer) (*model.Site, error) {
	site, findings, err := LoadAndValidate(ctx, a)
	if err != nil {
		return nil, err
	}
	if site == nil || findings.HasErrors() {
		printFindings(out, a.Site, site, findings)
		return nil, nil
	}
	return site, nil
}

// printFindings prints findings and check's one-line summary.
func printFindings(out io.Writer, sitePath string, site *model.Site, findings model.Findings) {
	for _, f := range findings {
		fmt.Fprintln(out, f)
	}
	verdict := "ok"
	if findings.HasErrors() {
		verdict = "FAILED"
	}
	var subnets, reservations int
	if site != nil {
		subnets, reservations = len(site.Subnets), len(site.Reservations)
	}
	fmt.Fprintf(out, "%s: %s: %s, %s, %s, %s\n", filepath.Base(sitePath), verdict,
		count(findings.Count(model.Error), "error"), count(findings.Count(model.Warning), "warning"),
		count(subnets, "subnet"), count(reservations, "reservation"))
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if strings.HasSuffix(what, "x") || strings.HasSuffix(what, "s") {
		return fmt.Sprintf("%d %ses", n, what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func mentionsVersion(fs model.Findings) bool {
	for _, f := range fs {
		if f.Severity == model.Error && strings.Contains(f.Message, "kea-version") {
			return true
		}
	}
	return false
}

// siteFlag defines --site: the site file, or the directory that holds its
// keaops.yaml; KEAOPS_SITE is the default where it is set.
func siteFlag(cmd *cobra.Command, p *string) {
	def := os.Getenv("KEAOPS_SITE")
	if def == "" {
		def = "keaops.yaml"
	}
	*p = sitePath(def)
	cmd.Flags().VarP((*siteValue)(p), "site", "s", "the site file, or its directory (default: $KEAOPS_SITE, else keaops.yaml)")
}

type siteValue string

func (v *siteValue) Set(s string) error { *v = siteValue(sitePath(s)); return nil }
func (v *siteValue) String() string     { return string(*v) }
func (v *siteValue) Type() string       { return "path" }

// sitePath is a site named by its file or by its directory.
func sitePath(p string) string {
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		return filepath.Join(p, "keaops.yaml")
	}
	return p
}
