package cli

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gofrs/flock"
	"github.com/spf13/cobra"

	"github.com/keaops/keaops/generators/kea"
	"github.com/keaops/keaops/internal/artifact"
	"github.com/keaops/keaops/internal/deploy"
	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/plan"
	"github.com/keaops/keaops/sources/keaconfig"
)

// DeployArgs are the inputs of keaops deploy.
type DeployArgs struct {
	SiteArgs
	Yes       bool
	DryRun    bool
	Force     bool
	Degraded  bool
	HATimeout time.Duration
	Conn      ConnArgs
	Lock      LockArgs
	// Format is text, or json: one report at the end and nothing else
	// (with --yes or --dry-run: it asks nothing).
	Format string
	// In answers the confirmation prompt.
	In io.Reader
}

func newDeployCmd(stdout io.Writer) *cobra.Command {
	var a DeployArgs
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Roll the site out to its live nodes: standby first, rolling back on any failure",
		Long: `deploy runs every check, renders every node's configuration, and rolls it
out to the live nodes without taking DHCP down:

  1. preflight: every node answers, runs the target Kea version, is healthy
     in HA (--force to override), and its running config is read;
  2. a plan per node: nothing for a node whose configuration would not
     change (every config-set restarts Kea's HA state machine); live
     commands (reservation-*, subnet4-update) where the node has host_cmds
     and subnet_cmds and the change allows it; config-set otherwise, with
     the reason and what it costs. The leases behind new and moved
     reservations are read and reported;
  3. config-test on every node that takes a config-set;
  4. the standby (secondary, backup) first: its commands or config-set,
     config-write, HA back to normal; then the primary (the primary first
     when the change only removes subnets);
  5. verify: each node runs what was rendered, under the same process.

Any failure puts every node that was already changed back on its previous
configuration, and deploy exits 1. Secrets are read from the environment or
files named in keaops.yaml, only now. With a node down, --degraded deploys
to the nodes whose partners see it gone, and names it as behind.

Exit codes: 0 deployed (or nothing to do), 1 a check, preflight or the
rollout failed (see which nodes were rolled back), 3 deployed degraded: the
nodes named BEHIND still run an older config.`,
		Example: `  # show the plan and the order, change nothing
  keaops deploy --dry-run

  # from CI
  KEA_API_PASSWORD=... keaops deploy --yes`,
		Args: cobra.NoArgs,
		RunE: runE(func(ctx context.Context) (int, error) { return Deploy(ctx, a, stdout) }),
	}
	a.SiteArgs.flags(cmd)
	cmd.Flags().BoolVarP(&a.Yes, "yes", "y", false, "do not ask for confirmation (for CI)")
	cmd.Flags().BoolVar(&a.DryRun, "dry-run", false, "preflight and plan only; change nothing")
	cmd.Flags().BoolVar(&a.Force, "force", false, "deploy even when the pair is not healthy")
	cmd.Flags().BoolVar(&a.Degraded, "degraded", false, "a node is down: deploy to the survivors only, whose partners must see it gone (exit 3)")
	cmd.Flags().DurationVar(&a.HATimeout, "ha-timeout", 2*time.Minute, "how long to wait for HA to return to normal after each node")
	formatFlag(cmd, &a.Format, "text", "json")
	a.Conn.flags(cmd)
	a.Lock.flags(cmd)
	cmd.PreRun = func(cmd *cobra.Command, _ []string) { a.In = cmd.InOrStdin() }
	return cmd
}

// Deploy runs keaops deploy and returns its exit code.
func Deploy(ctx context.Context, a DeployArgs, out io.Writer) (int, error) {
	if a.Format == "json" {
		return deployJSON(ctx, a, out)
	}
	site, err := loadValid(ctx, a.SiteArgs, out)
	if site == nil {
		return ExitProblems, err
	}
	r, err := rollout(ctx, a, site, out)
	return r.code, err
}

// rolled is what a deploy did: its exit code, outcome, the nodes' and
// kea-dhcp-ddns's results, and the failure (already printed) if any.
type rolled struct {
	code    int
	outcome string
	res     deploy.Result
	d2      deploy.D2Result
	failure error
}

// rollout deploys a checked site, printing its progress to out. Its error
// is for what stops it before any node is asked (targets, locks).
func rollout(ctx context.Context, a DeployArgs, site *model.Site, out io.Writer) (r rolled, err error) {
	r.code, r.outcome = ExitProblems, "failed"
	targets, d2, err := allTargets(ctx, site, a.Conn)
	if err != nil {
		return r, err
	}
	unlock, err := lockPair(site, a.Conn)
	if err != nil {
		return r, err
	}
	defer unlock()
	// A dry run changes nothing and takes no lock: merge-request jobs,
	// which have no credentials, can run it.
	release := func(string) {}
	if !a.DryRun {
		if ctx, release, err = takeLock(ctx, site, a.Lock, out); err != nil {
			return r, err
		}
	}
	defer func() { release(r.outcome) }()
	done := func(e error) (rolled, error) {
		r.code, r.failure = exitFor(e), e
		return r, nil
	}

	opts := deploy.Options{
		Version: site.KeaVersion.String(), HA: site.HA.Mode != model.HANone, Force: a.Force, Degraded: a.Degraded,
		HATimeout: a.HATimeout,
		Progress:  progress(ctx, out),
		Plan:      func(r deploy.Result) { printPlan(out, r, site.HA) },
	}
	if !a.Yes || a.DryRun {
		dry := opts
		dry.DryRun = true
		if r.d2, err = deployD2(ctx, d2, dry, out); err != nil {
			return done(err)
		}
		r.res, err = deploy.Run(ctx, targets, dry)
		printRollout(out, r.res, err)
		if err == nil && a.DryRun {
			r.outcome = "dry run"
		}
		if err != nil || !r.res.Changed() && !r.d2.Changed() || a.DryRun {
			if err == nil && !a.DryRun {
				r.outcome = "no changes"
			}
			return done(err)
		}
		if !confirm(a.In, out, r.res) {
			fmt.Fprintln(out, "not deployed")
			r.outcome = "not confirmed"
			return r, nil
		}
		opts.Plan = nil // shown already
	}
	if r.d2, err = deployD2(ctx, d2, opts, out); err != nil {
		return done(err)
	}
	r.res, err = deploy.Run(ctx, targets, opts)
	printRollout(out, r.res, err)
	if err == nil {
		r.outcome = "deployed"
		if !r.res.Changed() {
			r.outcome = "no changes"
		}
		if len(r.res.Behind) > 0 {
			r.outcome = "deployed degraded; behind: " + strings.Join(r.res.Behind, ", ")
			r.code = ExitDegraded
			return r, nil
		}
	}
	return done(err)
}

// progress prints a rollout's steps, one line each, unless -q.
func progress(ctx context.Context, out io.Writer) func(node, step string) {
	if !progressOf(ctx) {
		return nil
	}
	return func(node, step string) { fmt.Fprintf(out, "%s: %s\n", node, step) }
}

// ExitDegraded: a degraded deploy reached the survivors; the nodes it
// names as behind still run an older config.
const ExitDegraded = 3

// deployReport is deploy --format json: what a job reads instead of
// parsing the text.
type deployReport struct {
	DryRun bool `json:"dry_run"`
	// Outcome: deployed, no changes, dry run, deployed degraded…,
	// failed, or check failed.
	Outcome  string           `json:"outcome"`
	Error    string           `json:"error,omitempty"`
	Findings model.Findings   `json:"findings,omitempty"`
	Result   *deploy.Result   `json:"result,omitempty"`
	DDNS     *deploy.D2Result `json:"ddns,omitempty"`
}

// deployJSON is deploy with one JSON report on out and nothing else.
func deployJSON(ctx context.Context, a DeployArgs, out io.Writer) (int, error) {
	if !a.Yes && !a.DryRun {
		return ExitProblems, fmt.Errorf("--format json asks no questions: pass --yes, or --dry-run")
	}
	rep := deployReport{DryRun: a.DryRun}
	code := ExitProblems
	site, findings, err := LoadAndValidate(ctx, a.SiteArgs)
	switch {
	case err != nil:
		return ExitProblems, err
	case site == nil || findings.HasErrors():
		rep.Outcome, rep.Findings = "check failed", findings
	default:
		r, err := rollout(ctx, a, site, io.Discard)
		if err != nil {
			return ExitProblems, err
		}
		code, rep.Outcome, rep.Result = r.code, r.outcome, &r.res
		if len(r.d2.Nodes) > 0 {
			rep.DDNS = &r.d2
		}
		if r.failure != nil {
			rep.Error = r.failure.Error()
		}
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return ExitProblems, fmt.Errorf("writing the report: %w", err)
	}
	return code, nil
}

func exitFor(err error) int {
	if err != nil {
		return ExitProblems
	}
	return ExitOK
}

// Targets renders the site and resolves its secrets into what each node
// should run. The resolved configs live in memory only.
func Targets(ctx context.Context, site *model.Site, conn ConnArgs) ([]deploy.Target, error) {
	targets, _, err := allTargets(ctx, site, conn)
	return targets, err
}

// allTargets are Targets and, for a site with DDNS, each node's
// kea-dhcp-ddns behind its Control Agent.
func allTargets(ctx context.Context, site *model.Site, conn ConnArgs) ([]deploy.Target, []deploy.D2Target, error) {
	if site.DDNS != nil && site.KeaVersion.AtLeast(3, 2) {
		return nil, nil, fmt.Errorf("kea-dhcp-ddns of Kea %s has no Control Agent in front of it, and keaops does not reach its own HTTP socket yet: apply %s with keaops-agent", site.KeaVersion, kea.D2File)
	}
	set, err := Artifacts(site)
	if err != nil {
		return nil, nil, err
	}
	clients, err := connect(ctx, site, conn)
	if err != nil {
		return nil, nil, err
	}
	// object is a node's file, secrets resolved, unwrapped from key.
	object := func(n *model.Node, file, key string) (json.RawMessage, error) {
		data, err := set.Manifest.Resolve(n.Name, file, set.Files[n.Name+"/"+file], artifact.EnvFileResolver)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Name, err)
		}
		obj, err := keaconfig.UnwrapAs(data, key)
		if err != nil {
			return nil, fmt.Errorf("node %s: %s: %w", n.Name, file, err)
		}
		return obj, nil
	}
	var targets []deploy.Target
	var d2 []deploy.D2Target
	for _, n := range site.Nodes {
		dhcp4, err := object(n, kea.Dhcp4File, "Dhcp4")
		if err != nil {
			return nil, nil, err
		}
		targets = append(targets, deploy.Target{Name: n.Name, Role: n.Role, API: clients[n.Name], Config: dhcp4, Want: site})
		if site.DDNS == nil {
			continue
		}
		cfg, err := object(n, kea.D2File, "DhcpDdns")
		if err != nil {
			return nil, nil, err
		}
		d2 = append(d2, deploy.D2Target{Name: n.Name, API: clients[n.Name].ForD2(), Config: cfg})
	}
	return targets, d2, nil
}

func confirm(in io.Reader, out io.Writer, res deploy.Result) bool {
	f, ok := in.(*os.File)
	if !ok || in == nil {
		fmt.Fprintln(out, "refusing to deploy without confirmation: pass --yes")
		return false
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		fmt.Fprintln(out, "standard input is not a terminal: pass --yes to deploy")
		return false
	}
	fmt.Fprintf(out, "Deploy to %s in this order? [y/N] ", strings.Join(res.Order, ", then "))
	line, _ := bufio.NewReader(in).ReadString('\n')
	return strings.EqualFold(strings.TrimSpace(line), "y") || strings.EqualFold(strings.TrimSpace(line), "yes")
}

func printPlan(out io.Writer, res deploy.Result, ha model.HA) {
	for _, n := range res.Nodes {
		for _, c := range n.Changes {
			fmt.Fprintf(out, "  %s: %s\n", n.Name, c)
		}
		if s := n.Plan.Summary(n.Role, ha.Heartbeat()); s != "" {
			if len(res.Behind) > 0 && n.Plan.Method == plan.ConfigSet {
				// The survivor serves everyone: its HA restart is an
				// outage, until it gives up on its partner again
				// (measured: max-response-delay, TestDegradedDeploy).
				s = fmt.Sprintf("config-set (%s) on a node serving alone: no DHCP service at all until it is back in partner-down, about one max-response-delay (%v)", n.Plan.Reason, ha.MaxResponse())
			}
			fmt.Fprintf(out, "  %s: → %s\n", n.Name, s)
		}
	}
	printLeases(out, res.Leases, res.LeaseCheck)
}

func printLeases(out io.Writer, notes []string, check string) {
	for _, l := range notes {
		fmt.Fprintf(out, "  lease: %s\n", l)
	}
	if check != "" {
		fmt.Fprintf(out, "  leases: %s\n", check)
	}
}

func printRollout(out io.Writer, res deploy.Result, err error) {
	for _, n := range res.Nodes {
		state := "unchanged"
		switch {
		case n.Behind:
			state = "BEHIND: it was down, this deploy left it out; the next deploy (or its agent) brings it to this config"
		case n.Unplanned:
			state = "NOT PLANNED: preflight failed, its changes are unknown"
		case n.Superseded:
			state = "SUPERSEDED: it runs a config another deploy (or a person) set during this rollout; left as it is"
		case n.RolledBack:
			state = "ROLLED BACK to its previous config"
		case n.Applied:
			state = "deployed"
		case len(n.Changes) > 0 && err == nil:
			state = fmt.Sprintf("%s pending", count(len(n.Changes), "change"))
		case len(n.Changes) > 0:
			state = "not changed (still on its previous config)"
		}
		if n.Error != "" {
			state += ": " + n.Error
		}
		fmt.Fprintf(out, "%s: %s\n", n.Name, state)
	}
	if err != nil {
		fmt.Fprintf(out, "deploy FAILED: %v\n", err)
	} else if !res.Changed() {
		fmt.Fprintln(out, "no changes: nothing deployed")
	}
}

// lockPair takes an exclusive lock for this pair on this machine, so two
// deploys started here cannot interleave; deploys from elsewhere are caught
// by the check before each config-set.
func lockPair(site *model.Site, conn ConnArgs) (func(), error) {
	var ends []string
	for _, n := range site.Nodes {
		if n.ControlURL != nil {
			ends = append(ends, n.ControlURL.String())
		}
	}
	ends = append(ends, conn.Endpoints...)
	slices.Sort(ends)
	sum := sha256.Sum256([]byte(strings.Join(ends, "\n")))
	path := filepath.Join(os.TempDir(), "keaops-deploy-"+hex.EncodeToString(sum[:6])+".lock")
	// gofrs/flock: flock(2) where there is one, LockFileEx on Windows.
	lock := flock.New(path)
	ok, err := lock.TryLock()
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	if !ok {
		return nil, fmt.Errorf("another keaops deploy to this pair is running on this machine (lock %s)", path)
	}
	return func() { _ = lock.Unlock() }, nil
}
