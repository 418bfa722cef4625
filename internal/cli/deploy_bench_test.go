package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keaops/keaops/internal/deploy"
	"github.com/keaops/keaops/internal/keaapi"
	"github.com/keaops/keaops/internal/keatest"
	"github.com/keaops/keaops/internal/sitegen"
)

// timed wraps a node's API and adds the time of its heavy calls to kea.
type timed struct {
	deploy.API
	mu  *sync.Mutex
	kea *time.Duration
}

func (t timed) add(start time.Time) { t.mu.Lock(); *t.kea += time.Since(start); t.mu.Unlock() }
func (t timed) ConfigGet(ctx context.Context) (keaapi.Config, error) {
	defer t.add(time.Now())
	return t.API.ConfigGet(ctx)
}
func (t timed) ConfigTest(ctx context.Context, c json.RawMessage) error {
	defer t.add(time.Now())
	return t.API.ConfigTest(ctx, c)
}
func (t timed) ConfigSet(ctx context.Context, c json.RawMessage) (string, error) {
	defer t.add(time.Now())
	return t.API.ConfigSet(ctx, c)
}
func (t timed) ConfigWrite(ctx context.Context) error {
	defer t.add(time.Now())
	return t.API.ConfigWrite(ctx)
}

// BenchmarkDeploy10k deploys one new reservation into a 10,000-reservation
// site (500 subnets) on a live Kea 2.2 pair (no live commands: config-set)
// and reports, besides the wall time of each deploy:
//
//	kea-calls-s: time inside Kea's config-get, config-test, config-set and
//	             config-write calls (parsing, applying, writing 10k hosts),
//	             summed over both nodes — preflight and verify read the
//	             nodes at once, so this overlaps
//	ha-wait-s:   time waiting for HA to return to normal after each
//	             config-set (heartbeats; 1 s heartbeat-delay here)
func BenchmarkDeploy10k(b *testing.B) {
	keatest.Require(b)
	gen := b.TempDir()
	if err := sitegen.Write(gen, sitegen.Spec{Subnets: 500, Reservations: 10000, Mode: "hot-standby"}); err != nil {
		b.Fatal(err)
	}
	site, dirs := benchPair(b, gen)
	nodes := startRendered(b, site, dirs)
	waitPairHealthy(b, nodes)
	var kea, haWait, total time.Duration
	var mu sync.Mutex
	for i := 0; b.Loop(); i++ {
		appendReservation(b, site, fmt.Sprintf("  - {hostname: bench-%d, hw-address: \"02:be:00:00:%02x:%02x\", ip-address: 10.1.0.%d}\n", i, i>>8, i&255, 100+i%100))
		start := time.Now()
		s, findings, err := LoadAndValidate(context.Background(), SiteArgs{Site: site})
		if err != nil || findings.HasErrors() {
			b.Fatal(err, findings)
		}
		ts, err := Targets(context.Background(), s, ConnArgs{Timeout: time.Minute})
		if err != nil {
			b.Fatal(err)
		}
		for j := range ts {
			ts[j].API = timed{API: ts[j].API, mu: &mu, kea: &kea}
		}
		var waitStart time.Time
		progress := func(_, step string) {
			mu.Lock()
			defer mu.Unlock()
			if !waitStart.IsZero() {
				haWait += time.Since(waitStart)
				waitStart = time.Time{}
			}
			if strings.HasPrefix(step, "waiting for HA") {
				waitStart = time.Now()
			}
		}
		if _, err := deploy.Run(context.Background(), ts, deploy.Options{Version: "2.2", HA: true, HATimeout: time.Minute, Progress: progress}); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(total.Seconds()/n, "wall-s/op")
	b.ReportMetric(kea.Seconds()/n, "kea-calls-s/op")
	b.ReportMetric(haWait.Seconds()/n, "ha-wait-s/op")
}

// benchPair is a live pair serving a generated site.
func benchPair(b *testing.B, gen string) (string, map[string]keatest.Dirs) {
	subnets, _ := os.ReadFile(filepath.Join(gen, "subnets.yaml"))
	res, _ := os.ReadFile(filepath.Join(gen, "reservations.yaml"))
	return pairSite(b, string(subnets), string(res))
}

// BenchmarkDeployLive10k is the same change on a live Kea 3.0 pair, the
// whole keaops deploy command timed (load, check, render, preflight, the
// rollout, verify): with host_cmds and subnet_cmds, through the Control
// Agents and through the nodes' unix sockets (an agent's, or a deploy run
// on the node: 3.0's Control Agent takes ~0.5 s of the ~0.7 s a 10k
// config-get costs), and without the hooks (config-set, the peer measured
// in the same run).
func BenchmarkDeployLive10k(b *testing.B) {
	k := keatest.For(b, "3.0")
	gen := b.TempDir()
	if err := sitegen.Write(gen, sitegen.Spec{Subnets: 500, Reservations: 10000, Mode: "hot-standby"}); err != nil {
		b.Fatal(err)
	}
	subnets, _ := os.ReadFile(filepath.Join(gen, "subnets.yaml"))
	res, _ := os.ReadFile(filepath.Join(gen, "reservations.yaml"))
	for _, c := range []struct {
		name          string
		hooks, socket bool
	}{{"live", true, false}, {"live-unix-socket", true, true}, {"config-set", false, false}} {
		hooks := c.hooks
		b.Run(c.name, func(b *testing.B) {
			site, dirs := pairSiteFor(b, k, string(subnets), string(res))
			if hooks {
				withHooks(b, site)
			}
			nodes := startRendered(b, site, dirs)
			waitPairHealthy(b, nodes)
			args := []string{"deploy", "-s", site, "--yes"}
			if c.socket {
				for name, d := range dirs {
					args = append(args, "--endpoint", name+"=unix://"+filepath.Join(d.Run, "kea4-ctrl.sock"))
				}
			}
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				appendReservation(b, site, fmt.Sprintf("  - {hostname: bench-%d, hw-address: \"02:be:00:00:%02x:%02x\", ip-address: 10.1.0.%d}\n", i, i>>8, i&255, 100+i%100))
				b.StartTimer()
				var out strings.Builder
				if code := Main(context.Background(), args, &out, &out); code != ExitOK {
					b.Fatalf("exit %d\n%s", code, out.String())
				}
				if live := strings.Contains(out.String(), "→ live:"); live != hooks {
					b.Fatalf("live %v, want %v\n%s", live, hooks, out.String())
				}
			}
		})
	}
}
