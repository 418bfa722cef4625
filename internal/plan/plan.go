// Package plan chooses, per node, how a change reaches a running Kea: by
// live commands (reservation-add/update/del, subnet4-update), which leave
// HA and DHCP service alone, or by config-set, which restarts the HA state
// machine and costs the primary about one heartbeat-delay of service
// (../../docs/design.md, "Live changes"). deploy and keaops-agent plan
// with it, so both apply a revision the same way; Run carries a plan out
// and Undo takes it back.
//
// A live plan is chosen only when it provably ends where config-set would:
// the node runs a config keaops recorded and nobody changed (model.Drift),
// its globals as rendered are the ones wanted (Record.Render), it has the
// same subnets under the same ids, and it answers the commands the plan
// needs. Everything else is config-set, with the reason said.
package plan

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/keaops/keaops/internal/diff"
	"github.com/keaops/keaops/internal/model"
)

// Method is how a node's change is applied.
type Method string

// Methods.
const (
	None      Method = "none"
	Live      Method = "live"
	ConfigSet Method = "config-set"
)

// Step is one control-API command of a live plan.
type Step struct {
	Command string `json:"command"`
	Args    any    `json:"arguments"`
	// What says what the command does, for a person.
	What string `json:"what"`
	// Undo is the command that takes this one back.
	Undo *Step `json:"-"`
	// IfGone, on a reservation-update, restores the host when the update
	// failed and took the host with it: Kea deletes a host whose update it
	// rejects for a duplicate address (kea-versions.md, "Live commands").
	IfGone *Step `json:"-"`
	// Key identifies the host a reservation step is about.
	Key hostKey `json:"-"`
}

// Node is the plan for one node.
type Node struct {
	Method Method `json:"method"`
	// Reason says why a change needs config-set.
	Reason string `json:"reason,omitempty"`
	Steps  []Step `json:"steps,omitempty"`
}

// Input is what the planner looks at for one node.
type Input struct {
	// Have is the running Dhcp4 (config-get), Want the rendered one.
	Have, Want json.RawMessage
	// HaveSite and WantSite are Have and Want parsed (keaconfig.Parse).
	HaveSite, WantSite *model.Site
	// Changes are the node's changes (diff.Sites and diff.Local).
	Changes []diff.Change
	// Commands are the commands the node answers (list-commands); nil
	// when unknown (offline, or a node that could not be asked).
	Commands []string
}

// Needed are the commands a live plan may send.
var Needed = []string{"reservation-add", "reservation-del", "reservation-update", "reservation-get", "subnet4-update"}

// For plans one node's change.
func For(in Input) (Node, error) {
	if len(in.Changes) == 0 {
		return Node{Method: None}, nil
	}
	if reason := configSetReason(in); reason != "" {
		return Node{Method: ConfigSet, Reason: reason}, nil
	}
	steps, err := liveSteps(in)
	if err != nil {
		return Node{}, err
	}
	return Node{Method: Live, Steps: steps}, nil
}

// configSetReason says why in cannot be applied live; "" when it can.
func configSetReason(in Input) string {
	have, want := in.HaveSite, in.WantSite
	var missing []string
	for _, c := range Needed {
		if !slices.Contains(in.Commands, c) {
			hook := "host_cmds"
			if strings.HasPrefix(c, "subnet4") {
				hook = "subnet_cmds"
			}
			if !slices.Contains(missing, hook) {
				missing = append(missing, hook)
			}
		}
	}
	switch {
	case in.Commands == nil:
		return "the node's commands are unknown"
	case len(missing) > 0 && hasAll(Assumed(in.Want), Needed):
		return "the node has not loaded " + strings.Join(missing, " and ") + " yet: this config-set loads them, later changes go live"
	case len(missing) > 0:
		return "the node has not loaded " + strings.Join(missing, " and ") + " (open source from Kea 2.7.7; list them under the node's hooks)"
	case !have.Recorded.Recorded():
		return "the running config carries no keaops record: keaops has not configured this node yet"
	case have.Recorded.Render == "":
		return "the running config was written by an older keaops, without per-subnet records"
	case model.Drifted(have):
		return "the running config was changed outside keaops (drift)"
	}
	networks := networkOf(have, want)
	for _, c := range in.Changes {
		if c.Kind == "reservation" && !c.Subnet.IsValid() {
			return fmt.Sprintf("a global reservation changes (%s)", c.What)
		}
		if n := networks[c.Subnet]; n != "" {
			return fmt.Sprintf("a subnet of shared network %s changes (%s): keaops changes shared networks by config-set", n, c.What)
		}
		switch c.Kind {
		case "subnet", "pool", "reservation":
			if c.Kind == "subnet" && c.Op != diff.Modify {
				return fmt.Sprintf("a subnet is added or removed (%s)", c.What)
			}
			if c.Kind == "subnet" && c.Field == "id" {
				return fmt.Sprintf("a subnet is renumbered (%s)", c.What)
			}
		default:
			c.Pos, c.Error = model.Pos{}, ""
			return fmt.Sprintf("a %s setting changes (%s)", c.Kind, strings.TrimSpace(strings.TrimPrefix(c.String(), string(c.Op))))
		}
	}
	if have.Recorded.Render != want.Recorded.Render {
		return "the global settings as rendered differ from what runs (a node-local setting, or a new keaops release)"
	}
	if !sameSubnets(have, want) {
		return "the subnets or their ids differ"
	}
	return ""
}

// networkOf maps the prefix of every subnet in a shared network, on
// either side, to the network's name.
func networkOf(have, want *model.Site) map[netip.Prefix]string {
	out := map[netip.Prefix]string{}
	for _, s := range []*model.Site{have, want} {
		for _, sn := range s.Subnets {
			if sn.Network != "" {
				out[sn.Prefix.Masked()] = sn.Network
			}
		}
	}
	return out
}

func hasAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

func sameSubnets(a, b *model.Site) bool {
	key := func(s *model.Site) []string {
		var out []string
		for _, sn := range s.Subnets {
			out = append(out, fmt.Sprintf("%d %s", sn.ID, sn.Prefix.Masked()))
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(key(a), key(b))
}

// Summary says in one line how p applies and what that costs a node of
// the given role, whose HA heartbeat-delay is heartbeat (0: no HA).
func (p Node) Summary(role model.Role, heartbeat time.Duration) string {
	switch p.Method {
	case Live:
		counts := map[string]int{}
		var order []string
		for _, s := range p.Steps {
			if counts[s.Command] == 0 {
				order = append(order, s.Command)
			}
			counts[s.Command]++
		}
		parts := make([]string, len(order))
		for i, c := range order {
			parts[i] = fmt.Sprintf("%s ×%d", c, counts[c])
		}
		return fmt.Sprintf("live: %s; HA is not restarted, no loss of service", strings.Join(parts, ", "))
	case ConfigSet:
		if heartbeat == 0 {
			return fmt.Sprintf("config-set (%s): Kea reconfigures in place", p.Reason)
		}
		// The primary serves in every mode, the secondary in load
		// balancing; a standby or backup serves nobody while its partner
		// is up.
		if role == model.RolePrimary || role == model.RoleSecondary {
			return fmt.Sprintf("config-set (%s): it restarts HA, about one heartbeat-delay (%v) without DHCP service from this node", p.Reason, heartbeat)
		}
		return fmt.Sprintf("config-set (%s): it restarts HA on a node that is not serving", p.Reason)
	}
	return ""
}

// Assumed are the commands a config's hook libraries provide, for plans
// made offline (against a Git revision), where no node can be asked.
func Assumed(dhcp4 json.RawMessage) []string {
	var c struct {
		Hooks []struct {
			Library string `json:"library"`
		} `json:"hooks-libraries"`
	}
	_ = json.Unmarshal(dhcp4, &c)
	out := []string{"config-set", "config-test", "config-write"}
	for _, h := range c.Hooks {
		switch {
		case strings.HasSuffix(h.Library, "/libdhcp_host_cmds.so"):
			out = append(out, "reservation-add", "reservation-del", "reservation-update", "reservation-get")
		case strings.HasSuffix(h.Library, "/libdhcp_subnet_cmds.so"):
			out = append(out, "subnet4-update")
		}
	}
	return out
}
