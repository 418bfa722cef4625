// Package publish commits a render directory to a branch of a Git remote,
// where keaops-agent on each node picks it up: one commit per render that
// changed something, its message naming the source revision, pushed
// without force. It works in memory (go-git): no work tree on disk, no git
// binary for HTTPS and SSH remotes.
package publish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/keaops/keaops/internal/artifact"
	"github.com/keaops/keaops/internal/gitremote"
)

// Options say where to publish.
type Options struct {
	// Remote is a URL (https://, ssh://, git@host:path) or a path to a
	// repository on disk.
	Remote string
	// Branch receives the renders; it is created when missing.
	Branch string
	// Path is the directory inside the branch that holds the render ("" =
	// the branch's root).
	Path string
	// Auth for HTTPS (token or user+password) or SSH (key file).
	User, Password string
	SSHKeyFile     string
	// Author of the commits.
	AuthorName, AuthorEmail string
}

// Auth returns the transport authentication the options describe.
func (o Options) Auth() (transport.AuthMethod, error) {
	return gitremote.Auth(o.User, o.Password, o.SSHKeyFile)
}

// Result says what a publish did.
type Result struct {
	Commit  string
	Changed bool
}

// Publish commits renderDir (checked against its manifest first) to the
// branch and pushes it. Nothing is committed when the branch already holds
// exactly this render. A push refused because the branch moved is an
// error: keaops never force-pushes.
func Publish(ctx context.Context, renderDir string, o Options) (Result, error) {
	m, err := artifact.ReadManifest(renderDir)
	if err != nil {
		return Result{}, err
	}
	for node := range m.Nodes {
		if _, err := artifact.ReadNode(renderDir, node); err != nil {
			return Result{}, fmt.Errorf("refusing to publish a render that does not verify: %w", err)
		}
	}
	auth, err := o.Auth()
	if err != nil {
		return Result{}, fmt.Errorf("git credentials: %w", err)
	}
	if o.Branch == "" {
		o.Branch = "keaops-rendered"
	}
	branch := plumbing.NewBranchReferenceName(o.Branch)
	fsys := memfs.New()
	repo, err := git.Init(memory.NewStorage(), fsys)
	if err != nil {
		return Result{}, err
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{o.Remote}}); err != nil {
		return Result{}, err
	}
	wt, err := repo.Worktree()
	if err != nil {
		return Result{}, err
	}
	var parent *plumbing.Hash
	err = repo.FetchContext(ctx, &git.FetchOptions{RemoteName: "origin", Auth: auth, Depth: 1, Tags: git.NoTags,
		RefSpecs: []config.RefSpec{config.RefSpec("+" + branch.String() + ":refs/remotes/origin/" + o.Branch)}})
	switch {
	case err == nil || errors.Is(err, git.NoErrAlreadyUpToDate):
		ref, err := repo.Reference(plumbing.NewRemoteReferenceName("origin", o.Branch), true)
		if err != nil {
			return Result{}, err
		}
		h := ref.Hash()
		parent = &h
		if err := repo.Storer.SetReference(plumbing.NewHashReference(branch, h)); err != nil {
			return Result{}, err
		}
		if err := wt.Checkout(&git.CheckoutOptions{Branch: branch, Force: true}); err != nil {
			return Result{}, fmt.Errorf("checking out %s: %w", o.Branch, err)
		}
	case gitremote.MissingRef(err):
		// A new branch: its first commit has no parent.
		if err := repo.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, branch)); err != nil {
			return Result{}, err
		}
	default:
		return Result{}, fmt.Errorf("fetching %s from %s: %w", o.Branch, gitremote.Redact(o.Remote), err)
	}

	prefix := strings.Trim(path.Clean("/"+filepath.ToSlash(o.Path)), "/")
	serial := tipSerial(fsys, prefix)
	if err := removeTree(fsys, prefix); err != nil {
		return Result{}, err
	}
	if err := copyRender(renderDir, fsys, prefix); err != nil {
		return Result{}, err
	}
	// The same render under the tip's serial is no change; anything else
	// gets the next serial, so agents can tell newer from older.
	if err := writeSerial(fsys, prefix, m, serial); err != nil {
		return Result{}, err
	}
	clean, err := stage(wt)
	if err != nil {
		return Result{}, err
	}
	if clean && parent != nil {
		return Result{Commit: parent.String()}, nil
	}
	// Milliseconds since the epoch keep serials rising even after someone
	// resets the branch to an old commit (whose serial is then below the
	// agents' applied one); the +1 covers a clock that went back.
	if err := writeSerial(fsys, prefix, m, max(serial+1, time.Now().UnixMilli())); err != nil {
		return Result{}, err
	}
	if _, err := stage(wt); err != nil {
		return Result{}, err
	}
	src := "inputs not in Git"
	if m.Source != nil {
		src = m.Source.Revision
		if m.Source.Dirty {
			src += " with uncommitted changes"
		}
	}
	name, email := o.AuthorName, o.AuthorEmail
	if name == "" {
		name, email = "keaops", "keaops@localhost"
	}
	hash, err := wt.Commit(fmt.Sprintf("keaops render of %s for Kea %s\n\nSource: %s\n", short(src), m.KeaVersion, src),
		&git.CommitOptions{Author: &object.Signature{Name: name, Email: email, When: time.Now()}})
	if err != nil {
		return Result{}, fmt.Errorf("committing: %w", err)
	}
	err = repo.PushContext(ctx, &git.PushOptions{RemoteName: "origin", Auth: auth,
		RefSpecs: []config.RefSpec{config.RefSpec(branch.String() + ":" + branch.String())}})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return Result{}, fmt.Errorf("pushing to %s (never forced; if the branch moved, publish again): %w", o.Branch, err)
	}
	return Result{Commit: hash.String(), Changed: true}, nil
}

// tipSerial is the publish serial of the render the branch holds (0 for
// none, or one published before serials).
func tipSerial(fsys billy.Filesystem, prefix string) int64 {
	f, err := fsys.Open(path.Join(prefix, artifact.ManifestFile))
	if err != nil {
		return 0
	}
	defer f.Close()
	var m struct {
		Serial int64 `json:"serial"`
	}
	if json.NewDecoder(io.LimitReader(f, artifact.MaxFileSize)).Decode(&m) != nil {
		return 0
	}
	return m.Serial
}

func writeSerial(fsys billy.Filesystem, prefix string, m artifact.Manifest, serial int64) error {
	m.Serial = serial
	b, err := artifact.EncodeManifest(m)
	if err != nil {
		return err
	}
	f, err := fsys.Create(path.Join(prefix, artifact.ManifestFile))
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// stage adds everything and says whether nothing changed.
func stage(wt *git.Worktree) (bool, error) {
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		return false, fmt.Errorf("staging the render: %w", err)
	}
	status, err := wt.Status()
	if err != nil {
		return false, err
	}
	return status.IsClean(), nil
}

func short(rev string) string {
	if len(rev) >= 40 && !strings.Contains(rev[:40], " ") {
		return rev[:12] + rev[40:]
	}
	return rev
}

// removeTree deletes everything under prefix ("" = the whole tree).
func removeTree(fsys billy.Filesystem, prefix string) error {
	dir := prefix
	if dir == "" {
		dir = "/"
	}
	entries, err := fsys.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	for _, e := range entries {
		p := path.Join(prefix, e.Name())
		if e.IsDir() {
			if err := removeTree(fsys, p); err != nil {
				return err
			}
		}
		if err := fsys.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// copyRender copies the render directory into fsys under prefix.
func copyRender(dir string, fsys billy.Filesystem, prefix string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := fsys.Create(path.Join(prefix, filepath.ToSlash(rel)))
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}
