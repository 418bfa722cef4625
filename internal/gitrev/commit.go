package gitrev

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// Commit records files — edited by keaops in the work tree — as one
// commit with message, on a new branch when branch is not "" (made at
// HEAD and checked out, the edit carried over: the start of a merge
// request). The author is Git's user (or GIT_AUTHOR_NAME and
// GIT_AUTHOR_EMAIL). It returns the commit's hash. Nothing else in the
// work tree or the index is committed.
func Commit(files []string, message, branch string) (string, error) {
	if len(files) == 0 {
		return "", errors.New("nothing to commit")
	}
	repo, root, err := open(files[0])
	if err != nil {
		return "", err
	}
	wt, err := repo.Worktree()
	if err != nil {
		return "", err
	}
	if branch != "" {
		ref := plumbing.NewBranchReferenceName(branch)
		if _, err := repo.Reference(ref, false); err == nil {
			return "", fmt.Errorf("branch %s exists already: name a new one", branch)
		}
		if err := wt.Checkout(&git.CheckoutOptions{Branch: ref, Create: true, Keep: true}); err != nil {
			return "", fmt.Errorf("starting branch %s: %w", branch, err)
		}
	}
	var paths []string
	for _, f := range files {
		rel, err := relTo(root, f)
		if err != nil {
			return "", err
		}
		paths = append(paths, rel)
		if _, err := wt.Add(rel); err != nil {
			return "", fmt.Errorf("adding %s: %w", rel, err)
		}
	}
	opts := &git.CommitOptions{}
	if name, email := os.Getenv("GIT_AUTHOR_NAME"), os.Getenv("GIT_AUTHOR_EMAIL"); name != "" && email != "" {
		opts.Author = &object.Signature{Name: name, Email: email, When: time.Now()}
	}
	hash, err := commitOnly(wt, message, paths, opts)
	if err != nil {
		return "", fmt.Errorf("committing: %w", err)
	}
	return hash.String(), nil
}

// commitOnly commits paths, and refuses when anything else is staged: the
// commit must be the edit alone.
func commitOnly(wt *git.Worktree, message string, paths []string, opts *git.CommitOptions) (plumbing.Hash, error) {
	status, err := wt.Status()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	var others []string
	for p, s := range status {
		if s.Staging != git.Unmodified && s.Staging != git.Untracked && !slices.Contains(paths, p) {
			others = append(others, p)
		}
	}
	if len(others) > 0 {
		return plumbing.ZeroHash, fmt.Errorf("other changes are staged (%s): commit or unstage them first", others[0])
	}
	h, err := wt.Commit(message, opts)
	if err != nil && errors.Is(err, git.ErrEmptyCommit) {
		return h, errors.New("the edit left the files as they are in HEAD")
	}
	if err != nil && opts.Author == nil {
		return h, fmt.Errorf("%w (set git config user.name and user.email, or GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL)", err)
	}
	return h, err
}

// Push sends branch to the work tree's origin (never forced): a merge
// request's branch, for the server to open one from.
func Push(ctx context.Context, path, branch string, auth transport.AuthMethod) error {
	repo, _, err := open(path)
	if err != nil {
		return err
	}
	ref := plumbing.NewBranchReferenceName(branch)
	err = repo.PushContext(ctx, &git.PushOptions{RemoteName: "origin", RefSpecs: []config.RefSpec{config.RefSpec(ref + ":" + ref)}, Auth: auth})
	if errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pushing %s to origin: %w", branch, err)
	}
	return nil
}
