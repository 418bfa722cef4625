// Command keaops-gendocs writes what a package installs beside the
// binaries: keaops's man pages and its bash, zsh and fish completions,
// generated from the CLI itself so that they cannot drift from it. It is
// a build tool (goreleaser's before hook), not shipped; it lives apart so
// that keaops itself does not link the man page generator.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/keaops/keaops/internal/cli"
)

func main() {
	out := flag.String("o", "build/docs", "directory to write man/ and completions/ into")
	flag.Parse()
	if err := write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "keaops-gendocs:", err)
		os.Exit(1)
	}
}

// write puts the man pages in dir/man/man1 and the completions in
// dir/completions/keaops.{bash,zsh,fish}.
func write(dir string) error {
	root := cli.NewRoot(io.Discard, io.Discard)
	root.DisableAutoGenTag = true
	man := filepath.Join(dir, "man", "man1")
	comp := filepath.Join(dir, "completions")
	for _, d := range []string{man, comp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	// SOURCE_DATE_EPOCH (the commit's time, from the release build) keeps
	// a rebuild byte-identical.
	date := time.Now()
	if s, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64); err == nil {
		date = time.Unix(s, 0).UTC()
	}
	hdr := &doc.GenManHeader{Title: "KEAOPS", Section: "1", Source: "keaops", Manual: "keaops manual", Date: &date}
	if err := doc.GenManTree(root, hdr, man); err != nil {
		return fmt.Errorf("writing the man pages: %w", err)
	}
	for name, gen := range map[string]func(*cobra.Command, string) error{
		"keaops.bash": func(c *cobra.Command, f string) error { return c.GenBashCompletionFileV2(f, true) },
		"keaops.zsh":  (*cobra.Command).GenZshCompletionFile,
		"keaops.fish": func(c *cobra.Command, f string) error { return c.GenFishCompletionFile(f, true) },
	} {
		if err := gen(root, filepath.Join(comp, name)); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	return nil
}
