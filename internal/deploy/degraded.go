package deploy

// A degraded deploy: one node of the pair is down, and the change goes to
// the survivors only (how Micetro treats an impaired pair: the survivor is
// the source of truth). It is explicit (Options.Degraded), refused unless
// every answering node sees its partner gone — a node that is only
// unreachable from keaops but serving would otherwise be left behind
// silently — and it ends with Result.Behind naming who missed the change.
// The node that returns is brought to the same config by the next deploy
// (push-only) or, before it serves, by its agent (keaops-agent --prepare
// ahead of Kea at boot); docs/design.md, "Degraded pairs".

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/keaops/keaops/internal/keaapi"
)

// unreachable: err is no answer at all (connection refused, timeout), or
// a Control Agent's word that its kea-dhcp4 does not answer — not an
// answer Kea gave.
func unreachable(ctx context.Context, err error) bool {
	var ke *keaapi.Error
	var he *keaapi.HTTPError
	switch {
	case ctx.Err() != nil || errors.As(err, &he):
		return false
	case errors.As(err, &ke):
		return strings.Contains(ke.Text, "likely to be offline")
	}
	return true
}

// partnerGone checks that a survivor of a degraded pair serves on its own:
// in partner-down, or still in a normal state that has lost its partner.
func partnerGone(st keaapi.Status) error {
	if len(st.HA) == 0 {
		return errors.New("reports no HA relationship")
	}
	l, r := st.HA[0].Servers.Local, st.HA[0].Servers.Remote
	switch {
	case l.State == "partner-down":
		return nil
	case r.InTouch && !r.CommunicationInterrupted:
		return fmt.Errorf("its HA partner is in touch with it (state %s): the partner is up, only unreachable from here; a degraded deploy would leave a serving node behind", l.State)
	}
	return fmt.Errorf("HA state is %s: a survivor serves in partner-down (wait for it, or deploy with --force)", l.State)
}

// degrade turns the preflight errors of unreachable nodes into "behind"
// and returns the errors left: the survivors' own, or that a degraded
// deploy has nobody, or everybody, to deploy to.
func degrade(nodes []*node) []error {
	var rest []error
	behind, survivors := 0, 0
	for _, n := range nodes {
		switch {
		case n.down:
			behind++
			n.res.Behind, n.res.Unplanned = true, false
			n.res.Error = "down: left behind by this degraded deploy (" + n.res.Error + ")"
		case n.res.Error == "":
			survivors++
		}
	}
	switch {
	case behind == 0:
		return []error{errors.New("every node answered: the pair is not degraded, deploy without --degraded")}
	case survivors == 0 && behind == len(nodes):
		return []error{errors.New("no node answered: there is nothing to deploy to")}
	}
	for _, n := range nodes {
		if !n.down && n.res.Error != "" {
			rest = append(rest, fmt.Errorf("%s: %s", n.Name, n.res.Error))
		}
	}
	return rest
}
