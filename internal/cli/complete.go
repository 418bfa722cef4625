package cli

import (
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/keaops/keaops/internal/artifact"
)

// Shell completion of flag values: the formats a command prints, the
// nodes a site or a render has. Completion must be quick and say nothing
// when it cannot know, so the site is read without checking it.

// formatFlag defines --format with the formats the command prints, the
// first the default, and completes them.
func formatFlag(cmd *cobra.Command, p *string, formats ...string) {
	help := formats[0]
	if len(formats) > 1 {
		help = strings.Join(formats[:len(formats)-1], ", ") + " or " + formats[len(formats)-1]
	}
	cmd.Flags().StringVar(p, "format", formats[0], "output format: "+help)
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
}

// siteNodeNames are the node names in the site file --site names.
func siteNodeNames(cmd *cobra.Command) []string {
	path := "keaops.yaml"
	if f := cmd.Flags().Lookup("site"); f != nil {
		path = f.Value.String()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var site struct {
		Nodes []struct{ Name string } `yaml:"nodes"`
	}
	if yaml.Unmarshal(data, &site) != nil {
		return nil
	}
	var out []string
	for _, n := range site.Nodes {
		if n.Name != "" {
			out = append(out, n.Name)
		}
	}
	return out
}

// completeEndpoint offers NODE= for every node of the site.
func completeEndpoint(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	var out []string
	for _, n := range siteNodeNames(cmd) {
		out = append(out, n+"=")
	}
	return out, cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
}

// completeRenderNode offers the nodes of the render --from names.
func completeRenderNode(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	dir := "rendered"
	if f := cmd.Flags().Lookup("from"); f != nil {
		dir = f.Value.String()
	}
	m, err := artifact.ReadManifest(dir)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for name := range m.Nodes {
		out = append(out, name)
	}
	slices.Sort(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}
