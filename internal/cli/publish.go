package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/keaops/keaops/internal/publish"
)

// PublishArgs are the inputs of keaops publish.
type PublishArgs struct {
	From     string
	Opts     publish.Options
	TokenEnv string
	// Format is text or json.
	Format string
}

func newPublishCmd(stdout io.Writer) *cobra.Command {
	var a PublishArgs
	cmd := &cobra.Command{
		Use:   "publish",
		Short: "Commit a render directory to a Git branch for keaops-agent to pull",
		Long: `publish commits the output of keaops render to a branch of a Git remote —
one commit per render that changed something, its message naming the
source revision — and pushes it, never forced. keaops-agent on each node
pulls that branch. Nothing is committed when the branch already holds this
render; a render that does not match its manifest is refused.

Remotes: https:// (a token from --token-env, or --user with it), ssh://
or git@host:path (--ssh-key), or a path on disk.

Exit codes: 0 published (or nothing to publish), 1 failure.`,
		Example: `  keaops render -o rendered
  KEAOPS_GIT_TOKEN=$CI_JOB_TOKEN keaops publish --from rendered \
      --remote https://gitlab.example.org/net/dhcp-rendered.git --branch main`,
		Args: cobra.NoArgs,
		RunE: runE(func(ctx context.Context) (int, error) { return Publish(ctx, a, stdout) }),
	}
	cmd.Flags().StringVar(&a.From, "from", "rendered", "the render directory")
	cmd.Flags().StringVar(&a.Opts.Remote, "remote", "", "the Git remote (URL or path; required)")
	cmd.Flags().StringVar(&a.Opts.Branch, "branch", "keaops-rendered", "the branch to commit to")
	cmd.Flags().StringVar(&a.Opts.Path, "path", "", "directory inside the branch (default: its root)")
	cmd.Flags().StringVar(&a.Opts.User, "user", "", "user for HTTPS basic auth (default: any, for tokens)")
	cmd.Flags().StringVar(&a.TokenEnv, "token-env", "KEAOPS_GIT_TOKEN", "environment variable holding the HTTPS token or password")
	cmd.Flags().StringVar(&a.Opts.SSHKeyFile, "ssh-key", "", "private key file for SSH remotes")
	cmd.Flags().StringVar(&a.Opts.AuthorName, "author-name", "keaops", "commit author name")
	cmd.Flags().StringVar(&a.Opts.AuthorEmail, "author-email", "keaops@localhost", "commit author email")
	formatFlag(cmd, &a.Format, "text", "json")
	_ = cmd.MarkFlagRequired("remote")
	return cmd
}

// publishReport is publish --format json.
type publishReport struct {
	Branch string `json:"branch"`
	Commit string `json:"commit"`
	// Changed: a commit was made and pushed; false when the branch held
	// this render already.
	Changed bool `json:"changed"`
}

// Publish runs keaops publish.
func Publish(ctx context.Context, a PublishArgs, out io.Writer) (int, error) {
	a.Opts.Password = os.Getenv(a.TokenEnv)
	res, err := publish.Publish(ctx, a.From, a.Opts)
	if err != nil {
		return ExitProblems, err
	}
	switch {
	case a.Format == "json":
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(publishReport{Branch: a.Opts.Branch, Commit: res.Commit, Changed: res.Changed}); err != nil {
			return ExitProblems, fmt.Errorf("writing the report: %w", err)
		}
	case !res.Changed:
		fmt.Fprintf(out, "%s already holds this render (%s): nothing committed\n", a.Opts.Branch, res.Commit[:12])
	default:
		fmt.Fprintf(out, "published %s to %s as %s\n", a.From, a.Opts.Branch, res.Commit[:12])
	}
	return ExitOK, nil
}
