package agent

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/keaops/keaops/internal/artifact"
	"github.com/keaops/keaops/internal/gitremote"
	"github.com/keaops/keaops/internal/safefile"
)

// Snapshot is one revision of the artifacts, this node's files verified.
type Snapshot struct {
	Revision string
	Manifest artifact.Manifest
	Files    map[string][]byte
}

// source produces the latest artifacts for a node.
type source interface {
	Latest(ctx context.Context, node string) (Snapshot, error)
}

// errVerify marks artifacts that are there but wrong: refused, reported,
// never applied, and not a reason to fetch again sooner.
var errVerify = errors.New("artifacts do not verify")

// dirSource reads a render directory (a checkout kept by other means, or
// a directory CI copies to the node). Its revision is the manifest's digest.
type dirSource struct{ dir string }

func (s dirSource) Latest(_ context.Context, node string) (Snapshot, error) {
	m, b, err := artifact.ReadManifestBytes(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return Snapshot{}, err
	}
	if err != nil {
		return Snapshot{}, fmt.Errorf("%w: %w", errVerify, err)
	}
	files, err := artifact.ReadNode(s.dir, node)
	if err != nil {
		return Snapshot{}, fmt.Errorf("%w: %w", errVerify, err)
	}
	return Snapshot{Revision: "sha256:" + artifact.Digest(b)[:16], Manifest: m, Files: files}, nil
}

// gitSource fetches a branch, shallow, into memory (no work tree) and reads
// the node's files from the fetched commit. Repository access is
// serialised: go-git does not promise it is safe for concurrent use.
type gitSource struct {
	cfg  GitSource
	auth transport.AuthMethod
	mu   sync.Mutex
	repo *git.Repository
}

func newGitSource(c GitSource) (*gitSource, error) {
	auth, err := gitAuth(c.User, c.TokenFile, c.SSHKeyFile)
	if err != nil {
		return nil, err
	}
	return &gitSource{cfg: c, auth: auth}, nil
}

// gitAuth is a remote's authentication, the HTTPS token read from a file.
func gitAuth(user, tokenFile, sshKeyFile string) (transport.AuthMethod, error) {
	token := ""
	if tokenFile != "" && sshKeyFile == "" {
		b, err := safefile.ReadFile(tokenFile, safefile.Options{Limit: 1 << 20})
		if err != nil {
			return nil, fmt.Errorf("git token: %w", err)
		}
		token = strings.TrimSpace(string(b))
	}
	return gitremote.Auth(user, token, sshKeyFile)
}

func (s *gitSource) Latest(ctx context.Context, node string) (Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.repo == nil {
		r, err := git.Init(memory.NewStorage(), nil)
		if err != nil {
			return Snapshot{}, err
		}
		if _, err := r.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{s.cfg.URL}}); err != nil {
			return Snapshot{}, err
		}
		s.repo = r
	}
	remoteRef := plumbing.NewRemoteReferenceName("origin", s.cfg.Branch)
	err := s.repo.FetchContext(ctx, &git.FetchOptions{RemoteName: "origin", Auth: s.auth, Depth: 1, Tags: git.NoTags,
		RefSpecs: []config.RefSpec{config.RefSpec("+" + plumbing.NewBranchReferenceName(s.cfg.Branch).String() + ":" + remoteRef.String())}})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return Snapshot{}, fmt.Errorf("fetching %s: %w", s.cfg.Branch, err)
	}
	ref, err := s.repo.Reference(remoteRef, true)
	if err != nil {
		return Snapshot{}, fmt.Errorf("fetching %s: %w", s.cfg.Branch, err)
	}
	commit, err := s.repo.CommitObject(ref.Hash())
	if err != nil {
		return Snapshot{}, err
	}
	tree, err := commit.Tree()
	if err != nil {
		return Snapshot{}, err
	}
	prefix := strings.Trim(path.Clean("/"+s.cfg.Path), "/")
	read := func(p string) ([]byte, error) {
		f, err := tree.File(path.Join(prefix, p))
		if err != nil {
			return nil, err
		}
		c, err := f.Contents()
		return []byte(c), err
	}
	mb, err := read(artifact.ManifestFile)
	if err != nil {
		return Snapshot{}, fmt.Errorf("%w: commit %s: %s: %w", errVerify, ref.Hash().String()[:12], artifact.ManifestFile, err)
	}
	m, err := artifact.ParseManifest(mb)
	if err != nil {
		return Snapshot{}, fmt.Errorf("%w: %w", errVerify, err)
	}
	files, err := m.ReadNode(node, func(name string) ([]byte, error) { return read(path.Join(node, name)) }, func() ([]string, error) {
		t, err := tree.Tree(path.Join(prefix, node))
		if err != nil {
			return nil, err
		}
		var names []string
		for _, e := range t.Entries {
			names = append(names, e.Name)
		}
		return names, nil
	})
	if err != nil {
		return Snapshot{}, fmt.Errorf("%w: commit %s: %w", errVerify, ref.Hash().String()[:12], err)
	}
	return Snapshot{Revision: ref.Hash().String(), Manifest: m, Files: files}, nil
}
