package agent

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/keaops/keaops/internal/artifact"
	"github.com/keaops/keaops/internal/diff"
	"github.com/keaops/keaops/internal/keaapi"
	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/plan"
	"github.com/keaops/keaops/sources/keaconfig"
)

// Status is what /status reports (and the state kept across restarts).
type Status struct {
	Node                  string `json:"node"`
	LastAttemptedRevision string `json:"last_attempted_revision,omitempty"`
	LastAppliedRevision   string `json:"last_applied_revision,omitempty"`
	// AppliedSerial is the publish serial of the applied revision.
	AppliedSerial int64 `json:"applied_serial,omitempty"`
	// OlderRefused: the latest revision is older than the applied one
	// (the branch was reset), and was refused.
	OlderRefused bool `json:"older_revision_refused,omitempty"`
	// KeaResponding: kea-dhcp4 answered the last liveness probe; /status
	// reports ready only while it does.
	KeaResponding  bool      `json:"kea_responding"`
	AppliedDigest  string    `json:"applied_digest,omitempty"`
	FailedRevision string    `json:"failed_revision,omitempty"`
	Ready          bool      `json:"ready"`
	Stalled        bool      `json:"stalled"`
	Reconciling    bool      `json:"reconciling"`
	Drift          bool      `json:"drift"`
	LastError      string    `json:"last_error,omitempty"`
	ObservedAt     time.Time `json:"observed_at"`
}

// Agent reconciles one node.
type Agent struct {
	cfg     Config
	src     source
	kea     *keaapi.Client
	d2      *keaapi.Client // kea-dhcp-ddns, nil when not configured
	log     *slog.Logger
	metrics *metrics
	sync    chan struct{}
	token   string

	mu            sync.Mutex
	status        Status
	fetchFailures int
	// subnets names the running config's subnets by id, for the metrics.
	subnets map[uint32]string
}

// New builds an agent from its configuration.
func New(cfg Config, log *slog.Logger) (*Agent, error) {
	a := &Agent{cfg: cfg, log: log.With("component", "agent", "node", cfg.Node), metrics: newMetrics(), sync: make(chan struct{}, 1)}
	if cfg.Source.Git != nil {
		s, err := newGitSource(*cfg.Source.Git)
		if err != nil {
			return nil, err
		}
		a.src = s
	} else {
		a.src = dirSource{dir: cfg.Source.Dir}
	}
	var password string
	if cfg.Kea.PasswordFile != "" {
		b, err := os.ReadFile(cfg.Kea.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("kea.password-file: %w", err)
		}
		password = strings.TrimSpace(string(b))
	}
	c, err := keaapi.New(keaapi.Endpoint{URL: cfg.Kea.Control, User: cfg.Kea.User, Password: password})
	if err != nil {
		return nil, fmt.Errorf("kea.control: %w", err)
	}
	a.kea = c
	a.metrics.reg.MustRegister(newKeaStats(c, a.subnetNames))
	if cfg.Kea.DDNSControl != "" {
		d, err := keaapi.New(keaapi.Endpoint{URL: cfg.Kea.DDNSControl, User: cfg.Kea.User, Password: password})
		if err != nil {
			return nil, fmt.Errorf("kea.ddns-control: %w", err)
		}
		a.d2 = d.ForD2()
	}
	if cfg.SyncTokenFile != "" {
		b, err := os.ReadFile(cfg.SyncTokenFile)
		if err != nil {
			return nil, fmt.Errorf("sync-token-file: %w", err)
		}
		a.token = strings.TrimSpace(string(b))
	}
	a.status = a.loadState()
	a.status.Node = cfg.Node
	return a, nil
}

// Status returns a copy of the current status.
func (a *Agent) Status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.status
}

func (a *Agent) update(f func(s *Status)) {
	a.mu.Lock()
	f(&a.status)
	a.status.ObservedAt = time.Now().UTC()
	s := a.status
	a.mu.Unlock()
	a.saveState(s)
}

// Sync asks for a pass now (coalesced with one already asked for).
func (a *Agent) Sync() {
	select {
	case a.sync <- struct{}{}:
	default:
	}
}

// Run reconciles until ctx ends: a pass at start, then on a jittered timer
// and whenever Sync is called. A pass in progress when ctx ends is given a
// short grace to finish or roll back.
func (a *Agent) Run(ctx context.Context) error {
	go a.probe(ctx)
	for {
		passCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		done := make(chan struct{})
		go func() { a.Pass(passCtx); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				cancel()
				<-done
			}
		}
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-a.sync:
		case <-time.After(a.nextDelay()):
		}
	}
}

// nextDelay jitters the interval by up to 10%, and backs off on repeated
// fetch failures (Git down) up to the interval.
func (a *Agent) nextDelay() time.Duration {
	a.mu.Lock()
	n := a.fetchFailures
	a.mu.Unlock()
	d := a.cfg.Interval.Duration
	if n > 0 {
		d = min(d, time.Duration(1<<min(n, 6))*time.Second)
	}
	return d + time.Duration(rand.Int64N(int64(d)/10+1))
}

// nameSubnets keeps the running config's subnet names for the metrics.
func (a *Agent) nameSubnets(live *model.Site) {
	names := map[uint32]string{}
	for _, sn := range live.Subnets {
		names[sn.ID] = cmp.Or(sn.Name, sn.Prefix.String())
	}
	a.mu.Lock()
	a.subnets = names
	a.mu.Unlock()
}

func (a *Agent) subnetNames() map[uint32]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.subnets
}

// Pass is one reconciliation: fetch → verify → test → apply → confirm.
func (a *Agent) Pass(ctx context.Context) {
	start := time.Now()
	a.update(func(s *Status) { s.Reconciling = true })
	err := a.pass(ctx)
	a.metrics.duration.Observe(time.Since(start).Seconds())
	a.update(func(s *Status) {
		s.Reconciling = false
		if err != nil {
			s.LastError = err.Error()
			s.Ready = false
		} else {
			s.LastError = ""
		}
	})
	if err == nil {
		a.metrics.succeeded(time.Now())
	}
	if err != nil {
		a.log.Error("reconcile failed", "err", err, "duration_s", time.Since(start).Seconds())
	}
}

func (a *Agent) pass(ctx context.Context) error {
	f, err := a.fetch(ctx)
	if err != nil {
		return err
	}
	snap, resolved, want, wantSite := f.snap, f.resolved, f.want, f.wantSite
	st := a.Status()
	// kea-dhcp-ddns first: it does not interrupt DHCP, and a config it
	// refuses stops the pass before DHCP is touched.
	if err := a.applyD2(ctx, snap); err != nil {
		return a.failed(snap, err)
	}

	live, err := a.kea.ConfigGet(ctx)
	if err != nil {
		return fmt.Errorf("reading the running config: %w", err)
	}
	liveSite, err := keaconfig.Parse(live.Dhcp4, "live")
	if err != nil {
		return fmt.Errorf("reading the running config: %w", err)
	}
	a.nameSubnets(liveSite)
	changes := append(diff.Sites(liveSite, wantSite), diff.Local(liveSite, wantSite, a.cfg.Node)...)
	drift := model.Drifted(liveSite)
	a.metrics.setDrift(drift)
	if drift && !st.Drift {
		a.metrics.driftDetected.Inc()
		a.log.Warn("drift detected: the running config was changed outside keaops", "changes", len(changes))
	}
	a.update(func(s *Status) { s.Drift = drift })
	if len(changes) == 0 {
		if err := a.writeFiles(snap, resolved); err != nil { // keep the -c file equal to what runs
			return err
		}
		a.applied(snap)
		return nil
	}
	if drift && a.cfg.Drift == "report" && snap.Revision == st.LastAppliedRevision {
		a.update(func(s *Status) { s.Ready = false })
		return fmt.Errorf("drift: the running config differs from revision %s (%d changes) and drift is set to report", short(snap.Revision), len(changes))
	}
	if a.cfg.HA.WaitFor != "" && snap.Manifest.Nodes[a.cfg.Node].Role == string(model.RolePrimary) {
		if err := a.waitForPartner(ctx, snap.Revision); err != nil {
			a.log.Warn("applying without the partner's confirmation", "err", err)
		}
	}
	ctx, release, err := a.lock(ctx, snap)
	if err != nil {
		return err
	}
	if a.cfg.Lock != nil {
		// The running config was read before the lock was held: a deploy
		// that held it may have changed the node since.
		if now, err := a.kea.ConfigGet(ctx); err != nil || !bytes.Equal(now.Dhcp4, live.Dhcp4) {
			release("the running config changed while the lock was taken")
			return errors.Join(errors.New("the running config changed while the deploy lock was being taken; next pass"), err)
		}
	}
	if err := a.kea.ConfigTest(ctx, want); err != nil {
		release("config-test failed")
		return a.failed(snap, fmt.Errorf("config-test rejected revision %s: %w", short(snap.Revision), err))
	}
	// The node's commands say whether host_cmds and subnet_cmds are loaded;
	// unknown means config-set, which works everywhere.
	commands, _ := a.kea.ListCommands(ctx)
	p, err := plan.For(plan.Input{Have: live.Dhcp4, Want: want, HaveSite: liveSite, WantSite: wantSite, Changes: changes, Commands: commands})
	if err != nil {
		release("planning failed")
		return a.failed(snap, fmt.Errorf("planning revision %s: %w", short(snap.Revision), err))
	}
	a.log.Info("applying", "revision", snap.Revision, "plan", p.Summary(model.Role(snap.Manifest.Nodes[a.cfg.Node].Role), wantSite.HA.Heartbeat()))
	err = a.apply(ctx, change{snap: snap, file: resolved, want: want, wantSite: wantSite, previous: live.Dhcp4, prevHash: live.Hash, plan: p})
	outcome := "applied " + short(snap.Revision)
	if err != nil {
		outcome = "failed"
	}
	release(outcome)
	return err
}

// haNormal are the HA states of a healthy relationship.
var haNormal = map[string]bool{"hot-standby": true, "load-balancing": true, "passive-backup": true, "backup": true}

// waitHA polls the local server until its HA state is normal (and, unless
// it is a backup, in touch with its partner), for at most the HA timeout.
func (a *Agent) waitHA(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.HA.Timeout.Duration)
	defer cancel()
	last := "no answer"
	for {
		if st, err := a.kea.Status(ctx); err == nil && len(st.HA) > 0 {
			l, r := st.HA[0].Servers.Local, st.HA[0].Servers.Remote
			if haNormal[l.State] && (l.State == "backup" || l.State == "passive-backup" || r.InTouch) {
				return nil
			}
			last = l.State
		} else if err != nil {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("HA did not return to normal within %v (last: %s)", a.cfg.HA.Timeout.Duration, last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// writeFiles writes Kea's files when their content differs.
func (a *Agent) writeFiles(snap Snapshot, dhcp4 []byte) error {
	write := func(path string, data []byte) error {
		if path == "" {
			return nil
		}
		if cur, err := os.ReadFile(path); err == nil && bytes.Equal(cur, data) {
			return nil
		}
		return artifact.WriteFileAtomicAs(path, data, keaFile)
	}
	if err := write(a.cfg.Kea.ConfigFile, dhcp4); err != nil {
		return err
	}
	if ca, ok := snap.Files["kea-ctrl-agent.json"]; ok && a.cfg.Kea.AgentConfigFile != "" {
		resolved, err := snap.Manifest.Resolve(a.cfg.Node, "kea-ctrl-agent.json", ca, artifact.EnvFileResolver)
		if err != nil {
			return err
		}
		return write(a.cfg.Kea.AgentConfigFile, resolved)
	}
	return nil
}

func (a *Agent) applied(snap Snapshot) {
	digest := snap.Manifest.Nodes[a.cfg.Node].Files["kea-dhcp4.json"].SHA256
	a.metrics.setApplied(snap.Revision, digest)
	a.update(func(s *Status) {
		s.LastAppliedRevision, s.AppliedDigest, s.AppliedSerial = snap.Revision, digest, snap.Manifest.Serial
		s.Ready, s.Stalled, s.FailedRevision, s.Drift, s.OlderRefused = true, false, "", false, false
	})
}

// failed marks a revision so it is not retried in a loop; a new revision
// clears it.
func (a *Agent) failed(snap Snapshot, err error) error {
	a.metrics.applyFailures.Inc()
	a.update(func(s *Status) { s.FailedRevision, s.Stalled, s.Ready = snap.Revision, true, false })
	return err
}

// waitForPartner polls the partner agent's /status until it reports rev
// applied, or the HA timeout.
func (a *Agent) waitForPartner(ctx context.Context, rev string) error {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.HA.Timeout.Duration)
	defer cancel()
	url := strings.TrimSuffix(a.cfg.HA.WaitFor, "/") + "/status"
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			var st Status
			err := json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if err == nil && st.LastAppliedRevision == rev && st.Ready {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("partner %s did not report revision %s applied within %v", a.cfg.HA.WaitFor, short(rev), a.cfg.HA.Timeout.Duration)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

func (a *Agent) statePath() string {
	if a.cfg.StateDir == "" {
		return ""
	}
	return filepath.Join(a.cfg.StateDir, "status.json")
}

func (a *Agent) loadState() Status {
	var s Status
	if p := a.statePath(); p != "" {
		if b, err := os.ReadFile(p); err == nil {
			// A damaged state file only costs the failed-revision memory:
			// the first pass reads what Kea runs and starts over from there.
			if err := json.Unmarshal(b, &s); err != nil {
				a.log.Warn("ignoring an unreadable state file", "path", p, "err", err)
				s = Status{}
			}
		}
	}
	s.Reconciling = false
	return s
}

func (a *Agent) saveState(s Status) {
	p := a.statePath()
	if p == "" {
		return
	}
	b, _ := json.MarshalIndent(s, "", "  ")
	if err := os.MkdirAll(a.cfg.StateDir, 0o750); err == nil {
		if err := artifact.WriteFileAtomic(p, b, 0o640); err != nil {
			a.log.Warn("saving state", "err", err)
		}
	}
}
