//go:build !unix

package safefile

import (
	"errors"
	"io/fs"
	"os"
)

func open(path string, noFollow bool) (*os.File, error) {
	if noFollow {
		if st, err := os.Lstat(path); err == nil && st.Mode()&fs.ModeSymlink != 0 {
			return nil, &fs.PathError{Op: "open", Path: path, Err: errors.New("is a symbolic link: refusing to follow it")}
		}
	}
	return os.Open(path)
}
