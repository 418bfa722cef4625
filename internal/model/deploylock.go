package model

import "time"

// DeployLock is the lock every deploy of the site takes on a Git remote
// that all deploying machines reach (keaops.yaml deploy.lock): a lease
// held as a branch, so two CI runners, or a laptop and CI, never roll out
// at once.
type DeployLock struct {
	// Remote is a Git URL (https://, ssh://, git@host:path) or a path.
	Remote string
	// Branch is the lock's branch; empty means keaops-lock/<pair id>.
	Branch string
	// TTL is how long a lease lasts without renewal: a killed deploy's
	// lock expires this long after it last renewed it.
	TTL time.Duration
	Pos Pos
}
