package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/keaops/keaops/internal/diff"
	"github.com/keaops/keaops/internal/plan"
	"github.com/keaops/keaops/sources/keaconfig"
)

// apply configures one node: the config it runs must still be the one
// preflight read (else another rollout is under way), then config-set,
// config-write at once, and the wait for HA.
func apply(ctx context.Context, n *node, all []*node, o Options) error {
	o.Progress(n.Name, "checking that nobody else changed it since preflight")
	if err := unchanged(ctx, n); err != nil {
		return err
	}
	if n.res.Plan.Method == plan.Live {
		return applyLive(ctx, n, o)
	}
	o.Progress(n.Name, "config-set")
	n.touched = true // from here on a failure may leave it serving nothing
	hash, err := n.API.ConfigSet(ctx, n.Config)
	if err != nil {
		return err
	}
	n.hash = hash
	// Persist before anything else: until config-write the node runs a
	// config its file does not hold, and a restart (or a deploy killed
	// here) would silently bring back the old one. The window is now two
	// requests wide; the next deploy closes it if it is hit (persist).
	o.Progress(n.Name, "config-write")
	if err := n.API.ConfigWrite(ctx); err != nil {
		return fmt.Errorf("persisting the new config (config-write): %w", err)
	}
	n.res.Applied = true
	if o.HA {
		o.Progress(n.Name, "waiting for HA to settle")
		if err := waitHA(ctx, all, o); err != nil {
			return err
		}
	}
	return nil
}

// applyLive sends a live plan's commands, then records Kea's hash of the
// result and persists it — config-write only once every command
// succeeded, so a half-applied node is never written to its file. HA is
// not restarted: there is nothing to wait for.
func applyLive(ctx context.Context, n *node, o Options) error {
	n.touched = true
	done, err := plan.Run(ctx, n.API, n.res.Plan.Steps, func(s plan.Step) { o.Progress(n.Name, s.What) })
	n.done = done
	if err != nil {
		return err
	}
	if n.prevHash != "" {
		if n.hash, err = n.API.ConfigHash(ctx); err != nil {
			return fmt.Errorf("reading the hash of the changed config: %w", err)
		}
	}
	o.Progress(n.Name, "config-write")
	if err := n.API.ConfigWrite(ctx); err != nil {
		return fmt.Errorf("persisting the live changes (config-write): %w", err)
	}
	n.res.Applied = true
	return nil
}

// persist writes the running config of every node the rollout did not
// change to its file. Such a node runs what keaops rendered, but a rollout
// interrupted between its config-set and config-write may have left the
// file behind; config-write is harmless for DHCP and closes that gap.
func persist(ctx context.Context, nodes []*node, o Options) error {
	var errs []error
	for _, n := range nodes {
		if len(n.res.Changes) > 0 {
			continue
		}
		o.Progress(n.Name, "config-write (its file must hold what it runs)")
		if err := n.API.ConfigWrite(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: persisting its running config (config-write): %w; a restart may bring back an older config", n.Name, err))
		}
	}
	return errors.Join(errs...)
}

// unchanged checks that n still runs the config preflight read. On 2.4+
// Kea's hash says so without reading back the whole config, which for a
// large site is the slowest call a rollout makes.
func unchanged(ctx context.Context, n *node) error {
	switch now, err := runs(ctx, n); {
	case err != nil:
		return err
	case now != runsPrevious:
		return fmt.Errorf("its configuration changed since preflight (%s): another deploy may be running; stopped", n.lastSeen)
	}
	return nil
}

// What a node was found running: the config preflight read, the one this
// rollout set, or another (someone else's).
type running int

const (
	runsPrevious running = iota
	runsOurs
	runsOther
)

// runs reads what n runs now, by hash on 2.4+ and by model on 2.2, and
// keeps a description of the difference in n.lastSeen.
func runs(ctx context.Context, n *node) (running, error) {
	if n.prevHash != "" {
		h, err := n.API.ConfigHash(ctx)
		if err != nil {
			return runsOther, err
		}
		switch {
		case n.hash != "" && strings.EqualFold(h, n.hash):
			return runsOurs, nil
		case strings.EqualFold(h, n.prevHash):
			return runsPrevious, nil
		}
		n.lastSeen = fmt.Sprintf("config-hash-get %s; preflight read %s, this deploy set %s", h, n.prevHash, orNone(n.hash))
		return runsOther, nil
	}
	cur, err := n.API.ConfigGet(ctx)
	if err != nil {
		return runsOther, err
	}
	now, err := keaconfig.Parse(cur.Dhcp4, n.Name+" (live)")
	if err != nil {
		return runsOther, err
	}
	if n.touched && len(diff.Sites(now, n.wantSite))+len(diff.Local(now, n.wantSite, n.Name)) == 0 {
		return runsOurs, nil
	}
	cs := diff.Sites(n.prevSite, now)
	if len(cs) == 0 {
		return runsPrevious, nil
	}
	n.lastSeen = cs[0].String()
	return runsOther, nil
}

func orNone(h string) string {
	if h == "" {
		return "nothing"
	}
	return h
}

// waitHA polls every node until all are in normal HA states.
func waitHA(ctx context.Context, all []*node, o Options) error {
	tctx, cancel := context.WithTimeout(ctx, o.HATimeout)
	defer cancel()
	var last error
	start, said := time.Now(), time.Now()
	for {
		last = nil
		var waiting string
		for _, n := range all {
			st, err := n.API.Status(tctx)
			switch {
			case err == nil && o.Degraded:
				// A survivor has settled when it serves alone again.
				err = partnerGone(st)
			case err == nil:
				err = healthy(st)
			}
			if err != nil {
				last, waiting = fmt.Errorf("%s: %w", n.Name, err), n.Name
				break
			}
		}
		if last == nil {
			return nil
		}
		// A wait can last minutes (a partner syncing its leases): say
		// what it waits for every few seconds instead of going silent.
		if time.Since(said) >= 20*o.Poll { // 5 s at the default poll

			said = time.Now()
			o.Progress(waiting, fmt.Sprintf("still waiting for HA (%s of %s): %v", time.Since(start).Round(time.Second), o.HATimeout, errors.Unwrap(last)))
		}
		select {
		case <-tctx.Done():
			if ctx.Err() != nil {
				return fmt.Errorf("interrupted while waiting for HA to return to normal (%w); last seen: %w", context.Cause(ctx), last)
			}
			return fmt.Errorf("HA did not return to normal within %v: %w", o.HATimeout, last)
		case <-time.After(o.Poll):
		}
	}
}

// verify waits for HA to settle, then reads every changed node: it must
// run, under the same process, what this rollout set. Reading after the
// wait makes the answer hold at the end of the rollout, not before it: a
// deploy that exits 0 leaves every node on what it set. Nodes are read at
// once.
func verify(ctx context.Context, changed, all []*node, o Options) error {
	if o.HA {
		if err := waitHA(ctx, all, o); err != nil {
			return err
		}
	}
	errs := make([]error, len(changed))
	var wg sync.WaitGroup
	for i, n := range changed {
		o.Progress(n.Name, "verifying")
		wg.Go(func() {
			if err := verifyNode(ctx, n); err != nil {
				errs[i] = fmt.Errorf("%s: %w", n.Name, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func verifyNode(ctx context.Context, n *node) error {
	st, err := n.API.Status(ctx)
	if err != nil {
		return fmt.Errorf("verifying: %w", err)
	}
	if st.PID != n.pid {
		return fmt.Errorf("its Kea restarted during the rollout (pid %d → %d): it now runs what its config file held when it started", n.pid, st.PID)
	}
	// 2.4+: the running config is, in Kea's own terms, the one this
	// rollout left: nobody changed it since.
	if n.hash != "" {
		h, err := n.API.ConfigHash(ctx)
		if err != nil {
			return fmt.Errorf("verifying: %w", err)
		}
		if !strings.EqualFold(h, n.hash) {
			return fmt.Errorf("config-hash-get %s differs from the hash it had once this rollout changed it (%s): another deploy or a hand change replaced it during the rollout", h, n.hash)
		}
		n.res.Hash = h
	}
	// A live plan is read back where it changed the node: preflight
	// compared the whole running config, and the hash shows nothing else
	// moved since (plan.Check). Reading 10,000 hosts back again would cost
	// more than the change.
	if n.res.Plan.Method == plan.Live && n.hash != "" {
		if err := plan.Check(ctx, n.API, n.res.Plan.Steps); err != nil {
			return fmt.Errorf("verifying: %w", err)
		}
		return nil
	}
	cur, err := n.API.ConfigGet(ctx)
	if err != nil {
		return fmt.Errorf("verifying: %w", err)
	}
	now, err := keaconfig.Parse(cur.Dhcp4, n.Name+" (live)")
	if err != nil {
		return fmt.Errorf("verifying: %w", err)
	}
	if cs := append(diff.Sites(now, n.wantSite), diff.Local(now, n.wantSite, n.Name)...); len(cs) > 0 {
		return fmt.Errorf("no longer runs what this deploy set (%s): another deploy or a hand change replaced it during the rollout", cs[0])
	}
	return nil
}

// rollback puts every touched node back on its previous configuration,
// newest first, and waits for HA to settle — but only a node that still
// runs what this rollout set, or what it found there: a node now running a
// third config got it from another deploy (or a person) after this one,
// and putting this rollout's "previous" over it would undo their work.
func rollback(ctx context.Context, touched, all []*node, o Options) error {
	// A cancelled rollout still deserves its rollback.
	ctx = context.WithoutCancel(ctx)
	var errs []error
	restored := 0
	for i := len(touched) - 1; i >= 0; i-- {
		n := touched[i]
		if n.res.Plan.Method == plan.Live {
			set, err := undoLive(ctx, n, o)
			if err != nil {
				errs = append(errs, err)
			}
			if set {
				restored++
			}
			continue
		}
		now, err := runs(ctx, n)
		if err == nil && now == runsOther {
			n.res.Applied = false
			n.res.Superseded = true
			errs = append(errs, fmt.Errorf("%s runs a config this deploy neither set nor found (%s): another deploy or a hand change came in between; left as it is", n.Name, n.lastSeen))
			continue
		}
		// A node that cannot be read is restored all the same: it is the
		// one whose config-set just failed, likely serving nobody.
		o.Progress(n.Name, "rolling back to the previous config")
		if _, err := n.API.ConfigSet(ctx, n.previous); err != nil {
			errs = append(errs, fmt.Errorf("%s: restoring the previous config failed, the node may be serving nobody: %w", n.Name, err))
			continue
		}
		if err := n.API.ConfigWrite(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: persisting the restored config: %w", n.Name, err))
		}
		restored++
		n.res.Applied = false
		n.res.RolledBack = true
	}
	if o.HA && restored > 0 && len(errs) == 0 {
		if err := waitHA(ctx, all, o); err != nil {
			errs = append(errs, fmt.Errorf("after the rollback: %w", err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("rollback: %w", errors.Join(errs...))
	}
	return nil
}

// undoLive takes a live plan back on one node (plan.Restore) and persists
// the result. A node that completed its plan and now runs a third config is
// left alone, as in rollback.
func undoLive(ctx context.Context, n *node, o Options) (configSet bool, _ error) {
	complete := n.done == len(n.res.Plan.Steps)
	if complete {
		switch now, err := runs(ctx, n); {
		case err == nil && now == runsOther:
			n.res.Applied = false
			n.res.Superseded = true
			return false, fmt.Errorf("%s runs a config this deploy neither set nor found (%s): another deploy or a hand change came in between; left as it is", n.Name, n.lastSeen)
		case err == nil && now == runsPrevious:
			return false, nil
		}
	}
	o.Progress(n.Name, fmt.Sprintf("undoing %d live commands", n.done))
	set, err := plan.Restore(ctx, n.API, n.res.Plan.Steps, n.done, n.prevHash, n.previous, func(s plan.Step) { o.Progress(n.Name, s.What) })
	if err != nil {
		return set, fmt.Errorf("%s: %w", n.Name, err)
	}
	n.res.Applied = false
	n.res.RolledBack = true
	if err := n.API.ConfigWrite(ctx); err != nil {
		return set, fmt.Errorf("%s: persisting the restored config: %w", n.Name, err)
	}
	return set, nil
}
