package cli

import (
	"os"
	"path/filepath"
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

// siteFiles are the files the site names under sources.KEY (a name or a
// list), else its default, beside the site file.
func siteFiles(cmd *cobra.Command, key, def string) []string {
	path := "keaops.yaml"
	if f := cmd.Flags().Lookup("site"); f != nil {
		path = f.Value.String()
	}
	var site struct {
		Sources map[string]yaml.Node `yaml:"sources"`
	}
	data, _ := os.ReadFile(path)
	_ = yaml.Unmarshal(data, &site)
	var names []string
	if n, ok := site.Sources[key]; ok {
		if n.Decode(&names) != nil {
			var one string
			_ = n.Decode(&one)
			names = []string{one}
		}
	}
	if len(names) == 0 {
		names = []string{def}
	}
	for i, n := range names {
		if !filepath.IsAbs(n) {
			names[i] = filepath.Join(filepath.Dir(path), n)
		}
	}
	return names
}

// listNames are the FIELD values of the records of each file's KEY list.
func listNames(files []string, key, field string) []string {
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var doc map[string][]map[string]any
		if yaml.Unmarshal(data, &doc) != nil {
			continue
		}
		for _, r := range doc[key] {
			if s, ok := r[field].(string); ok && s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// completeReservation offers the site's reservations by host name.
func completeReservation(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return listNames(siteFiles(cmd, "reservations", "reservations.yaml"), "reservations", "hostname"), cobra.ShellCompDirectiveNoFileComp
}

// completeSubnet offers the site's subnets by name.
func completeSubnet(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return listNames(siteFiles(cmd, "subnets", "subnets.yaml"), "subnets", "name"), cobra.ShellCompDirectiveNoFileComp
}
