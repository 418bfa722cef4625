package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/keaops/keaops/generators/kea"
	"github.com/keaops/keaops/internal/artifact"
	"github.com/keaops/keaops/sources/keaconfig"
)

// InstallArgs are the inputs of keaops install-config.
type InstallArgs struct {
	From string
	Node string
	Dir  string
}

func newInstallCmd(stdout io.Writer) *cobra.Command {
	var a InstallArgs
	cmd := &cobra.Command{
		Use:   "install-config",
		Short: "Write one node's rendered Kea configs into Kea's directory, secrets resolved",
		Long: `install-config takes a node's files from a render directory, checks each
against the manifest's sha256, resolves the secret placeholders from the
environment or files, and writes them into Kea's configuration directory
atomically (mode 0640: they now hold secrets). Use it to give a new node its
first configuration, or where neither deploy nor keaops-agent may run.

Kea reads the files when it starts or on config-reload; install-config
does not talk to Kea.

Exit codes: 0 installed, 1 a file did not verify, a secret could not be
resolved, or a write failed (files already there are left as they were).`,
		Example: `  keaops render -o rendered
  KEA_API_PASSWORD=... keaops install-config --from rendered --node kea-primary --dir /etc/kea`,
		Args: cobra.NoArgs,
		RunE: runE(func(ctx context.Context) (int, error) { return Install(ctx, a, stdout) }),
	}
	cmd.Flags().StringVar(&a.From, "from", "rendered", "the render directory")
	cmd.Flags().StringVar(&a.Node, "node", "", "the node whose files to install (required)")
	cmd.Flags().StringVar(&a.Dir, "dir", "/etc/kea", "Kea's configuration directory")
	_ = cmd.MarkFlagRequired("node")
	return cmd
}

// Install runs keaops install-config.
func Install(_ context.Context, a InstallArgs, out io.Writer) (int, error) {
	m, err := artifact.ReadManifest(a.From)
	if err != nil {
		return ExitProblems, err
	}
	files, err := artifact.ReadNode(a.From, a.Node)
	if err != nil {
		return ExitProblems, err
	}
	// The same identity check as deploy's preflight and the agent's: the
	// files must be this node's own, not a partner's copied into its place.
	if data, ok := files[kea.Dhcp4File]; ok {
		dhcp4, err := keaconfig.Unwrap(data)
		if err != nil {
			return ExitProblems, fmt.Errorf("%s/%s: %w", a.Node, kea.Dhcp4File, err)
		}
		if err := keaconfig.CheckIdentity(dhcp4, a.Node); err != nil {
			return ExitProblems, fmt.Errorf("%s/%s: %w: refusing to install it", a.Node, kea.Dhcp4File, err)
		}
	}
	// Resolve everything before writing anything: all files or none.
	resolved := map[string][]byte{}
	for name, data := range files {
		if resolved[name], err = m.Resolve(a.Node, name, data, artifact.EnvFileResolver); err != nil {
			return ExitProblems, err
		}
	}
	if err := os.MkdirAll(a.Dir, 0o750); err != nil {
		return ExitProblems, fmt.Errorf("creating %s: %w", a.Dir, err)
	}
	names := make([]string, 0, len(resolved))
	for name := range resolved {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if err := artifact.WriteFileAtomic(filepath.Join(a.Dir, name), resolved[name], 0o640); err != nil {
			return ExitProblems, err
		}
		fmt.Fprintf(out, "installed %s\n", filepath.Join(a.Dir, name))
	}
	return ExitOK, nil
}
