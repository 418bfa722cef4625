package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/keaops/keaops/generators/kea"
	"github.com/keaops/keaops/internal/artifact"
	"github.com/keaops/keaops/internal/diff"
	"github.com/keaops/keaops/internal/gitrev"
	"github.com/keaops/keaops/internal/keaapi"
	"github.com/keaops/keaops/internal/model"
	changeplan "github.com/keaops/keaops/internal/plan"
	"github.com/keaops/keaops/sources/keaconfig"
	"github.com/keaops/keaops/sources/yamlsrc"
)

// ExitChanges is diff's exit code, with --exit-code, when there are changes.
const ExitChanges = 2

// DiffArgs are the inputs of keaops diff.
type DiffArgs struct {
	SiteArgs
	Against  string
	Format   string
	ExitCode bool
	JSONDiff bool
	Conn     ConnArgs
}

// ConnArgs say how to reach the nodes; diff and deploy share them.
type ConnArgs struct {
	// Endpoints override nodes' control URLs: "kea-primary=http://127.0.0.1:8001/".
	Endpoints []string
	CAFile    string
	// CertFile and KeyFile are a client certificate for mutual TLS.
	CertFile, KeyFile string
	Timeout           time.Duration
}

func (c *ConnArgs) flags(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&c.Endpoints, "endpoint", nil, "reach a node at another control URL, NODE=URL (repeatable; for staging or local pairs)")
	_ = cmd.RegisterFlagCompletionFunc("endpoint", completeEndpoint)
	cmd.Flags().StringVar(&c.CAFile, "ca-file", "", "CA bundle to verify https control endpoints")
	cmd.Flags().StringVar(&c.CertFile, "cert-file", "", "client certificate for control endpoints that require mutual TLS")
	cmd.Flags().StringVar(&c.KeyFile, "key-file", "", "the client certificate's key")
	cmd.Flags().DurationVar(&c.Timeout, "timeout", 30*time.Second, "time limit for each call to a node")
}

func newDiffCmd(stdout io.Writer) *cobra.Command {
	var a DiffArgs
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Show what a change would do: against the live nodes, or against a Git revision",
		Long: `diff compares the site's desired state with what runs: every node's live
configuration (config-get, parsed back into keaops' model, so Kea's defaults
are not changes), or — with --against — the same inputs at a Git revision,
fully offline (the merge-request plan; no credentials needed).

Changes print one per line, grouped by node, with the source position of the
desired side. Changing the id of an existing subnet, and subnets that
differ between the nodes of a pair, are errors.

Exit codes: 0 done (with --exit-code: no changes), 1 error or a change that
must not be rolled out, 2 with --exit-code: there are changes.`,
		Example: `  # the merge-request plan, offline
  keaops diff --against origin/main --format markdown > plan.md

  # drift detection from cron: exit 2 when the live pair differs from Git
  keaops diff --exit-code

  # a staging pair on other addresses
  keaops diff --endpoint kea-primary=http://192.0.2.10:8000/ --endpoint kea-secondary=http://192.0.2.11:8000/`,
		Args: cobra.NoArgs,
		RunE: runE(func(ctx context.Context) (int, error) { return Diff(ctx, a, stdout) }),
	}
	a.SiteArgs.flags(cmd)
	cmd.Flags().StringVar(&a.Against, "against", "", "compare with the inputs at this Git revision instead of the live nodes")
	formatFlag(cmd, &a.Format, "text", "markdown", "json")
	cmd.Flags().BoolVar(&a.ExitCode, "exit-code", false, "exit 2 when there are changes")
	cmd.Flags().BoolVar(&a.JSONDiff, "json-diff", false, "also show the raw JSON differences of each node's config (paths the rendered config sets)")
	a.Conn.flags(cmd)
	return cmd
}

// Plan is what diff found, per node.
type Plan struct {
	// Against is "live" or the Git revision compared with.
	Against  string     `json:"against"`
	Revision string     `json:"revision,omitempty"`
	Nodes    []NodePlan `json:"nodes"`
	// Errors are problems across nodes (a subnet on one node only, ids
	// that differ between the nodes).
	Errors []string `json:"errors,omitempty"`
	// JSONDiff holds, with --json-diff, each node's raw JSON differences.
	JSONDiff map[string][]string `json:"json_diff,omitempty"`
	// Complete is false when a node could not be read: its changes are
	// unknown (null), which is not "no changes" ([]).
	Complete bool `json:"complete"`
	// Leases are what the live leases mean for new and changed
	// reservations; LeaseCheck says why they were not read.
	Leases     []string `json:"lease_notes,omitempty"`
	LeaseCheck string   `json:"lease_check,omitempty"`
}

// NodePlan is one node's changes; Node is "all nodes" for a Git diff.
type NodePlan struct {
	Node    string        `json:"node"`
	Changes []diff.Change `json:"changes"`
	// Drift: the node's config was changed outside keaops since keaops
	// last configured it.
	Drift bool `json:"drift,omitempty"`
	// Role is the node's role; "" for a Git diff's "all nodes".
	Role model.Role `json:"role,omitempty"`
	// Apply is how the changes would be applied (package plan); nil when
	// it could not be planned, with the reason in PlanNote.
	Apply *changeplan.Node `json:"apply,omitempty"`
	// How is Apply for a person: the method and what it costs.
	How      string `json:"how,omitempty"`
	PlanNote string `json:"plan_note,omitempty"`
	Error    string `json:"error,omitempty"`
}

// describe fills in How for every planned node.
func (p Plan) describe(heartbeat time.Duration) {
	for i, n := range p.Nodes {
		if n.Apply != nil && len(n.Changes) > 0 {
			p.Nodes[i].How = n.Apply.Summary(n.Role, heartbeat)
		}
	}
}

func (p Plan) counts() (changes, nodes int, failed bool) {
	for _, n := range p.Nodes {
		if len(n.Changes) > 0 {
			changes += len(n.Changes)
			nodes++
		}
		failed = failed || n.Error != "" || diff.HasErrors(n.Changes)
	}
	return changes, nodes, failed || len(p.Errors) > 0
}

// Diff runs keaops diff and returns its exit code.
func Diff(ctx context.Context, a DiffArgs, out io.Writer) (int, error) {
	if !slices.Contains([]string{"text", "markdown", "json"}, a.Format) {
		return ExitProblems, fmt.Errorf("--format %q: want text, markdown or json", a.Format)
	}
	site, err := loadValid(ctx, a.SiteArgs, out)
	if site == nil {
		return ExitProblems, err
	}
	var plan Plan
	if a.Against != "" {
		plan, err = againstRevision(ctx, site, a.SiteArgs, a.Against, a.JSONDiff)
	} else {
		plan, err = againstLive(ctx, site, a.Conn, a.JSONDiff)
	}
	if err != nil {
		return ExitProblems, err
	}
	if err := writePlan(out, plan, a.Format); err != nil {
		return ExitProblems, err
	}
	changes, _, failed := plan.counts()
	switch {
	case failed:
		return ExitProblems, nil
	case a.ExitCode && changes > 0:
		return ExitChanges, nil
	}
	return ExitOK, nil
}

// againstRevision diffs the inputs as they were at rev with the work tree.
// An input that did not exist then reads as empty: everything is new.
func againstRevision(ctx context.Context, want *model.Site, a SiteArgs, rev string, jsonDiff bool) (Plan, error) {
	files, err := gitrev.At(a.Site, rev)
	if err != nil {
		return Plan{}, err
	}
	plan := Plan{Against: rev, Revision: files.Revision()}
	have, findings, err := loadSite(ctx, files, a)
	if err != nil {
		return Plan{}, err
	}
	if have == nil {
		have = &model.Site{HA: model.HA{Mode: model.HANone}}
		if len(findings) > 0 && !strings.Contains(findings[0].Message, "does not exist") {
			plan.Errors = append(plan.Errors, fmt.Sprintf("the site at %s does not load (%s); showing everything as new", rev, findings[0]))
		}
	}
	plan.Nodes = []NodePlan{{Node: "all nodes", Changes: append(diff.Sites(have, want), diff.DDNS(have.DDNS, want.DDNS)...)}}
	// Rendering the base needs its node-local settings too.
	if a.Override != "" && len(have.Nodes) > 0 {
		if _, err := yamlsrc.ApplyOverrides(ctx, yamlsrc.OS, a.Override, have); err != nil {
			return Plan{}, err
		}
	}
	// Both revisions rendered, once: for the plan and the raw JSON diff.
	base, berr := Artifacts(have)
	head, herr := Artifacts(want)
	renderErr := errors.Join(berr, herr)
	plan.Nodes[0].Apply, plan.Nodes[0].Role, plan.Nodes[0].PlanNote = offlinePlan(have, want, base, head, renderErr)
	plan.describe(want.HA.Heartbeat())
	if slices.ContainsFunc(plan.Nodes[0].Changes, func(c diff.Change) bool { return c.Kind == "reservation" && c.Op != diff.Remove }) {
		plan.LeaseCheck = "not read: a plan against a Git revision asks no node (keaops diff without --against, and deploy, read them)"
	}
	if jsonDiff {
		if renderErr != nil {
			plan.Errors = append(plan.Errors, fmt.Sprintf("raw JSON diff unavailable: %v", renderErr))
			return plan, nil
		}
		plan.JSONDiff = map[string][]string{}
		for _, n := range want.Nodes {
			name := n.Name + "/" + kea.Dhcp4File
			h, _ := keaconfig.Unwrap(base.Files[name])
			if h == nil {
				h = json.RawMessage("{}")
			}
			w, _ := keaconfig.Unwrap(head.Files[name])
			lines, err := diff.JSON(h, w, true)
			if err != nil {
				return Plan{}, err
			}
			plan.JSONDiff[n.Name] = lines
		}
	}
	return plan, nil
}

// liveLeaseNotes reads the leases behind a live plan from the primary, or
// the first node read.
func liveLeaseNotes(ctx context.Context, site *model.Site, clients map[string]*keaapi.Client, live, wanted []*model.Site) ([]string, string) {
	pick := -1
	for i, n := range site.Nodes {
		if live[i] != nil && wanted[i] != nil && (pick < 0 || n.Role == model.RolePrimary) {
			pick = i
		}
	}
	if pick < 0 {
		return nil, "not read: no node could be read"
	}
	n := site.Nodes[pick]
	notes, err := changeplan.LeaseNotes(ctx, clients[n.Name], live[pick], wanted[pick], time.Now())
	if err != nil {
		return notes, fmt.Sprintf("could not read the leases on %s: %v", n.Name, err)
	}
	return notes, ""
}

// offlinePlan plans a Git diff as the first node would apply it, the
// base revision's render standing in for what runs and its hook
// libraries for what the node answers.
func offlinePlan(have, want *model.Site, base, head artifact.Set, renderErr error) (*changeplan.Node, model.Role, string) {
	if len(want.Nodes) == 0 || len(have.Nodes) == 0 {
		return nil, "", "the base revision has no nodes: its first deploy is a config-set"
	}
	if renderErr != nil {
		return nil, "", fmt.Sprintf("could not render both revisions: %v", renderErr)
	}
	n := want.Nodes[0]
	h, _ := keaconfig.Unwrap(base.Files[n.Name+"/"+kea.Dhcp4File])
	w, _ := keaconfig.Unwrap(head.Files[n.Name+"/"+kea.Dhcp4File])
	hs, herr := keaconfig.Parse(h, n.Name+" (base)")
	ws, werr := keaconfig.Parse(w, n.Name+" (rendered)")
	if h == nil || herr != nil || werr != nil {
		return nil, "", fmt.Sprintf("node %s is new in this revision: its first deploy is a config-set", n.Name)
	}
	changes := append(diff.Sites(hs, want), diff.Local(hs, ws, n.Name)...)
	p, err := changeplan.For(changeplan.Input{Have: h, Want: w, HaveSite: hs, WantSite: ws, Changes: changes, Commands: changeplan.Assumed(h)})
	if err != nil {
		return nil, "", err.Error()
	}
	return &p, n.Role, fmt.Sprintf("as %s would apply it, if it runs the base revision", n.Name)
}

// againstLive reads every node's running configuration and diffs it.
func againstLive(ctx context.Context, want *model.Site, conn ConnArgs, jsonDiff bool) (Plan, error) {
	clients, err := connect(ctx, want, conn)
	if err != nil {
		return Plan{}, err
	}
	plan := Plan{Against: "live", Nodes: make([]NodePlan, len(want.Nodes))}
	// The render shows each node's own settings (files, sockets,
	// interfaces) with every default explicit, for diff.Local.
	rendered, err := Artifacts(want)
	if err != nil {
		return Plan{}, err
	}
	if jsonDiff {
		plan.JSONDiff = make(map[string][]string, len(want.Nodes))
	}
	var mu sync.Mutex
	live := make([]*model.Site, len(want.Nodes))
	wanted := make([]*model.Site, len(want.Nodes))
	var wg sync.WaitGroup
	for i, n := range want.Nodes {
		wg.Go(func() {
			plan.Nodes[i].Node = n.Name
			cctx, cancel := context.WithTimeout(ctx, conn.Timeout)
			defer cancel()
			cfg, err := clients[n.Name].ConfigGet(cctx)
			if err != nil {
				plan.Nodes[i].Error = err.Error()
				return
			}
			have, err := keaconfig.Parse(cfg.Dhcp4, n.Name+" (live)")
			if err != nil {
				plan.Nodes[i].Error = err.Error()
				return
			}
			if self := keaconfig.ThisServer(cfg.Dhcp4); self != "" && self != n.Name {
				plan.Nodes[i].Error = fmt.Sprintf("the server at this endpoint calls itself %q, not %s: wrong endpoint, or a config copied between nodes", self, n.Name)
				return
			}
			live[i] = have
			plan.Nodes[i].Changes = diff.Sites(have, want)
			plan.Nodes[i].Drift = model.Drifted(have)
			plan.Nodes[i].Role = n.Role
			w, _ := keaconfig.Unwrap(rendered.Files[n.Name+"/"+kea.Dhcp4File])
			if ws, err := keaconfig.Parse(w, n.Name+" (rendered)"); err == nil {
				plan.Nodes[i].Changes = append(plan.Nodes[i].Changes, diff.Local(have, ws, n.Name)...)
				wanted[i] = ws
				cmds, _ := clients[n.Name].ListCommands(cctx)
				if p, err := changeplan.For(changeplan.Input{Have: cfg.Dhcp4, Want: w, HaveSite: have, WantSite: ws, Changes: plan.Nodes[i].Changes, Commands: cmds}); err == nil {
					plan.Nodes[i].Apply = &p
				} else {
					plan.Nodes[i].PlanNote = err.Error()
				}
			}
			// kea-dhcp-ddns after the DHCP plan: deploy applies it apart,
			// and it never makes DHCP take a config-set.
			if want.DDNS != nil && !want.KeaVersion.AtLeast(3, 2) {
				if st := d2State(cctx, clients[n.Name], rendered.Files[n.Name+"/"+kea.D2File]); st != "current" {
					c := diff.Change{Op: diff.Modify, Kind: "ddns", What: "kea-dhcp-ddns", Field: "config", Old: "what runs", New: "the site's (deploy applies it before DHCP, without touching DHCP)", Pos: want.DDNS.Pos}
					if st != "differs" {
						c.Old, c.Error = "unknown", "kea-dhcp-ddns could not be read: "+strings.TrimPrefix(st, "ERROR: ")
					}
					plan.Nodes[i].Changes = append(plan.Nodes[i].Changes, c)
				}
			}
			if jsonDiff {
				lines, err := diff.JSON(cfg.Dhcp4, w, false)
				if err != nil {
					plan.Nodes[i].Error = err.Error()
					return
				}
				mu.Lock()
				plan.JSONDiff[n.Name] = lines
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	plan.describe(want.HA.Heartbeat())
	plan.Leases, plan.LeaseCheck = liveLeaseNotes(ctx, want, clients, live, wanted)
	plan.Errors = crossNode(want.Nodes, live)
	return plan, nil
}

// crossNode finds subnets that differ between live nodes: a subnet on one
// node only, or under different ids, breaks HA lease updates.
func crossNode(nodes []*model.Node, live []*model.Site) []string {
	type seen struct {
		node string
		id   uint32
	}
	first := map[string]seen{}
	var errs []string
	var present []int
	for i, s := range live {
		if s == nil {
			continue
		}
		present = append(present, i)
		for _, sn := range s.Subnets {
			p := sn.Prefix.Masked().String()
			if f, ok := first[p]; ok && f.id != sn.ID {
				errs = append(errs, fmt.Sprintf("subnet %s has id %d on %s but %d on %s", p, f.id, f.node, sn.ID, nodes[i].Name))
			} else if !ok {
				first[p] = seen{nodes[i].Name, sn.ID}
			}
		}
	}
	for p, f := range first {
		for _, i := range present {
			if !slices.ContainsFunc(live[i].Subnets, func(sn *model.Subnet) bool { return sn.Prefix.Masked().String() == p }) {
				errs = append(errs, fmt.Sprintf("subnet %s runs on %s but not on %s", p, f.node, nodes[i].Name))
			}
		}
	}
	slices.Sort(errs)
	return errs
}

// connect builds a control client for every node.
func connect(ctx context.Context, site *model.Site, conn ConnArgs) (map[string]*keaapi.Client, error) {
	override := map[string]string{}
	for _, e := range conn.Endpoints {
		name, u, ok := strings.Cut(e, "=")
		if !ok || name == "" || u == "" {
			return nil, fmt.Errorf("--endpoint %q: want NODE=URL", e)
		}
		if !slices.ContainsFunc(site.Nodes, func(n *model.Node) bool { return n.Name == name }) {
			return nil, fmt.Errorf("--endpoint %q: the site has no node %s", e, name)
		}
		override[name] = u
	}
	var user, password string
	if a := site.ControlAuth; a != nil {
		user = a.User
		if a.Password != nil {
			var err error
			if password, err = artifact.EnvFileResolver(a.Password.Ref()); err != nil {
				return nil, fmt.Errorf("control-auth password (%s): %w", a.Password.Ref(), err)
			}
		}
	}
	kind := keaapi.ControlAgent
	if site.KeaVersion.AtLeast(3, 2) {
		kind = keaapi.DirectHTTP
	}
	clients := map[string]*keaapi.Client{}
	for _, n := range site.Nodes {
		u := override[n.Name]
		if u == "" && n.ControlURL != nil {
			u = n.ControlURL.String()
		}
		if _, err := url.Parse(u); err != nil || u == "" {
			return nil, fmt.Errorf("node %s: no usable control URL", n.Name)
		}
		c, err := keaapi.New(keaapi.Endpoint{URL: u, Kind: kind, User: user, Password: password,
			CAFile: conn.CAFile, CertFile: conn.CertFile, KeyFile: conn.KeyFile, Timeout: conn.Timeout, Logger: logOf(ctx).With("node", n.Name)})
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Name, err)
		}
		clients[n.Name] = c
	}
	return clients, nil
}
