package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/keaops/keaops/internal/gitlabnote"
	"github.com/keaops/keaops/internal/safefile"
)

// GitLabNoteArgs are the inputs of keaops gitlab note. The merge request
// defaults to the pipeline's (GitLab's CI_ variables).
type GitLabNoteArgs struct {
	File     string
	Key      string
	APIURL   string
	Project  string
	MR       int
	TokenEnv string
	Timeout  time.Duration
}

func newGitLabCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gitlab",
		Short: "Work with the GitLab merge request a pipeline runs for",
	}
	var a GitLabNoteArgs
	note := &cobra.Command{
		Use:   "note --file keaops-plan.md",
		Short: "Put a file on the merge request as keaops's note: added once, edited by every later pipeline",
		Long: `note puts the file's text on the pipeline's merge request as one note:
the first pipeline adds it, every later one edits the same note, so the
merge request shows the current plan once instead of one note per push.
keaops finds its note by a marker (an HTML comment GitLab does not show);
--key keeps several kinds of note apart.

The merge request is the pipeline's: CI_API_V4_URL, CI_PROJECT_ID and
CI_MERGE_REQUEST_IID, which GitLab sets in merge request pipelines. The
token (a project or personal access token with the api scope; a job token
cannot write notes) comes from the variable --token-env names.`,
		Example: `  keaops diff --against "$CI_MERGE_REQUEST_DIFF_BASE_SHA" --format markdown > keaops-plan.md
  keaops gitlab note --file keaops-plan.md`,
		Args: cobra.NoArgs,
		RunE: runE(func(ctx context.Context) (int, error) { return GitLabNote(ctx, a, stdout) }),
	}
	f := note.Flags()
	f.StringVar(&a.File, "file", "", "the note's text (Markdown)")
	_ = note.MarkFlagRequired("file")
	f.StringVar(&a.Key, "key", "plan", "which of keaops's notes to keep: one note per key")
	// The pipeline's values are read when the command runs, not shown as
	// defaults: the help and the man page must not depend on where they
	// were made.
	f.StringVar(&a.APIURL, "api-url", "", "GitLab's API (default: CI_API_V4_URL)")
	f.StringVar(&a.Project, "project", "", "the project's id or path (default: CI_PROJECT_ID)")
	f.IntVar(&a.MR, "mr", 0, "the merge request's iid (default: CI_MERGE_REQUEST_IID)")
	f.StringVar(&a.TokenEnv, "token-env", "KEAOPS_GITLAB_TOKEN", "the environment variable holding the token")
	f.DurationVar(&a.Timeout, "timeout", 30*time.Second, "time limit for each request to GitLab")
	cmd.AddCommand(note)
	return cmd
}

// GitLabNote runs keaops gitlab note.
func GitLabNote(ctx context.Context, a GitLabNoteArgs, out io.Writer) (int, error) {
	a.APIURL = cmp.Or(a.APIURL, os.Getenv("CI_API_V4_URL"))
	a.Project = cmp.Or(a.Project, os.Getenv("CI_PROJECT_ID"))
	if a.MR == 0 {
		a.MR, _ = strconv.Atoi(os.Getenv("CI_MERGE_REQUEST_IID"))
	}
	if a.Project == "" || a.MR == 0 {
		return ExitProblems, fmt.Errorf("no merge request: outside a merge request pipeline, pass --project and --mr")
	}
	body, err := safefile.ReadFile(a.File, safefile.Options{Limit: 1 << 20})
	if err != nil {
		return ExitProblems, fmt.Errorf("reading the note: %w", err)
	}
	if len(body) == 0 {
		return ExitProblems, fmt.Errorf("%s is empty: no note written (did the job that writes it fail?)", a.File)
	}
	c, err := gitlabnote.New(a.APIURL, os.Getenv(a.TokenEnv), a.Timeout, logOf(ctx))
	if err != nil {
		return ExitProblems, fmt.Errorf("%w (from %s)", err, a.TokenEnv)
	}
	r, err := c.Upsert(ctx, gitlabnote.MR{Project: a.Project, IID: a.MR}, a.Key, string(body))
	if err != nil {
		return ExitProblems, err
	}
	verb := "edited"
	if r.Created {
		verb = "added"
	}
	fmt.Fprintf(out, "note %d %s on !%d\n", r.ID, verb, a.MR)
	return ExitOK, nil
}
