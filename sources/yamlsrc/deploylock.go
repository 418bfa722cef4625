package yamlsrc

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/keaops/keaops/internal/model"
)

// deployLock reads deploy.lock. A remote that is neither a URL nor an
// scp-like address is a path, relative to keaops.yaml.
func deployLock(r rec, dir string) *model.DeployLock {
	d := &model.DeployLock{Remote: r.str("remote"), Branch: r.str("branch"), TTL: 10 * time.Minute, Pos: r.keyPos("remote")}
	if t := r.intp("ttl"); t != nil {
		d.TTL = time.Duration(t.Value) * time.Second
	}
	if !strings.Contains(d.Remote, "://") && !strings.Contains(d.Remote, "@") && !filepath.IsAbs(d.Remote) {
		d.Remote = filepath.Join(dir, d.Remote)
	}
	return d
}
