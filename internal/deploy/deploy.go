// Package deploy rolls rendered configurations out to the nodes of a Kea
// HA pair without taking DHCP down, and puts every node back on its
// previous configuration when anything fails (kea-facts §1.5, §5):
//
//   - a failed config-set leaves a Kea node serving nobody, and HA does not
//     fail over: so the standby (secondary) goes first, where a bad config
//     is found on the node that is not serving, and the previous config is
//     restored at once;
//   - every config-set restarts the HA state machine: a node whose
//     configuration would not change gets no config-set at all;
//   - a subnet must exist on both nodes while leases are updated: adding
//     subnets is safe standby-first, removing them primary-first.
//
// diff and deploy share the plan, so what is previewed is what is applied.
package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/keaops/keaops/internal/diff"
	"github.com/keaops/keaops/internal/keaapi"
	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/plan"
	"github.com/keaops/keaops/sources/keaconfig"
)

// API is what deploy needs from a Kea daemon (a *keaapi.Client).
type API interface {
	Version(ctx context.Context) (string, error)
	Status(ctx context.Context) (keaapi.Status, error)
	ConfigGet(ctx context.Context) (keaapi.Config, error)
	ConfigTest(ctx context.Context, dhcp4 json.RawMessage) error
	ConfigSet(ctx context.Context, dhcp4 json.RawMessage) (string, error)
	ConfigWrite(ctx context.Context) error
	ConfigHash(ctx context.Context) (string, error)
	ListCommands(ctx context.Context) ([]string, error)
	// Command sends one command of a live plan.
	Command(ctx context.Context, command string, args any) (json.RawMessage, error)
}

// Target is one node and the configuration it should run.
type Target struct {
	Name string
	Role model.Role
	API  API
	// Config is the desired Dhcp4 object, secrets resolved.
	Config json.RawMessage
	// Want is the model Config was rendered from; the plan then points at
	// the source lines. Without it the plan is computed from Config.
	Want *model.Site
}

// Options tune a rollout.
type Options struct {
	// Version is the Kea version the configs were rendered for ("2.2").
	Version string
	// HA is false for a single server: no HA states to wait for.
	HA bool
	// Force deploys to a pair that is not healthy.
	Force bool
	// Degraded deploys to the nodes that answer when the others are down
	// (their partners see them gone): see degraded.go.
	Degraded bool
	// DryRun reads and plans only: nothing that changes state is called.
	DryRun bool
	// HATimeout bounds the wait for HA to settle after each config-set.
	HATimeout time.Duration
	// Poll is the interval of HA status polls.
	Poll time.Duration
	// Progress receives one line per node and step.
	Progress func(node, step string)
	// Plan, when set, receives the plan once preflight has read every node.
	Plan func(Result)
}

// NodeResult is what happened to one node.
type NodeResult struct {
	Name    string        `json:"node"`
	Role    model.Role    `json:"role,omitempty"`
	Changes []diff.Change `json:"changes"`
	// Plan is how the changes are (or would be) applied.
	Plan plan.Node `json:"plan"`
	// Hash is Kea's config-hash-get once the node runs what this rollout
	// set (2.4+): the record of what keaops applied.
	Hash string `json:"hash,omitempty"`
	// Applied: the node runs the new configuration.
	Applied bool `json:"applied"`
	// RolledBack: the node got the new configuration and was put back.
	RolledBack bool `json:"rolled_back"`
	// Superseded: the node got the new configuration, then another
	// (another deploy's, or a hand change) before the rollout ended; it was
	// left on that one.
	Superseded bool `json:"superseded,omitempty"`
	// Unplanned: the node failed preflight, so its plan is unknown or
	// refused: never to be shown as "unchanged".
	Unplanned bool `json:"unplanned,omitempty"`
	// Behind: a degraded deploy left this node out (it was down); it runs
	// an older config until the next deploy or its agent.
	Behind bool   `json:"behind,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Result is the outcome of a rollout.
type Result struct {
	Nodes []NodeResult `json:"nodes"`
	// Order is the order nodes were (or would be) configured in.
	Order []string `json:"order"`
	// Leases are what the live leases mean for new and changed
	// reservations (plan.LeaseNotes); LeaseCheck says why they could not
	// be read, when they could not.
	Leases     []string `json:"lease_notes,omitempty"`
	LeaseCheck string   `json:"lease_check,omitempty"`
	// Behind names the nodes a degraded deploy left out.
	Behind []string `json:"behind,omitempty"`
}

// Changed reports whether any node has changes.
func (r Result) Changed() bool {
	return slices.ContainsFunc(r.Nodes, func(n NodeResult) bool { return len(n.Changes) > 0 })
}

type node struct {
	Target
	res      *NodeResult
	previous json.RawMessage // the config it ran before, for rollback
	// prevHash is Kea's hash of previous (2.4+; "" on 2.2).
	prevHash string
	prevSite *model.Site
	wantSite *model.Site
	pid      int
	touched  bool
	// hash is Kea's hash of the config it accepted (2.4+; "" on 2.2).
	hash string
	// lastSeen describes the last unexpected config runs found.
	lastSeen string
	// done counts the steps of a live plan that succeeded.
	done int
	// down: preflight could not reach it at all.
	down bool
	// preErr is why preflight refused it.
	preErr error
}

// Run rolls targets out. The returned error says why the rollout stopped;
// the Result says, per node, what it runs now.
func Run(ctx context.Context, targets []Target, o Options) (Result, error) {
	if o.HATimeout == 0 {
		o.HATimeout = 2 * time.Minute
	}
	if o.Poll == 0 {
		o.Poll = 250 * time.Millisecond
	}
	if o.Progress == nil {
		o.Progress = func(string, string) {}
	}
	// Nodes are read and verified concurrently; a report is one line.
	var progress sync.Mutex
	report := o.Progress
	o.Progress = func(node, step string) {
		progress.Lock()
		defer progress.Unlock()
		report(node, step)
	}
	res := Result{Nodes: make([]NodeResult, len(targets))}
	nodes := make([]*node, len(targets))
	for i, t := range targets {
		res.Nodes[i].Name, res.Nodes[i].Role = t.Name, t.Role
		nodes[i] = &node{Target: t, res: &res.Nodes[i]}
	}
	if err := preflight(ctx, nodes, o); err != nil {
		return res, err
	}
	// From here on a degraded deploy knows only the nodes that answered.
	nodes = slices.DeleteFunc(nodes, func(n *node) bool {
		if n.res.Behind {
			res.Behind = append(res.Behind, n.Name)
		}
		return n.res.Behind
	})
	res.Leases, res.LeaseCheck = leaseNotes(ctx, nodes)
	if o.Plan != nil {
		o.Plan(res)
	}
	changed := slices.DeleteFunc(slices.Clone(nodes), func(n *node) bool { return len(n.res.Changes) == 0 })
	order := rolloutOrder(changed)
	for _, n := range order {
		res.Order = append(res.Order, n.Name)
	}
	if len(changed) == 0 {
		for _, n := range nodes {
			o.Progress(n.Name, "no changes: not touched")
		}
		if o.DryRun {
			return res, nil
		}
		return res, persist(ctx, nodes, o)
	}
	for _, n := range changed {
		if n.res.Plan.Method == plan.Live {
			// A live plan never sends the whole config: each command is
			// checked by Kea as it comes, and undone if refused.
			continue
		}
		o.Progress(n.Name, "config-test")
		if err := n.API.ConfigTest(ctx, n.Config); err != nil {
			n.res.Error = err.Error()
			return res, fmt.Errorf("%s rejected the configuration in config-test; nothing was changed: %w", n.Name, err)
		}
	}
	if o.DryRun {
		for _, n := range order {
			o.Progress(n.Name, "would apply (dry run)")
		}
		return res, nil
	}
	var touched []*node
	for _, n := range order {
		if err := apply(ctx, n, nodes, o); err != nil {
			n.res.Error = err.Error()
			if n.touched {
				touched = append(touched, n)
			}
			rerr := rollback(ctx, touched, nodes, o)
			return res, errors.Join(fmt.Errorf("%s: %w", n.Name, err), rerr)
		}
		touched = append(touched, n)
	}
	if err := verify(ctx, changed, nodes, o); err != nil {
		rerr := rollback(ctx, touched, nodes, o)
		return res, errors.Join(err, rerr)
	}
	return res, persist(ctx, nodes, o)
}

// preflight reads every node (node.read) and plans it.
func preflight(ctx context.Context, nodes []*node, o Options) error {
	// Nodes are read at once: for a large site each read is a config-get
	// and two parses, the slowest part of a live change.
	var wg sync.WaitGroup
	for _, n := range nodes {
		o.Progress(n.Name, "preflight")
		wg.Go(func() {
			if n.preErr = n.read(ctx, o); n.preErr != nil {
				n.res.Error = n.preErr.Error()
				n.res.Unplanned = true
			}
		})
	}
	wg.Wait()
	var errs []error
	for _, n := range nodes {
		if n.preErr != nil {
			errs = append(errs, fmt.Errorf("%s: %w", n.Name, n.preErr))
		}
	}
	if o.Degraded {
		errs = degrade(nodes)
	}
	if len(errs) > 0 {
		return fmt.Errorf("preflight failed, nothing was changed: %w", errors.Join(errs...))
	}
	return nil
}

// read is one node's preflight: it must answer, run the target version,
// be healthy in HA, and its running config is kept for the plan and
// rollback.
func (n *node) read(ctx context.Context, o Options) error {
	v, err := n.API.Version(ctx)
	if err != nil {
		if n.down = unreachable(ctx, err); n.down && o.HA && !o.Degraded {
			return fmt.Errorf("%w (if the node is down, --degraded deploys to its partner alone)", err)
		}
		return err
	}
	if o.Version != "" && !strings.HasPrefix(v, o.Version+".") {
		return fmt.Errorf("runs Kea %s, but the configs were rendered for %s", v, o.Version)
	}
	st, err := n.API.Status(ctx)
	if err != nil {
		return err
	}
	n.pid = st.PID
	if o.HA && o.Degraded {
		if err := partnerGone(st); err != nil {
			return err
		}
	} else if o.HA && !o.Force {
		if err := healthy(st); err != nil {
			return fmt.Errorf("%w (--force deploys anyway)", err)
		}
	}
	cfg, err := n.API.ConfigGet(ctx)
	if err != nil {
		return err
	}
	n.previous, n.prevHash = cfg.Dhcp4, cfg.Hash
	if n.prevSite, err = keaconfig.Parse(cfg.Dhcp4, n.Name+" (live)"); err != nil {
		return err
	}
	if n.wantSite, err = keaconfig.Parse(n.Config, n.Name+" (rendered)"); err != nil {
		return err
	}
	want := n.Want
	if want == nil {
		want = n.wantSite
	}
	n.res.Changes = append(diff.Sites(n.prevSite, want), diff.Local(n.prevSite, n.wantSite, n.Name)...)
	// A node that cannot list its commands is planned as one
	// without live commands: config-set works everywhere.
	commands, _ := n.API.ListCommands(ctx)
	if n.res.Plan, err = plan.For(plan.Input{Have: cfg.Dhcp4, Want: n.Config, HaveSite: n.prevSite, WantSite: n.wantSite, Changes: n.res.Changes, Commands: commands}); err != nil {
		return fmt.Errorf("planning: %w", err)
	}
	if self := keaconfig.ThisServer(cfg.Dhcp4); self != "" && self != n.Name {
		return fmt.Errorf("the server at this endpoint calls itself %q: wrong endpoint, or a config copied between nodes", self)
	}
	// A hand change the site now says too (keaops adopt wrote it into the
	// site's files) is nothing this deploy would overwrite.
	if model.Drifted(n.prevSite) && !o.Force && len(n.res.Changes) > 0 {
		return errors.New("its running config was changed outside keaops since keaops last configured it (drift): review the plan, then --force overwrites it")
	}
	return nil
}

// leaseNotes reads the leases behind the plan from the primary (HA keeps
// the partners' leases the same), or the only node.
func leaseNotes(ctx context.Context, nodes []*node) ([]string, string) {
	n := nodes[0]
	for _, c := range nodes {
		if c.Role == model.RolePrimary {
			n = c
		}
	}
	notes, err := plan.LeaseNotes(ctx, n.API, n.prevSite, n.wantSite, time.Now())
	if err != nil {
		return notes, fmt.Sprintf("could not read the leases on %s: %v", n.Name, err)
	}
	return notes, ""
}

// normalStates are the HA states of a healthy relationship.
var normalStates = []string{"hot-standby", "load-balancing", "passive-backup", "backup"}

// healthy says whether a node is in a normal HA state and in touch with
// its partner.
func healthy(st keaapi.Status) error {
	if len(st.HA) == 0 {
		return errors.New("reports no HA relationship")
	}
	ha := st.HA[0]
	l, r := ha.Servers.Local, ha.Servers.Remote
	if !slices.Contains(normalStates, l.State) {
		return fmt.Errorf("HA state is %s, not normal", l.State)
	}
	if l.State == "backup" || l.State == "passive-backup" {
		return nil
	}
	if !r.InTouch || r.CommunicationInterrupted {
		return fmt.Errorf("HA partner not in touch (in-touch %v, communication-interrupted %v)", r.InTouch, r.CommunicationInterrupted)
	}
	return nil
}

// rolloutOrder: everyone else before the primary, so a bad config dies on
// a node that is not serving — unless the change only removes subnets,
// which is safe primary-first (the primary stops sending updates for a
// subnet before the standby forgets it).
func rolloutOrder(changed []*node) []*node {
	removalsOnly := true
	for _, n := range changed {
		for _, c := range n.res.Changes {
			if c.Kind == "subnet" && c.Op == diff.Add {
				removalsOnly = false
			}
		}
	}
	hasSubnetRemoval := slices.ContainsFunc(changed, func(n *node) bool {
		return slices.ContainsFunc(n.res.Changes, func(c diff.Change) bool { return c.Kind == "subnet" && c.Op == diff.Remove })
	})
	primaryFirst := removalsOnly && hasSubnetRemoval
	out := slices.Clone(changed)
	slices.SortStableFunc(out, func(a, b *node) int {
		ap, bp := a.Role == model.RolePrimary, b.Role == model.RolePrimary
		switch {
		case ap == bp:
			return 0
		case ap == primaryFirst:
			return -1
		}
		return 1
	})
	return out
}
