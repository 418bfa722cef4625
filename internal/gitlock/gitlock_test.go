package gitlock

import (
	"context"
	"errors"
	"fmt"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/storage/memory"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func bareRepo(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "site.git")
	if out, err := exec.Command("git", "init", "-q", "--bare", dir).CombinedOutput(); err != nil {
		t.Skipf("git init --bare: %v %s", err, out)
	}
	return dir
}

func opts(remote, holder string) Options {
	return Options{Remote: remote, Branch: "keaops-lock/pair", TTL: time.Minute, Holder: holder}
}

// Many takers at once, each from its own in-memory clone as separate
// machines would be: exactly one holds the lock, every other is told who.
func TestAcquireIsExclusive(t *testing.T) {
	remote := bareRepo(t)
	const n = 8
	var wg sync.WaitGroup
	leases := make([]*Lease, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { leases[i], errs[i] = Acquire(context.Background(), opts(remote, fmt.Sprintf("taker-%d", i))) })
	}
	wg.Wait()
	var held []int
	for i := range n {
		if errs[i] == nil {
			held = append(held, i)
			continue
		}
		var he *HeldError
		if !errors.As(errs[i], &he) || !strings.HasPrefix(he.State.Holder, "taker-") {
			t.Errorf("taker %d: %v", i, errs[i])
		}
	}
	if len(held) != 1 {
		t.Fatalf("%d takers hold the lock: %v", len(held), held)
	}
	winner := leases[held[0]]
	if err := winner.Release(context.Background(), "deployed"); err != nil {
		t.Fatal(err)
	}
	// Released: the next taker gets it at once.
	l, err := Acquire(context.Background(), opts(remote, "next"))
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l.Release(context.Background(), "done")
	log, _ := exec.Command("git", "--git-dir", remote, "log", "--format=%s", "keaops-lock/pair").Output()
	if !strings.Contains(string(log), "keaops deploy lock: released by next: done") {
		t.Errorf("history:\n%s", log)
	}
}

// A killed job never releases: its lease expires after the TTL, the next
// taker takes it over, and the old holder finds it has lost it.
func TestExpiredLeaseIsTakenOver(t *testing.T) {
	remote := bareRepo(t)
	start := time.Now()
	clock := start
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	o := opts(remote, "killed-job")
	o.Now = now
	old, err := Acquire(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := old.Context(context.Background())
	defer cancel()

	o2 := opts(remote, "next-job")
	o2.Now = now
	if _, err := Acquire(context.Background(), o2); err == nil || !strings.Contains(err.Error(), "held by killed-job") {
		t.Fatalf("before expiry: %v", err)
	}
	mu.Lock()
	clock = start.Add(time.Minute + time.Second)
	mu.Unlock()
	next, err := Acquire(context.Background(), o2)
	if err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	defer next.Release(context.Background(), "done")
	log, _ := exec.Command("git", "--git-dir", remote, "log", "-1", "--format=%s", "keaops-lock/pair").Output()
	if !strings.Contains(string(log), "taken by next-job (the lease of killed-job expired at") {
		t.Errorf("history: %s", log)
	}
	if err := old.Release(context.Background(), "late"); !errors.Is(err, ErrLost) {
		t.Errorf("the old holder's release: %v", err)
	}
	select {
	case <-ctx.Done():
		t.Errorf("context cancelled before the loss was noticed: %v", context.Cause(ctx))
	default:
	}
}

// The holder renews while it works; a lease taken over under it cancels
// the work's context with ErrLost.
func TestRenewAndLoss(t *testing.T) {
	remote := bareRepo(t)
	o := opts(remote, "holder")
	o.TTL = 300 * time.Millisecond
	l, err := Acquire(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	first := l.Expires()
	time.Sleep(500 * time.Millisecond)
	if !l.Expires().After(first) {
		t.Fatalf("not renewed: expires %v, first %v", l.Expires(), first)
	}
	ctx, cancel := l.Context(context.Background())
	defer cancel()
	// Another machine whose clock says the lease expired takes it over.
	o2 := opts(remote, "thief")
	o2.Now = func() time.Time { return time.Now().Add(time.Hour) }
	thief, err := Acquire(context.Background(), o2)
	if err != nil {
		t.Fatal(err)
	}
	defer thief.Release(context.Background(), "done")
	select {
	case <-ctx.Done():
		if !errors.Is(context.Cause(ctx), ErrLost) {
			t.Errorf("cause %v", context.Cause(ctx))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the loss was not noticed")
	}
}

// A push on a tip read before the holder renewed is a lost race, never a
// failure, so Acquire reads again. (Under load the same race can surface as
// "object not found" from a push that meets the renewal mid-write, which
// isRace counts too; TestRenewAndLoss met it once in three full runs.)
func TestPushOnAStaleTipIsARace(t *testing.T) {
	remote := bareRepo(t)
	holder, err := Acquire(context.Background(), opts(remote, "holder"))
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Release(context.Background(), "done")
	o := opts(remote, "other")
	repo, _ := git.Init(memory.NewStorage(), nil)
	repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{remote}})
	l := &Lease{o: o, repo: repo}
	tip, _, err := l.read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The holder renews after the other side read the branch.
	holder.mu.Lock()
	htip, hst := holder.tip, holder.state
	holder.mu.Unlock()
	hst.Expires = hst.Expires.Add(time.Minute)
	if err := holder.push(context.Background(), htip, hst, "renewed"); err != nil {
		t.Fatal(err)
	}
	if err := l.push(context.Background(), tip, State{Holder: "other"}, "taken"); !errors.Is(err, errRace) {
		t.Fatalf("push on the stale tip: %v, want the race", err)
	}
}
