package plan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

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
		return fmt.Errorf("the host was deleted by Kea when it rejected the update, and restoring it failed: %w", err)
	}
	return errors.New("the host was deleted by Kea when it rejected the update; it was restored")
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

// Check reads back what steps changed and confirms the node holds it: each
// updated subnet carries the record it was sent, each host the plan touched
// is there with its address and name, or gone. With Kea's hash unchanged
// since the last step, this is what the node runs: preflight compared the
// whole running config, and the plan covers every difference it found.
func Check(ctx context.Context, c Commander, steps []Step) error {
	last := map[hostKey]Step{}
	var order []hostKey
	for _, s := range steps {
		switch s.Command {
		case "subnet4-update":
			if err := checkSubnet(ctx, c, s); err != nil {
				return err
			}
		default:
			if _, seen := last[s.Key]; !seen {
				order = append(order, s.Key)
			}
			last[s.Key] = s
		}
	}
	for _, k := range order {
		if err := checkHost(ctx, c, k, last[k]); err != nil {
			return err
		}
	}
	return nil
}

func checkSubnet(ctx context.Context, c Commander, s Step) error {
	sent := s.Args.(map[string]any)["subnet4"].([]any)[0].(map[string]json.RawMessage)
	var id uint32
	_ = json.Unmarshal(sent["id"], &id)
	raw, err := c.Command(ctx, "subnet4-get", map[string]any{"id": id})
	if err != nil {
		return fmt.Errorf("reading back subnet %d: %w", id, err)
	}
	var got struct {
		Subnets []struct {
			Context struct {
				Keaops json.RawMessage `json:"keaops"`
			} `json:"user-context"`
		} `json:"subnet4"`
	}
	var want struct {
		Keaops json.RawMessage `json:"keaops"`
	}
	_ = json.Unmarshal(sent["user-context"], &want)
	if err := json.Unmarshal(raw, &got); err != nil || len(got.Subnets) != 1 {
		return fmt.Errorf("reading back subnet %d: %s", id, raw)
	}
	if !sameJSON(got.Subnets[0].Context.Keaops, want.Keaops) {
		return fmt.Errorf("subnet %d carries record %s, this deploy sent %s: another change came in between", id, got.Subnets[0].Context.Keaops, want.Keaops)
	}
	return nil
}

func checkHost(ctx context.Context, c Commander, k hostKey, s Step) error {
	raw, err := c.Command(ctx, "reservation-get", map[string]any{"subnet-id": k.Subnet, "identifier-type": k.Type, "identifier": k.ID})
	gone := errors.Is(err, keaapi.ErrEmpty)
	switch {
	case s.Command == "reservation-del" && gone:
		return nil
	case s.Command == "reservation-del" && err == nil:
		return fmt.Errorf("%s: the host is still there", s.What)
	case err != nil:
		return fmt.Errorf("reading back %s: %w", s.What, err)
	}
	var got, want struct {
		IP       string `json:"ip-address"`
		Hostname string `json:"hostname"`
	}
	_ = json.Unmarshal(raw, &got)
	obj := s.Args.(map[string]any)["reservation"].(map[string]json.RawMessage)
	_ = json.Unmarshal(obj["ip-address"], &want.IP)
	_ = json.Unmarshal(obj["hostname"], &want.Hostname)
	if got != want {
		return fmt.Errorf("%s: the node holds %s %q instead", s.What, got.IP, got.Hostname)
	}
	return nil
}

func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

// Resetter is a node that can also be set back whole (a *keaapi.Client).
type Resetter interface {
	Commander
	ConfigHash(ctx context.Context) (string, error)
	ConfigSet(ctx context.Context, dhcp4 json.RawMessage) (string, error)
}

// Restore takes steps[:done] back (Undo) and proves it by Kea's hash,
// which depends only on content, against prevHash ("" on Kea 2.2, which
// has none: the inverses are trusted). When the inverses failed or did not
// restore it, the previous config is set whole, the last resort; configSet
// says so. Nothing is persisted.
func Restore(ctx context.Context, c Resetter, steps []Step, done int, prevHash string, previous json.RawMessage, progress func(Step)) (configSet bool, _ error) {
	ctx = context.WithoutCancel(ctx)
	undoErr := Undo(ctx, c, steps, done, progress)
	if undoErr == nil && prevHash == "" {
		return false, nil
	}
	if undoErr == nil {
		if h, err := c.ConfigHash(ctx); err == nil && strings.EqualFold(h, prevHash) {
			return false, nil
		}
	}
	if progress != nil {
		progress(Step{Command: "config-set", What: "the inverse commands did not restore it: setting the previous config"})
	}
	if _, err := c.ConfigSet(ctx, previous); err != nil {
		return true, fmt.Errorf("undoing the live changes failed (%v) and so did restoring the previous config; the node may be serving nobody: %w", undoErr, err)
	}
	return true, nil
}
