//go:build unix

package artifact

import (
	"os"
	"syscall"
)

// fileOwner is a file's owner and group (-1, -1 when unknown).
func fileOwner(st os.FileInfo) (uid, gid int) {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return int(s.Uid), int(s.Gid)
	}
	return -1, -1
}
