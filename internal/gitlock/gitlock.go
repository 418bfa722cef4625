// Package gitlock is a lease held on a Git remote: a lock that machines
// which share nothing but a Git server (two CI runners, a laptop and CI)
// all see. The lock is a branch whose tip commit holds lock.json (who
// holds it, until when). Taking, renewing and releasing it each push one
// commit on top of the tip that was read, never forced: Git's
// receive-pack updates a ref only from the value the pusher saw, so of two
// machines that read the same tip exactly one push lands — a
// compare-and-swap. A lease nobody renews expires, so a killed job's lock
// frees itself after its TTL.
//
// Who needs what: the jobs that take the lock (deploy, and keaops-agent
// where it is told to) push to that one branch; merge-request jobs (check,
// diff) never touch it.
package gitlock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/keaops/keaops/internal/gitremote"
)

// File is the lock's file in the branch.
const File = "lock.json"

// Options say where the lock lives and who takes it.
type Options struct {
	Remote string
	// Branch is the lock's branch name (without refs/heads/).
	Branch string
	Auth   transport.AuthMethod
	// TTL is how long the lease lasts unless renewed.
	TTL time.Duration
	// Holder names the taker for whoever finds the lock held: user, host,
	// process, CI job.
	Holder string
	// Now is the clock (tests); time.Now when nil.
	Now func() time.Time
}

// State is lock.json.
type State struct {
	Holder   string    `json:"holder"`
	Acquired time.Time `json:"acquired"`
	Expires  time.Time `json:"expires"`
	Released bool      `json:"released"`
	// Last says how the holder's work ended, on release.
	Last string `json:"last,omitempty"`
}

// HeldError says the lock is someone else's.
type HeldError struct {
	State State
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("the deploy lock is held by %s since %s, until %s unless renewed", e.State.Holder,
		e.State.Acquired.UTC().Format(time.RFC3339), e.State.Expires.UTC().Format(time.RFC3339))
}

// ErrLost is returned (and is the cause of a lease's context) once a lease
// could not be renewed before it expired, or was taken over.
var ErrLost = errors.New("the deploy lock was lost")

// Lease is a held lock.
type Lease struct {
	o      Options
	repo   *git.Repository
	mu     sync.Mutex
	tip    plumbing.Hash
	state  State
	lost   chan struct{}
	cause  error
	stop   chan struct{}
	done   chan struct{}
	closed bool
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o Options) ref() plumbing.ReferenceName { return plumbing.NewBranchReferenceName(o.Branch) }

// Acquire takes the lock, or returns a *HeldError naming its holder. A
// held lock past its expiry is taken over (and said so in its history).
func Acquire(ctx context.Context, o Options) (*Lease, error) {
	if o.TTL <= 0 {
		o.TTL = 10 * time.Minute
	}
	repo, err := git.Init(memory.NewStorage(), nil)
	if err != nil {
		return nil, err
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{o.Remote}}); err != nil {
		return nil, err
	}
	l := &Lease{o: o, repo: repo, lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	// Twice: a push that lost the race to a release (not a take) may try
	// again on the new tip.
	for range 2 {
		tip, cur, err := l.read(ctx)
		if err != nil {
			return nil, err
		}
		now := o.now()
		if cur != nil && !cur.Released && now.Before(cur.Expires) {
			return nil, &HeldError{State: *cur}
		}
		msg := "keaops deploy lock: taken by " + o.Holder
		if cur != nil && !cur.Released {
			msg += fmt.Sprintf(" (the lease of %s expired at %s)", cur.Holder, cur.Expires.UTC().Format(time.RFC3339))
		}
		st := State{Holder: o.Holder, Acquired: now, Expires: now.Add(o.TTL)}
		err = l.push(ctx, tip, st, msg)
		if err == nil {
			go l.renew()
			return l, nil
		}
		if !errors.Is(err, errRace) {
			return nil, err
		}
	}
	_, cur, err := l.read(ctx)
	if err == nil && cur != nil && !cur.Released {
		return nil, &HeldError{State: *cur}
	}
	return nil, errors.New("the deploy lock changed hands twice while it was being taken; try again")
}

var errRace = errors.New("the lock branch moved")

// read fetches the branch and returns its tip and lock state (nil, zero
// hash when the branch does not exist yet).
func (l *Lease) read(ctx context.Context) (plumbing.Hash, *State, error) {
	remoteRef := plumbing.NewRemoteReferenceName("origin", l.o.Branch)
	err := l.repo.FetchContext(ctx, &git.FetchOptions{RemoteName: "origin", Auth: l.o.Auth, Depth: 1, Tags: git.NoTags, Force: true,
		RefSpecs: []config.RefSpec{config.RefSpec("+" + l.o.ref().String() + ":" + remoteRef.String())}})
	switch {
	case err == nil || errors.Is(err, git.NoErrAlreadyUpToDate):
	case gitremote.MissingRef(err):
		return plumbing.ZeroHash, nil, nil
	default:
		return plumbing.ZeroHash, nil, fmt.Errorf("reading the deploy lock %s from %s: %w", l.o.Branch, gitremote.Redact(l.o.Remote), err)
	}
	ref, err := l.repo.Reference(remoteRef, true)
	if err != nil {
		return plumbing.ZeroHash, nil, err
	}
	c, err := l.repo.CommitObject(ref.Hash())
	if err != nil {
		return plumbing.ZeroHash, nil, err
	}
	f, err := c.File(File)
	if err != nil {
		return plumbing.ZeroHash, nil, fmt.Errorf("the deploy lock branch %s holds no %s: is it a branch of something else?", l.o.Branch, File)
	}
	r, err := f.Reader()
	if err != nil {
		return plumbing.ZeroHash, nil, err
	}
	defer r.Close()
	var st State
	if err := json.NewDecoder(io.LimitReader(r, 1<<20)).Decode(&st); err != nil {
		return plumbing.ZeroHash, nil, fmt.Errorf("the deploy lock's %s: %w", File, err)
	}
	return ref.Hash(), &st, nil
}

// push commits st on top of parent and pushes it without force.
func (l *Lease) push(ctx context.Context, parent plumbing.Hash, st State, msg string) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	s := l.repo.Storer
	blob := s.NewEncodedObject()
	blob.SetType(plumbing.BlobObject)
	w, err := blob.Writer()
	if err != nil {
		return err
	}
	w.Write(append(data, '\n'))
	w.Close()
	bh, err := s.SetEncodedObject(blob)
	if err != nil {
		return err
	}
	tree := &object.Tree{Entries: []object.TreeEntry{{Name: File, Mode: filemode.Regular, Hash: bh}}}
	tobj := s.NewEncodedObject()
	if err := tree.Encode(tobj); err != nil {
		return err
	}
	th, err := s.SetEncodedObject(tobj)
	if err != nil {
		return err
	}
	sig := object.Signature{Name: "keaops", Email: "keaops@localhost", When: l.o.now()}
	c := &object.Commit{Author: sig, Committer: sig, Message: msg + "\n", TreeHash: th}
	if !parent.IsZero() {
		c.ParentHashes = []plumbing.Hash{parent}
	}
	cobj := s.NewEncodedObject()
	if err := c.Encode(cobj); err != nil {
		return err
	}
	ch, err := s.SetEncodedObject(cobj)
	if err != nil {
		return err
	}
	if err := s.SetReference(plumbing.NewHashReference(l.o.ref(), ch)); err != nil {
		return err
	}
	err = l.repo.PushContext(ctx, &git.PushOptions{RemoteName: "origin", Auth: l.o.Auth,
		RefSpecs: []config.RefSpec{config.RefSpec(l.o.ref().String() + ":" + l.o.ref().String())}})
	switch {
	case err == nil:
	case isRace(err):
		return errRace
	default:
		return fmt.Errorf("writing the deploy lock %s to %s: %w", l.o.Branch, gitremote.Redact(l.o.Remote), err)
	}
	l.mu.Lock()
	l.tip, l.state = ch, st
	l.mu.Unlock()
	return nil
}

// renew extends the lease every third of its TTL until released. A
// renewal that fails is tried again until the lease would expire; then the
// lease is lost.
func (l *Lease) renew() {
	defer close(l.done)
	every := l.o.TTL / 3
	for {
		select {
		case <-l.stop:
			return
		case <-time.After(every):
		}
		l.mu.Lock()
		tip, st := l.tip, l.state
		l.mu.Unlock()
		st.Expires = l.o.now().Add(l.o.TTL)
		ctx, cancel := context.WithTimeout(context.Background(), every)
		err := l.push(ctx, tip, st, "keaops deploy lock: renewed by "+l.o.Holder)
		cancel()
		switch {
		case errors.Is(err, errRace):
			l.lose(fmt.Errorf("%w: another machine took it over", ErrLost))
			return
		case err != nil && !l.o.now().Before(l.state.Expires):
			l.lose(fmt.Errorf("%w: it could not be renewed before it expired: %w", ErrLost, err))
			return
		}
	}
}

func (l *Lease) lose(cause error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cause == nil {
		l.cause = cause
		close(l.lost)
	}
}

// Context returns ctx, cancelled with ErrLost as its cause if the lease is
// lost: work done under the lock stops when it no longer holds.
func (l *Lease) Context(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	go func() {
		select {
		case <-l.lost:
			l.mu.Lock()
			cause := l.cause
			l.mu.Unlock()
			cancel(cause)
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(nil) }
}

// Release gives the lock back, recording how the work ended. A lease that
// was taken over meanwhile is left to its new holder.
func (l *Lease) Release(ctx context.Context, last string) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	close(l.stop)
	<-l.done
	l.mu.Lock()
	tip, st, cause := l.tip, l.state, l.cause
	l.mu.Unlock()
	if cause != nil {
		return cause
	}
	st.Released, st.Last = true, last
	err := l.push(ctx, tip, st, "keaops deploy lock: released by "+l.o.Holder+": "+last)
	if errors.Is(err, errRace) {
		return fmt.Errorf("%w: another machine took it over before it was released", ErrLost)
	}
	return err
}

// Expires is when the lease runs out unless renewed.
func (l *Lease) Expires() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state.Expires
}

// isRace: the push was refused because the branch is no longer at the
// tip that was read (go-git's own check, or the server's).
func isRace(err error) bool {
	// A push that meets another writer's push to the same branch mid-write
	// can find the objects it read gone: the branch moved (seen as
	// "writing the deploy lock …: object not found" in TestRenewAndLoss).
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "non-fast-forward") || strings.Contains(s, "fetch first") ||
		strings.Contains(s, "failed to update ref") || strings.Contains(s, "stale info") ||
		strings.Contains(s, "cannot lock ref") || strings.Contains(s, "reference already exists")
}

// DefaultBranch is the lock branch of a pair: one per set of node names,
// so deploys and agents of the same pair meet on the same branch.
func DefaultBranch(nodes []string) string {
	names := slices.Clone(nodes)
	slices.Sort(names)
	sum := sha256.Sum256([]byte(strings.Join(names, "\n")))
	return "keaops-lock/" + hex.EncodeToString(sum[:6])
}

// Holder describes this process for a lock's history: user, host, pid,
// and the CI job when there is one.
func Holder(program string) string {
	host, _ := os.Hostname()
	user := os.Getenv("USER")
	if user == "" {
		user = "uid" + strconv.Itoa(os.Getuid())
	}
	h := fmt.Sprintf("%s (%s@%s pid %d)", program, user, host, os.Getpid())
	for _, v := range []string{"CI_JOB_URL", "BUILD_URL"} { // GitLab, Jenkins
		if u := os.Getenv(v); u != "" {
			h += " " + u
			break
		}
	}
	if s, r := os.Getenv("GITHUB_SERVER_URL"), os.Getenv("GITHUB_RUN_ID"); s != "" && r != "" {
		h += " " + s + "/" + os.Getenv("GITHUB_REPOSITORY") + "/actions/runs/" + r
	}
	return h
}
