package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/keaops/keaops/internal/artifact"
	"github.com/keaops/keaops/sources/keaconfig"
)

// d2File is kea-dhcp-ddns's rendered config (generators/kea.D2File; the
// agent does not link the generators).
const d2File = "kea-dhcp-ddns.json"

// applyD2 brings the local kea-dhcp-ddns to the revision's config: left
// alone when what runs means the same (its file is still kept equal),
// else config-test, config-set and the file written; a failed set puts
// the previous config back.
func (a *Agent) applyD2(ctx context.Context, snap Snapshot) error {
	rendered, ok := snap.Files[d2File]
	if !ok {
		return nil
	}
	if a.d2 == nil {
		a.log.Warn("the revision has a kea-dhcp-ddns.json for this node, but kea.ddns-control is not set: not applied")
		return nil
	}
	resolved, err := snap.Manifest.Resolve(a.cfg.Node, d2File, rendered, artifact.EnvFileResolver)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", errVerify, d2File, err)
	}
	want, err := keaconfig.UnwrapAs(resolved, "DhcpDdns")
	if err != nil {
		return fmt.Errorf("%w: %s: %w", errVerify, d2File, err)
	}
	live, err := a.d2.ConfigGet(ctx)
	if err != nil {
		return fmt.Errorf("reading kea-dhcp-ddns's running config: %w", err)
	}
	same, err := keaconfig.SameD2(live.Dhcp4, want)
	if err != nil {
		return err
	}
	write := func() error {
		if cur, err := os.ReadFile(a.cfg.Kea.DDNSConfigFile); err == nil && bytes.Equal(cur, resolved) {
			return nil
		}
		return artifact.WriteFileAtomicAs(a.cfg.Kea.DDNSConfigFile, resolved, keaFile)
	}
	if same {
		return write()
	}
	if err := a.d2.ConfigTest(ctx, want); err != nil {
		return fmt.Errorf("kea-dhcp-ddns config-test rejected revision %s: %w", short(snap.Revision), err)
	}
	a.log.Info("applying kea-dhcp-ddns", "revision", snap.Revision)
	if _, err := a.d2.ConfigSet(ctx, want); err != nil {
		cause := fmt.Errorf("kea-dhcp-ddns config-set of revision %s: %w", short(snap.Revision), err)
		if _, rerr := a.d2.ConfigSet(context.WithoutCancel(ctx), live.Dhcp4); rerr != nil {
			return errors.Join(cause, fmt.Errorf("restoring kea-dhcp-ddns: %w", rerr))
		}
		a.metrics.rollbacks.Inc()
		return fmt.Errorf("%w (kea-dhcp-ddns rolled back to its previous config)", cause)
	}
	return write()
}
