package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/keaops/keaops/internal/artifact"
	"github.com/keaops/keaops/internal/diff"
	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/plan"
	"github.com/keaops/keaops/sources/keaconfig"
)

// keaFile: a config file the agent replaces keeps its owner, group and
// mode — Kea's service user (_kea on Debian) reads it, and config-write
// writes it; a new one is root's alone.
var keaFile = artifact.Owner{Mode: 0o640, GID: -1, Keep: true}

// change is one revision to apply: what runs now and what is wanted.
type change struct {
	snap     Snapshot
	file     []byte // the resolved kea-dhcp4.json
	want     json.RawMessage
	wantSite *model.Site
	previous json.RawMessage
	prevHash string
	plan     plan.Node
}

// apply writes the file, changes the running config the way the plan
// chose (live commands, or config-set) and confirms; any failure puts back
// the previous file and configuration.
func (a *Agent) apply(ctx context.Context, c change) error {
	path := a.cfg.Kea.ConfigFile
	old, readErr := os.ReadFile(path)
	done := 0 // live steps that succeeded
	restore := func(cause error) error {
		rctx := context.WithoutCancel(ctx)
		var errs []error
		if readErr == nil {
			if err := artifact.WriteFileAtomicAs(path, old, keaFile); err != nil {
				errs = append(errs, err)
			}
		}
		if err := a.putBack(rctx, c, done); err != nil {
			errs = append(errs, err)
		}
		if len(errs) > 0 {
			return a.failed(c.snap, errors.Join(append([]error{cause}, errs...)...))
		}
		a.metrics.rollbacks.Inc()
		return a.failed(c.snap, fmt.Errorf("%w (rolled back to the previous config)", cause))
	}
	if readErr == nil {
		if err := artifact.WriteFileAtomic(path+".prev", old, 0o640); err != nil {
			return err
		}
	}
	if err := a.writeFiles(c.snap, c.file); err != nil {
		return restore(err)
	}
	if c.plan.Method == plan.Live {
		var err error
		done, err = plan.Run(ctx, a.kea, c.plan.Steps, func(s plan.Step) { a.log.Info("live change", "command", s.What) })
		if err != nil {
			return restore(fmt.Errorf("live change of revision %s: %w", short(c.snap.Revision), err))
		}
	} else if _, err := a.kea.ConfigSet(ctx, c.want); err != nil {
		return restore(fmt.Errorf("config-set of revision %s: %w", short(c.snap.Revision), err))
	}
	now, err := a.kea.ConfigGet(ctx)
	if err != nil {
		return restore(fmt.Errorf("confirming: %w", err))
	}
	nowSite, err := keaconfig.Parse(now.Dhcp4, "live")
	if err != nil {
		return restore(fmt.Errorf("confirming: %w", err))
	}
	if cs := append(diff.Sites(nowSite, c.wantSite), diff.Local(nowSite, c.wantSite, a.cfg.Node)...); len(cs) > 0 {
		return restore(fmt.Errorf("confirming: Kea does not run the applied config: %s", cs[0]))
	}
	a.metrics.applies.Inc()
	// In a pair, "applied" also means HA is back to normal: the partner's
	// agent waits for exactly this before touching the other node. Live
	// commands leave HA alone; the wait then returns at once.
	if c.wantSite.HA.Mode != model.HANone {
		if err := a.waitHA(ctx); err != nil {
			a.update(func(s *Status) { s.Ready = false })
			return fmt.Errorf("revision %s is applied, but %w", short(c.snap.Revision), err)
		}
	}
	a.applied(c.snap)
	a.log.Info("applied", "revision", c.snap.Revision, "method", string(c.plan.Method))
	return nil
}

// putBack returns Kea to the previous config: a live plan by plan.Restore,
// a config-set plan by config-set of the previous config.
func (a *Agent) putBack(ctx context.Context, c change, done int) error {
	if c.plan.Method == plan.Live {
		_, err := plan.Restore(ctx, a.kea, c.plan.Steps, done, c.prevHash, c.previous, func(s plan.Step) { a.log.Info("undo", "command", s.What) })
		return err
	}
	if _, err := a.kea.ConfigSet(ctx, c.previous); err != nil {
		return fmt.Errorf("restoring the previous config failed, Kea may serve nobody: %w", err)
	}
	return nil
}
