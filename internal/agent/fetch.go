package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/keaops/keaops/internal/artifact"
	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/sources/keaconfig"
)

// fetched is a verified revision for this node, secrets resolved.
type fetched struct {
	snap     Snapshot
	resolved []byte // the whole kea-dhcp4.json
	want     json.RawMessage
	wantSite *model.Site
}

// Prepare installs the latest verified revision as Kea's config file and
// touches nothing else: run before Kea starts (keaops-agent --prepare, the
// keaops-agent-prepare unit), it makes a node that was down while its
// partner took changes start on the same config, before HA lets it serve.
// A revision that failed on this node before is not installed.
func (a *Agent) Prepare(ctx context.Context) error {
	f, err := a.fetch(ctx)
	if err != nil {
		return err
	}
	if err := a.writeFiles(f.snap, f.resolved); err != nil {
		return err
	}
	a.log.Info("prepared", "revision", f.snap.Revision, "file", a.cfg.Kea.ConfigFile)
	return nil
}

// fetch reads the latest revision for this node and verifies it: newer
// than what was applied, not a revision that failed here, its files
// matching the manifest, its config naming this node.
func (a *Agent) fetch(ctx context.Context) (fetched, error) {
	snap, err := a.src.Latest(ctx, a.cfg.Node)
	if err != nil {
		if errors.Is(err, errVerify) {
			a.metrics.verifyFailures.Inc()
			a.update(func(s *Status) { s.Stalled = true })
			return fetched{}, fmt.Errorf("refusing the artifacts: %w", err)
		}
		a.metrics.fetchFailures.Inc()
		a.mu.Lock()
		a.fetchFailures++
		a.mu.Unlock()
		return fetched{}, fmt.Errorf("fetch failed, staying on the current config: %w", err)
	}
	a.mu.Lock()
	a.fetchFailures = 0
	a.mu.Unlock()
	a.update(func(s *Status) { s.LastAttemptedRevision = snap.Revision })
	st := a.Status()
	if err := a.notOlder(snap, st); err != nil {
		return fetched{}, err
	}
	if snap.Revision == st.FailedRevision {
		a.update(func(s *Status) { s.Stalled = true })
		return fetched{}, fmt.Errorf("revision %s failed before; waiting for a new one", short(snap.Revision))
	}

	rendered, ok := snap.Files["kea-dhcp4.json"]
	if !ok {
		return fetched{}, fmt.Errorf("%w: no kea-dhcp4.json for %s", errVerify, a.cfg.Node)
	}
	resolved, err := snap.Manifest.Resolve(a.cfg.Node, "kea-dhcp4.json", rendered, artifact.EnvFileResolver)
	if err != nil {
		return fetched{}, err
	}
	want, err := keaconfig.Unwrap(resolved)
	if err != nil {
		return fetched{}, fmt.Errorf("%w: kea-dhcp4.json: %w", errVerify, err)
	}
	wantSite, err := keaconfig.Parse(want, "rendered")
	if err != nil {
		return fetched{}, fmt.Errorf("%w: kea-dhcp4.json: %w", errVerify, err)
	}
	if err := keaconfig.CheckIdentity(want, a.cfg.Node); err != nil {
		return fetched{}, fmt.Errorf("%w: %w", errVerify, err)
	}
	return fetched{snap: snap, resolved: resolved, want: want, wantSite: wantSite}, nil
}
