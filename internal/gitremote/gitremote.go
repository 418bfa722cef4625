// Package gitremote holds what every keaops program that talks to a Git
// remote through go-git needs alike: the credentials a remote takes, the
// remote's name as it may be shown, and what a missing branch looks like.
// publish, the deploy lock and keaops-agent use it.
package gitremote

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
)

// Auth is the transport authentication for a remote: an SSH key file, an
// HTTPS token or password, or none (a path, a public remote).
func Auth(user, password, sshKeyFile string) (transport.AuthMethod, error) {
	switch {
	case sshKeyFile != "":
		if user == "" {
			user = "git"
		}
		a, err := gitssh.NewPublicKeysFromFile(user, sshKeyFile, "")
		if err != nil {
			return nil, fmt.Errorf("git ssh key: %w", err)
		}
		return a, nil
	case password != "":
		if user == "" {
			user = "keaops" // GitLab and GitHub take any user with a token
		}
		return &githttp.BasicAuth{Username: user, Password: password}, nil
	}
	return nil, nil
}

// MissingRef reports whether a fetch failed because the branch (or the
// whole repository) has no commits yet.
func MissingRef(err error) bool {
	return errors.Is(err, git.NoMatchingRefSpecError{}) || strings.Contains(err.Error(), "couldn't find remote ref") ||
		errors.Is(err, transport.ErrEmptyRemoteRepository)
}

// Redact hides credentials written into a remote URL.
func Redact(remote string) string {
	if i := strings.Index(remote, "@"); i > 0 && strings.Contains(remote[:i], "://") {
		return remote[:strings.Index(remote, "://")+3] + "xxxxx" + remote[i:]
	}
	return remote
}
