package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/keaops/keaops/internal/gitremote"
	"github.com/keaops/keaops/internal/gitrev"
)

// gitArgs are how a command that edits the site's files records the edit
// in Git: a commit, on a new branch, pushed for a merge request.
type gitArgs struct {
	Commit   bool
	Branch   string
	Push     bool
	TokenEnv string
	SSHKey   string
}

func (g *gitArgs) flags(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&g.Commit, "commit", false, "commit the edit to Git, its message naming the change")
	cmd.Flags().StringVar(&g.Branch, "branch", "", "start this branch at HEAD first, for a merge request (implies --commit)")
	cmd.Flags().BoolVar(&g.Push, "push", false, "push the branch to origin (with --branch; never forced)")
	cmd.Flags().StringVar(&g.TokenEnv, "token-env", "KEAOPS_GIT_TOKEN", "with --push: the environment variable holding the HTTPS token")
	cmd.Flags().StringVar(&g.SSHKey, "ssh-key", "", "with --push: the private key for an SSH origin")
}

// check is what the flags must say before anything is written.
func (g gitArgs) check() error {
	if g.Push && g.Branch == "" {
		return errors.New("--push sends the --branch the edit is committed on: name one")
	}
	return nil
}

// record commits files (when asked), on the branch, and pushes it.
func (g gitArgs) record(ctx context.Context, files []string, message string, out io.Writer) error {
	if !g.Commit && g.Branch == "" {
		return nil
	}
	hash, err := gitrev.Commit(files, message, g.Branch)
	if err != nil {
		return fmt.Errorf("written, but not committed: %w", err)
	}
	on := ""
	if g.Branch != "" {
		on = " on branch " + g.Branch
	}
	fmt.Fprintf(out, "committed %s%s\n", hash[:12], on)
	if !g.Push {
		return nil
	}
	auth, err := gitremote.Auth("", os.Getenv(g.TokenEnv), g.SSHKey)
	if err != nil {
		return err
	}
	if err := gitrev.Push(ctx, files[0], g.Branch, auth); err != nil {
		return fmt.Errorf("committed, but not pushed: %w", err)
	}
	fmt.Fprintf(out, "pushed %s to origin\n", g.Branch)
	return nil
}
