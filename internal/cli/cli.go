// Package cli implements the keaops command line: one file per command,
// each a thin layer that reads flags, calls the pipeline packages and turns
// their results into output and an exit code.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/keaops/keaops/internal/version"
)

// Exit codes, documented in the README and in --help.
const (
	ExitOK       = 0 // success, no error findings
	ExitProblems = 1 // error findings, bad usage or a failure
)

// exitError carries an exit code through cobra without printing twice.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// Main runs keaops with args (without the program name) and returns the
// process exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	tuneGC()
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	var ee exitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.code
	default:
		fmt.Fprintf(stderr, "keaops: %v\n", err)
		return ExitProblems
	}
}

// tuneGC trades memory for speed the way a compiler can: keaops runs for
// seconds and allocates a lot that dies young (YAML nodes, CUE values), so
// collecting half as often saves about a quarter of the time on large
// sites (BenchmarkCompileVsKea). The memory limit keeps the heap in check
// whatever the input; a user's GOGC or GOMEMLIMIT wins.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(768 << 20)
	}
}

// runE adapts a command's (exit code, error) to cobra: an error is printed
// by Main, a non-zero code alone just sets the exit status.
func runE(run func(ctx context.Context) (int, error)) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		code, err := run(cmd.Context())
		if err != nil {
			return err
		}
		if code != ExitOK {
			return exitError{code}
		}
		return nil
	}
}

// NewRoot is the keaops command tree, for the tools that document it (man
// pages, completions).
func NewRoot(stdout, stderr io.Writer) *cobra.Command { return newRoot(stdout, stderr) }

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "keaops",
		Short: "Compile Kea DHCP configuration from Git, check it, and roll it out to an HA pair",
		Long: `keaops reads a site's DHCP intent — keaops.yaml, subnets.yaml and
reservations.yaml — checks it, and renders complete per-node ISC Kea
configuration for a high-availability pair.

Exit codes:
  0  success: no errors found
  1  errors found in the inputs, bad usage, or a failure
  2  diff --exit-code: there are changes`,
		Version:       version.String(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	v := &verbosity{stderr: stderr}
	v.flags(root)
	root.PersistentPreRun = func(cmd *cobra.Command, _ []string) {
		cmd.SetContext(withLog(cmd.Context(), v.logger()))
	}
	subnets, subnet := newSubnetsCmd(stdout)
	root.AddCommand(subnets, subnet)
	root.AddCommand(newCheckCmd(stdout), newRenderCmd(stdout), newDiffCmd(stdout), newDeployCmd(stdout), newStatusCmd(stdout), newInstallCmd(stdout), newPublishCmd(stdout), newNetBoxCmd(stdout, stderr), newImportCmd(stdout), newGitLabCmd(stdout), newReservationCmd(stdout), newLeasesCmd(stdout), newAdoptCmd(stdout))
	return root
}
