package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

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
	// Names: "conf" writes kea-dhcp4.conf and kea-ctrl-agent.conf, the
	// files Debian's (and ISC's) units start; "json" keeps the render's.
	Names string
	// Group owns the files, so Kea's service user reads them and
	// config-write can persist: "auto" (_kea, else kea), a name or a GID,
	// or "" for root only.
	Group string
}

func newInstallCmd(stdout io.Writer) *cobra.Command {
	var a InstallArgs
	cmd := &cobra.Command{
		Use:   "install-config",
		Short: "Write one node's rendered Kea configs into Kea's directory, secrets resolved",
		Long: `install-config takes a node's files from a render directory, checks each
against the manifest's sha256, resolves the secret placeholders from the
environment or files, and writes them into Kea's configuration directory
atomically, under the names the distribution's units start
(kea-dhcp4.conf, kea-ctrl-agent.conf). They hold secrets, so they are
never world-readable: owner root, group Kea's (_kea on Debian and Ubuntu,
kea on RPM systems), mode 0660 — readable by the daemon, which runs as
that group's user, and writable, so that config-write (which keaops
deploy sends after each change) can persist what runs. Use it to give a
new node its first configuration, or where neither deploy nor keaops-agent
may run.

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
	cmd.Flags().StringVar(&a.Names, "names", "conf", "file names: conf (kea-dhcp4.conf, as the distributions' units start) or json (the render's)")
	cmd.Flags().StringVar(&a.Group, "group", "auto", `group of the files: auto (_kea, else kea), a name or a GID, or "" for root only`)
	_ = cmd.MarkFlagRequired("node")
	_ = cmd.RegisterFlagCompletionFunc("node", completeRenderNode)
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
	if a.Names != "conf" && a.Names != "json" {
		return ExitProblems, fmt.Errorf("--names %q: want conf or json", a.Names)
	}
	owner, err := configOwner(a.Group)
	if err != nil {
		return ExitProblems, err
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
		dst := name
		if a.Names == "conf" {
			dst = strings.TrimSuffix(name, ".json") + ".conf"
		}
		if err := artifact.WriteFileAtomicAs(filepath.Join(a.Dir, dst), resolved[name], owner); err != nil {
			return ExitProblems, err
		}
		fmt.Fprintf(out, "installed %s (mode %v, group %s)\n", filepath.Join(a.Dir, dst), owner.Mode, groupName(owner.GID))
	}
	return ExitOK, nil
}

// configOwner: Kea's group may read and write (config-write), nobody else
// may read; without a group, root alone.
func configOwner(group string) (artifact.Owner, error) {
	if group == "auto" {
		for _, g := range []string{"_kea", "kea"} {
			if grp, err := user.LookupGroup(g); err == nil {
				group = grp.Gid
				break
			}
		}
		if group == "auto" {
			group = ""
		}
	}
	if group == "" {
		return artifact.Owner{Mode: 0o600, GID: -1}, nil
	}
	gid, err := strconv.Atoi(group)
	if err != nil {
		grp, lerr := user.LookupGroup(group)
		if lerr != nil {
			return artifact.Owner{}, fmt.Errorf("--group %s: %w", group, lerr)
		}
		gid, _ = strconv.Atoi(grp.Gid)
	}
	return artifact.Owner{Mode: 0o660, GID: gid}, nil
}

func groupName(gid int) string {
	if gid < 0 {
		return "root"
	}
	if g, err := user.LookupGroupId(strconv.Itoa(gid)); err == nil {
		return g.Name
	}
	return strconv.Itoa(gid)
}
