package agent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/keaops/keaops/internal/gitlock"
)

// errLockHeld: the deploy lock is someone else's; the pass is tried again
// at the next interval, and the revision is not marked failed.
var errLockHeld = errors.New("the deploy lock is held")

// lock takes the site's deploy lock for one apply, when the agent is told
// to; the returned release records how it ended.
func (a *Agent) lock(ctx context.Context, snap Snapshot) (context.Context, func(last string), error) {
	l := a.cfg.Lock
	if l == nil {
		return ctx, func(string) {}, nil
	}
	auth, err := gitAuth(l.User, l.TokenFile, l.SSHKeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("lock: %w", err)
	}
	branch := l.Branch
	if branch == "" {
		var names []string
		for n := range snap.Manifest.Nodes {
			names = append(names, n)
		}
		slices.Sort(names)
		branch = gitlock.DefaultBranch(names)
	}
	lease, err := gitlock.Acquire(ctx, gitlock.Options{Remote: l.URL, Branch: branch, Auth: auth, TTL: l.TTL.Duration,
		Holder: gitlock.Holder("keaops-agent " + a.cfg.Node)})
	if held := (*gitlock.HeldError)(nil); errors.As(err, &held) {
		a.metrics.lockWaits.Inc()
		return nil, nil, fmt.Errorf("%w: %w; applying at a later pass", errLockHeld, err)
	}
	if err != nil {
		return nil, nil, err
	}
	lctx, cancel := lease.Context(ctx)
	return lctx, func(last string) {
		cancel()
		rctx, done := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer done()
		if err := lease.Release(rctx, last); err != nil {
			a.log.Warn("releasing the deploy lock", "err", err)
		}
	}, nil
}
