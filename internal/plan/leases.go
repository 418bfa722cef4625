package plan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/keaops/keaops/internal/keaapi"
	"github.com/keaops/keaops/internal/model"
)

// lease is what lease_cmds reports of one lease.
type lease = keaapi.Lease4

// LeaseNotes looks at the leases a node holds (lease_cmds; HA keeps both
// nodes' leases the same) for every reservation that is new in want or
// whose address or identifier changed, and says what the change will not
// do at once: a client that holds another address keeps it until it
// renews; an address leased to another client is not handed to the
// reserved one before that lease is renewed away (Kea logs
// ALLOC_ENGINE_V4_DISCOVER_ADDRESS_CONFLICT meanwhile). Kea accepts such a
// reservation without a word, which is why the plan must say it.
func LeaseNotes(ctx context.Context, c Commander, have, want *model.Site, now time.Time) ([]string, error) {
	old := map[string]netip.Addr{}
	for _, r := range have.Reservations {
		kind, id := r.Identifier()
		old[kind+"="+id] = r.IP
	}
	var notes []string
	for _, r := range want.Reservations {
		kind, id := r.Identifier()
		if ip, ok := old[kind+"="+id]; ok && ip == r.IP {
			continue
		}
		name := r.Hostname
		if name == "" {
			name = id
		}
		byID, err := leasesOf(ctx, c, kind, id)
		if err != nil {
			return notes, err
		}
		for _, l := range byID {
			if l.IP != r.IP.String() && l.State == 0 && l.Expires().After(now) {
				notes = append(notes, fmt.Sprintf("%s (%s %s) holds %s until %s: it moves to %s when it next renews", name, kind, id, l.IP, when(l.Expires(), now), r.IP))
			}
		}
		l, err := leaseAt(ctx, c, r.IP)
		if err != nil {
			return notes, err
		}
		if l == nil || l.State != 0 || !l.Expires().After(now) {
			continue
		}
		if mac, _ := model.ParseMAC(l.HW); kind == "hw-address" && mac == id {
			continue
		}
		if cid, _ := model.ParseClientID(l.ClientID); kind == "client-id" && cid == id {
			continue
		}
		holder := l.HW
		if l.Hostname != "" {
			holder += " (" + l.Hostname + ")"
		}
		notes = append(notes, fmt.Sprintf("%s is leased to %s until %s: %s will not get it before that client renews away from it (Kea logs ALLOC_ENGINE_V4_DISCOVER_ADDRESS_CONFLICT meanwhile)", r.IP, holder, when(l.Expires(), now), name))
	}
	return notes, nil
}

func leasesOf(ctx context.Context, c Commander, kind, id string) ([]lease, error) {
	cmd, key := "lease4-get-by-hw-address", "hw-address"
	if kind == "client-id" {
		cmd, key = "lease4-get-by-client-id", "client-id"
	}
	raw, err := c.Command(ctx, cmd, map[string]any{key: id})
	switch {
	case errors.Is(err, keaapi.ErrEmpty):
		return nil, nil
	case errors.Is(err, keaapi.ErrUnsupported):
		return nil, errors.New("it has not loaded lease_cmds (keaops loads it in HA pairs)")
	case err != nil:
		return nil, fmt.Errorf("reading the leases of %s: %w", id, err)
	}
	var v struct {
		Leases []lease `json:"leases"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("%s: decoding: %w", cmd, err)
	}
	return v.Leases, nil
}

func leaseAt(ctx context.Context, c Commander, ip netip.Addr) (*lease, error) {
	raw, err := c.Command(ctx, "lease4-get", map[string]any{"ip-address": ip.String()})
	switch {
	case errors.Is(err, keaapi.ErrEmpty):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading the lease of %s: %w", ip, err)
	}
	var l lease
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, fmt.Errorf("lease4-get: decoding: %w", err)
	}
	return &l, nil
}

func when(t, now time.Time) string {
	return fmt.Sprintf("%s (in %v)", t.UTC().Format("2006-01-02 15:04:05 UTC"), t.Sub(now).Round(time.Second))
}
