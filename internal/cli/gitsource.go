package cli

import (
	"path/filepath"

	"github.com/go-git/go-git/v5"

	"github.com/keaops/keaops/internal/artifact"
)

// gitSource returns the revision of the Git work tree holding the inputs,
// and whether any input differs from it; nil outside a work tree. Only the
// inputs count: a render directory inside the same repository must not mark
// every render dirty.
func gitSource(inputs []string) *artifact.Source {
	if len(inputs) == 0 {
		return nil
	}
	abs, err := filepath.Abs(inputs[0])
	if err != nil {
		return nil
	}
	repo, err := git.PlainOpenWithOptions(filepath.Dir(abs), &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return nil
	}
	head, err := repo.Head()
	if err != nil {
		return nil
	}
	src := &artifact.Source{Revision: head.Hash().String()}
	wt, err := repo.Worktree()
	if err != nil {
		src.Dirty = true
		return src
	}
	status, err := wt.Status()
	if err != nil {
		src.Dirty = true
		return src
	}
	root := wt.Filesystem.Root()
	for _, in := range inputs {
		a, err := filepath.Abs(in)
		if err != nil {
			src.Dirty = true
			continue
		}
		rel, err := filepath.Rel(root, a)
		if err != nil {
			src.Dirty = true
			continue
		}
		// Status lists only files that differ; its File method would invent
		// an "untracked" entry for a clean one, so look the path up.
		if fs, listed := status[filepath.ToSlash(rel)]; listed && (fs.Worktree != git.Unmodified || fs.Staging != git.Unmodified) {
			src.Dirty = true
		}
	}
	return src
}
