package cli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

var updateReadme = flag.Bool("update-readme", false, "rewrite README.md's flag reference from the CLI")

const (
	flagsBegin = "<!-- flags: generated from the CLI by go test ./internal/cli -run TestREADMEDocumentsTheCLI -update-readme -->\n"
	flagsEnd   = "<!-- flags end -->\n"
)

// flagReference is every command's flags as a Markdown table each, after
// the flags every command takes.
func flagReference(root *cobra.Command) string {
	var b strings.Builder
	table := func(title string, flags *pflag.FlagSet) {
		fmt.Fprintf(&b, "\n%s\n\n| flag | what | default |\n|---|---|---|\n", title)
		flags.VisitAll(func(f *pflag.Flag) {
			if f.Hidden || f.Name == "help" || f.Name == "version" {
				return
			}
			name := "--" + f.Name
			if f.Shorthand != "" {
				name = "-" + f.Shorthand + ", " + name
			}
			def := f.DefValue
			if def == "false" || def == "[]" || def == "0" {
				def = ""
			}
			if def != "" {
				def = "`" + def + "`"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", name, strings.ReplaceAll(f.Usage, "|", `\|`), def)
		})
	}
	table("Every command", root.PersistentFlags())
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" || sub.Name() == "completion" {
				continue
			}
			if sub.Runnable() {
				table("`"+sub.CommandPath()+"`", sub.NonInheritedFlags())
			}
			walk(sub)
		}
	}
	walk(root)
	return b.String()
}

// TestREADMEDocumentsTheCLI: the README's command table names every
// command, and its flag reference is every flag as the CLI has it.
func TestREADMEDocumentsTheCLI(t *testing.T) {
	t.Setenv("KEAOPS_SITE", "")
	root := newRoot(io.Discard, io.Discard)
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" || sub.Name() == "completion" {
				continue
			}
			if sub.Runnable() && !strings.Contains(text, "| `"+sub.CommandPath()) {
				t.Errorf("the README's command table has no row for %s", sub.CommandPath())
			}
			walk(sub)
		}
	}
	walk(root)
	i, j := strings.Index(text, flagsBegin), strings.Index(text, flagsEnd)
	if i < 0 || j < i {
		t.Fatalf("the README has no flag reference between %q and %q", flagsBegin, flagsEnd)
	}
	want := flagReference(root) + "\n"
	if got := text[i+len(flagsBegin) : j]; got != want {
		if *updateReadme {
			if err := os.WriteFile("../../README.md", []byte(text[:i+len(flagsBegin)]+want+text[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("the README's flag reference is not the CLI's: run go test ./internal/cli -run TestREADMEDocumentsTheCLI -update-readme")
	}
}
