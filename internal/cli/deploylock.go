package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/keaops/keaops/internal/gitlock"
	"github.com/keaops/keaops/internal/gitremote"
	"github.com/keaops/keaops/internal/model"
)

// LockArgs are the credentials for the site's deploy lock (keaops.yaml
// deploy.lock): the same kinds publish takes.
type LockArgs struct {
	TokenEnv   string
	User       string
	SSHKeyFile string
}

func (a *LockArgs) flags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&a.TokenEnv, "lock-token-env", "KEAOPS_GIT_TOKEN", "environment variable holding the HTTPS token for the deploy lock's remote")
	cmd.Flags().StringVar(&a.User, "lock-user", "", "HTTPS user for the deploy lock's remote (default: any, as tokens need)")
	cmd.Flags().StringVar(&a.SSHKeyFile, "lock-ssh-key", "", "private key file for an SSH deploy lock remote")
}

// takeLock takes the site's deploy lock, when it names one, and returns
// the context to deploy under (cancelled if the lock is lost) and the
// release, to be called with how the deploy ended. Without deploy.lock
// only deploys from this machine are kept apart (lockPair).
func takeLock(ctx context.Context, site *model.Site, a LockArgs, out io.Writer) (context.Context, func(last string), error) {
	if site.DeployLock == nil {
		fmt.Fprintln(out, "note: keaops.yaml sets no deploy.lock: deploys from other machines are caught only when they interleave")
		return ctx, func(string) {}, nil
	}
	d := site.DeployLock
	auth, err := gitremote.Auth(a.User, os.Getenv(a.TokenEnv), a.SSHKeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("deploy lock credentials: %w", err)
	}
	branch := d.Branch
	if branch == "" {
		names := make([]string, len(site.Nodes))
		for i, n := range site.Nodes {
			names[i] = n.Name
		}
		branch = gitlock.DefaultBranch(names)
	}
	lease, err := gitlock.Acquire(ctx, gitlock.Options{Remote: d.Remote, Branch: branch, Auth: auth, TTL: d.TTL, Holder: gitlock.Holder("keaops deploy")})
	if held := (*gitlock.HeldError)(nil); errors.As(err, &held) {
		return nil, nil, fmt.Errorf("%w: another deploy is under way; it frees itself %s after its holder stops renewing it (branch %s)", err, d.TTL, branch)
	}
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(out, "deploy lock %s taken (until %s, renewed while deploying)\n", branch, lease.Expires().UTC().Format(time.RFC3339))
	lctx, cancel := lease.Context(ctx)
	release := func(last string) {
		cancel()
		rctx, done := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer done()
		if err := lease.Release(rctx, last); err != nil {
			fmt.Fprintf(out, "warning: releasing the deploy lock: %v (it expires by itself at %s)\n", err, lease.Expires().UTC().Format(time.RFC3339))
		}
	}
	return lctx, release, nil
}
