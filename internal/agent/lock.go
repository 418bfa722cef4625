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

// notOlder refuses a revision published before the applied one: after a
// force-push of the artifact branch to an older commit the agent would
// otherwise go back in time and call it "applied". The order comes from
// the serial keaops publish writes, since the agent sees one commit and
// no history.
func (a *Agent) notOlder(snap Snapshot, st Status) error {
	have, got := st.AppliedSerial, snap.Manifest.Serial
	if a.cfg.AllowOlder || have == 0 || snap.Revision == st.LastAppliedRevision || got > have {
		if st.OlderRefused {
			a.update(func(s *Status) { s.OlderRefused = false })
		}
		return nil
	}
	a.metrics.olderRefused.Inc()
	a.update(func(s *Status) { s.OlderRefused, s.Ready = true, false })
	what := fmt.Sprintf("serial %d", got)
	if got == 0 {
		what = "no serial (not written by keaops publish)"
	}
	return fmt.Errorf("revision %s has %s, older than the applied %s (serial %d): the artifact branch went back (a force-push?); refused — publish a new render, or set allow-older-revisions: true to roll back this way",
		short(snap.Revision), what, short(st.LastAppliedRevision), have)
}

// probeEvery is how often the agent asks kea-dhcp4 whether it answers at
// all, between passes: a frozen or dead daemon must not stay "ready" for a
// whole interval.
const probeEvery = 5 * time.Second

// probe keeps KeaResponding current: status-get through the control
// socket, bounded by a short timeout.
func (a *Agent) probe(ctx context.Context) {
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := a.kea.Status(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		ok := err == nil
		if st := a.Status(); st.KeaResponding != ok {
			if !ok {
				a.log.Warn("kea-dhcp4 does not answer", "err", err)
			}
			a.update(func(s *Status) { s.KeaResponding = ok })
		}
		a.metrics.setResponding(ok)
		select {
		case <-ctx.Done():
			return
		case <-time.After(probeEvery):
		}
	}
}

// reported is the status as /status shows it: ready only while Kea answers.
func (a *Agent) reported() Status {
	s := a.Status()
	s.Ready = s.Ready && s.KeaResponding
	return s
}
