package keaapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Lease4 is one lease as lease_cmds reports it.
type Lease4 struct {
	IP       string `json:"ip-address"`
	HW       string `json:"hw-address"`
	ClientID string `json:"client-id"`
	Hostname string `json:"hostname"`
	// CLTT is the client's last transmission, Unix seconds.
	CLTT   int64  `json:"cltt"`
	Valid  int64  `json:"valid-lft"`
	Subnet uint32 `json:"subnet-id"`
	// State: 0 assigned, 1 declined, 2 expired-reclaimed, 3 released (2.6+).
	State int `json:"state"`
}

// Expires is when the lease ends.
func (l Lease4) Expires() time.Time { return time.Unix(l.CLTT+l.Valid, 0) }

// Leases4 reads every lease the server holds, limit at a time
// (lease4-get-page: never one unbounded answer), calling fn with each
// page in address order. It needs lease_cmds.
func (c *Client) Leases4(ctx context.Context, limit int, fn func([]Lease4) error) error {
	from := "start"
	for {
		raw, err := c.Command(ctx, "lease4-get-page", map[string]any{"from": from, "limit": limit})
		switch {
		case errors.Is(err, ErrEmpty):
			return nil
		case errors.Is(err, ErrUnsupported):
			return errors.New("lease4-get-page: the server has not loaded lease_cmds (keaops loads it in HA pairs)")
		case err != nil:
			return err
		}
		var page struct {
			Leases []Lease4 `json:"leases"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return fmt.Errorf("lease4-get-page: decoding: %w", err)
		}
		if len(page.Leases) == 0 {
			return nil
		}
		if err := fn(page.Leases); err != nil {
			return err
		}
		if len(page.Leases) < limit {
			return nil
		}
		next := page.Leases[len(page.Leases)-1].IP
		if next == from {
			return fmt.Errorf("lease4-get-page: the server answered page %s again", from)
		}
		from = next
	}
}

// Statistics are statistic-get-all's current values by name
// ("subnet[1].assigned-addresses"); Kea keeps each as a list of samples,
// newest first.
func (c *Client) Statistics(ctx context.Context) (map[string]int64, error) {
	raw, err := c.Command(ctx, "statistic-get-all", nil)
	if err != nil {
		return nil, err
	}
	var all map[string][][]json.RawMessage
	if err := json.Unmarshal(raw, &all); err != nil {
		return nil, fmt.Errorf("statistic-get-all: decoding: %w", err)
	}
	out := make(map[string]int64, len(all))
	for name, samples := range all {
		if len(samples) == 0 || len(samples[0]) == 0 {
			continue
		}
		var v float64 // integers, and big ones as floats on some versions
		if json.Unmarshal(samples[0][0], &v) == nil {
			out[name] = int64(v)
		}
	}
	return out, nil
}
