package plan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/keaops/keaops/internal/keaapi"
)

// Commander sends one control-API command (a *keaapi.Client).
type Commander interface {
	Command(ctx context.Context, command string, args any) (json.RawMessage, error)
}

// Run sends steps in order and stops at the first failure: it returns how
// many succeeded, so Undo can take exactly those back. Nothing is
// persisted; the caller config-writes once every step succeeded.
func Run(ctx context.Context, c Commander, steps []Step, progress func(Step)) (int, error) {
	for i, s := range steps {
		if progress != nil {
			progress(s)
		}
		if _, err := c.Command(ctx, s.Command, s.Args); err != nil {
			err = fmt.Errorf("%s: %w", s.What, err)
			if s.IfGone != nil {
				err = errors.Join(err, restoreIfGone(context.WithoutCancel(ctx), c, s))
			}
			return i, err
		}
	}
	return len(steps), nil
}

// restoreIfGone puts back a host a rejected reservation-update deleted.
func restoreIfGone(ctx context.Context, c Commander, s Step) error {
	_, err := c.Command(ctx, "reservation-get", map[string]any{"subnet-id": s.Key.Subnet, "identifier-type": s.Key.Type, "identifier": s.Key.ID})
	switch {
	case err == nil:
		return nil // the host survived the failed update
	case !errors.Is(err, keaapi.ErrEmpty):
		return fmt.Errorf("checking whether the host survived the failed update: %w", err)
	}
	if _, err := c.Command(ctx, s.IfGone.Command, s.IfGone.Args); err != nil {
		return fmt.Errorf("Kea deleted the host when it rejected the update, and restoring it failed: %w", err)
	}
	return fmt.Errorf("Kea deleted the host when it rejected the update; it was restored")
}

// Undo takes back steps[:done], newest first. Every inverse is tried; the
// error lists those that failed (the caller's last resort is config-set
// of the previous config).
func Undo(ctx context.Context, c Commander, steps []Step, done int, progress func(Step)) error {
	ctx = context.WithoutCancel(ctx)
	var errs []error
	for i := done - 1; i >= 0; i-- {
		u := steps[i].Undo
		if u == nil {
			continue
		}
		if progress != nil {
			progress(*u)
		}
		if _, err := c.Command(ctx, u.Command, u.Args); err != nil {
			errs = append(errs, fmt.Errorf("undoing %q with %s: %w", steps[i].What, u.What, err))
		}
	}
	return errors.Join(errs...)
}
