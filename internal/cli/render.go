package cli

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/keaops/keaops/generators/kea"
	"github.com/keaops/keaops/internal/artifact"
	"github.com/keaops/keaops/internal/gitrev"
	"github.com/keaops/keaops/internal/model"
)

// RenderArgs are the inputs of keaops render.
type RenderArgs struct {
	SiteArgs
	Out string
}

func newRenderCmd(stdout io.Writer) *cobra.Command {
	var a RenderArgs
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Check the site, then write every node's Kea configuration and a manifest",
		Long: `render runs every check of keaops check and, when there is no error,
writes the complete configuration of every node for the site's kea-version:

  DIR/manifest.json                  target version, sha256 of every file, source revision
  DIR/<node>/kea-dhcp4.json          the DHCPv4 server
  DIR/<node>/kea-ctrl-agent.json     the Control Agent (Kea 2.x and 3.0)

The directory is replaced as a whole, or not at all: a failed check writes
nothing, and a render never leaves a half-written directory. Secrets appear
in the files only as ${keaops-secret:env:NAME} placeholders, resolved when
the config is applied.

Exit codes: 0 rendered, 1 errors found (nothing written) or a failure.`,
		Example: `  # render the site in the current directory to ./rendered
  keaops render -o rendered

  # render the bundled example
  keaops render --site examples/homelab/keaops.yaml -o /tmp/homelab`,
		Args: cobra.NoArgs,
		RunE: runE(func(ctx context.Context) (int, error) { return Render(ctx, a, stdout) }),
	}
	a.SiteArgs.flags(cmd)
	cmd.Flags().StringVarP(&a.Out, "out", "o", "rendered", "the artifact directory to write")
	return cmd
}

// Render runs keaops render and returns its exit code.
func Render(ctx context.Context, a RenderArgs, out io.Writer) (int, error) {
	site, findings, err := LoadAndValidate(ctx, a.SiteArgs)
	if err != nil {
		return ExitProblems, err
	}
	if site == nil || findings.HasErrors() {
		printFindings(out, a.Site, site, findings)
		fmt.Fprintf(out, "nothing written to %s\n", a.Out)
		return ExitProblems, nil
	}
	for _, f := range findings {
		fmt.Fprintln(out, f)
	}
	set, err := Artifacts(site)
	if err != nil {
		return ExitProblems, err
	}
	if rev, dirty, ok := gitrev.Describe(site.Inputs); ok {
		set.Manifest.Source = &artifact.Source{Revision: rev, Dirty: dirty}
	}
	if err := artifact.Write(a.Out, set); err != nil {
		return ExitProblems, fmt.Errorf("writing %s: %w", a.Out, err)
	}
	src := "not in a Git work tree"
	if s := set.Manifest.Source; s != nil {
		src = "source " + s.Revision[:min(12, len(s.Revision))]
		if s.Dirty {
			src += " (inputs modified)"
		}
	}
	fmt.Fprintf(out, "rendered %s (%s) for Kea %s to %s, %s\n", count(len(set.Manifest.Nodes), "node"), count(len(set.Files), "file"), site.KeaVersion, a.Out, src)
	return ExitOK, nil
}

// Artifacts renders a valid site into an artifact set.
func Artifacts(site *model.Site) (artifact.Set, error) {
	configs, err := kea.Render(site)
	if err != nil {
		return artifact.Set{}, fmt.Errorf("rendering: %w", err)
	}
	set := artifact.Set{Manifest: artifact.Manifest{KeaVersion: site.KeaVersion.String()}}
	for _, c := range configs {
		for _, f := range c.Files {
			secrets := make([]artifact.Secret, len(f.Secrets))
			for i, s := range f.Secrets {
				secrets[i] = artifact.Secret{Offset: s.Offset, Ref: s.Ref}
			}
			set.Add(c.Node.Name, string(c.Node.Role), f.Name, f.Data, secrets)
		}
	}
	set.Manifest.Secrets = secretRefs(site)
	return set, nil
}

func secretRefs(site *model.Site) []string {
	var refs []string
	if site.ControlAuth != nil && site.ControlAuth.Password != nil {
		refs = append(refs, site.ControlAuth.Password.Ref())
	}
	if site.LeaseDB.Password != nil && site.LeaseDB.Type != "memfile" {
		refs = append(refs, site.LeaseDB.Password.Ref())
	}
	slices.Sort(refs)
	return slices.Compact(refs)
}
