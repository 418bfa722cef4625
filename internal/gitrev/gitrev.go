// Package gitrev is what keaops does with the Git work tree that holds a
// site's inputs, with go-git (no git binary needed): which revision they are
// at (and whether they were edited since), what they were at another
// revision — for keaops diff --against, which must work offline in a
// merge-request job — and committing an edit keaops made to them.
package gitrev

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

func open(path string) (*git.Repository, string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, "", err
	}
	repo, err := git.PlainOpenWithOptions(filepath.Dir(abs), &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return nil, "", fmt.Errorf("opening the Git repository of %s: %w", path, err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return nil, "", fmt.Errorf("opening the work tree of %s: %w", path, err)
	}
	return repo, wt.Filesystem.Root(), nil
}

// Describe returns the revision of the work tree holding inputs, and
// whether any input differs from it; ok is false outside a work tree.
// Only the inputs count: a render directory inside the same repository
// must not mark every render dirty.
func Describe(inputs []string) (revision string, dirty, ok bool) {
	if len(inputs) == 0 {
		return "", false, false
	}
	repo, root, err := open(inputs[0])
	if err != nil {
		return "", false, false
	}
	head, err := repo.Head()
	if err != nil {
		return "", false, false
	}
	wt, err := repo.Worktree()
	if err != nil {
		return head.Hash().String(), true, true
	}
	status, err := wt.Status()
	if err != nil {
		return head.Hash().String(), true, true
	}
	for _, in := range inputs {
		rel, err := relTo(root, in)
		if err != nil {
			dirty = true
			continue
		}
		// Status lists only files that differ; its File method would
		// invent an "untracked" entry for a clean one, so look it up.
		if fs, listed := status[rel]; listed && (fs.Worktree != git.Unmodified || fs.Staging != git.Unmodified) {
			dirty = true
		}
	}
	return head.Hash().String(), dirty, true
}

func relTo(root, name string) (string, error) {
	abs, err := filepath.Abs(name)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || !filepath.IsLocal(rel) {
		return "", fmt.Errorf("%s is outside the repository at %s", name, root)
	}
	return filepath.ToSlash(rel), nil
}

// Files reads files as they are at one revision. Names are file system
// paths inside the work tree, as the YAML source builds them.
type Files struct {
	root     string
	tree     *object.Tree
	revision string
}

// At resolves rev ("origin/main", a tag, a hash) in the repository holding
// path and returns its files. "REV..." is, as in git diff, the merge base
// of REV and HEAD: what a merge request's changes are relative to, once
// its target branch has moved on.
func At(path, rev string) (*Files, error) {
	repo, root, err := open(path)
	if err != nil {
		return nil, err
	}
	commit, err := resolve(repo, rev)
	if err != nil {
		return nil, err
	}
	hash := commit.Hash
	tree, err := commit.Tree()
	if err != nil {
		return nil, fmt.Errorf("reading the tree of %s: %w", hash, err)
	}
	return &Files{root: root, tree: tree, revision: hash.String()}, nil
}

func resolve(repo *git.Repository, rev string) (*object.Commit, error) {
	base, mergeBase := strings.CutSuffix(rev, "...")
	if mergeBase && base == "" {
		return nil, fmt.Errorf("resolving %s: name the branch before the dots (origin/main...)", rev)
	}
	commit, err := commitAt(repo, base)
	if err != nil || !mergeBase {
		return commit, err
	}
	head, err := commitAt(repo, "HEAD")
	if err != nil {
		return nil, err
	}
	bases, err := commit.MergeBase(head)
	if err != nil {
		return nil, fmt.Errorf("the merge base of %s and HEAD: %w", base, err)
	}
	if len(bases) == 0 {
		return nil, fmt.Errorf("%s and HEAD have no common ancestor (a shallow clone? fetch the history: GIT_DEPTH 0)", base)
	}
	// Several bases (criss-cross merges): git diff takes the first too.
	return bases[0], nil
}

func commitAt(repo *git.Repository, rev string) (*object.Commit, error) {
	hash, err := repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", rev, err)
	}
	commit, err := repo.CommitObject(*hash)
	if err != nil {
		return nil, fmt.Errorf("reading commit %s: %w", hash, err)
	}
	return commit, nil
}

// Revision is the resolved commit hash.
func (f *Files) Revision() string { return f.revision }

// Stat reports a file or directory of the revision.
func (f *Files) Stat(name string) (fs.FileInfo, error) {
	rel, err := relTo(f.root, name)
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	if file, err := f.tree.File(rel); err == nil {
		return info{name: filepath.Base(name), size: file.Size}, nil
	}
	if _, err := f.tree.Tree(rel); err == nil {
		return info{name: filepath.Base(name), dir: true}, nil
	}
	return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
}

// ReadFile returns a file's content at the revision.
func (f *Files) ReadFile(name string) ([]byte, error) {
	rel, err := relTo(f.root, name)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	file, err := f.tree.File(rel)
	if errors.Is(err, object.ErrFileNotFound) {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	} else if err != nil {
		return nil, fmt.Errorf("reading %s at %s: %w", rel, f.revision[:12], err)
	}
	r, err := file.Reader()
	if err != nil {
		return nil, fmt.Errorf("reading %s at %s: %w", rel, f.revision[:12], err)
	}
	defer r.Close()
	return io.ReadAll(r)
}

type info struct {
	name string
	size int64
	dir  bool
}

func (i info) Name() string { return i.name }
func (i info) Size() int64  { return i.size }
func (i info) Mode() fs.FileMode {
	return map[bool]fs.FileMode{false: 0o644, true: fs.ModeDir | 0o755}[i.dir]
}
func (i info) ModTime() time.Time { return time.Time{} }
func (i info) IsDir() bool        { return i.dir }
func (i info) Sys() any           { return nil }
