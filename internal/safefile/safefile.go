// Package safefile reads files a user names without trusting them to be
// what they claim. A path may name a FIFO (open(2) blocks until a writer
// comes, and a read never ends), a device such as /dev/zero or
// /dev/urandom (a size of 0, then endless bytes), or a symbolic link out of
// the tree the caller meant. Read opens without blocking, insists on a
// regular file, and stops at a limit on the bytes actually read, not on
// what stat says.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// ErrTooLarge is returned, wrapped, for a file over the limit.
var ErrTooLarge = errors.New("file too large")

// Options of a read.
type Options struct {
	// Limit is the most bytes the file may hold; 0 means no limit.
	Limit int64
	// NoFollow refuses a symbolic link as the last element of the path
	// (artifacts: a link could point out of the render).
	NoFollow bool
}

// ReadFile reads a regular file whole.
func ReadFile(path string, o Options) ([]byte, error) {
	f, err := open(path, o.NoFollow)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("is %s, not a regular file", kind(st.Mode()))}
	}
	var r io.Reader = f
	if o.Limit > 0 {
		if st.Size() > o.Limit {
			return nil, tooLarge(path, st.Size(), o.Limit)
		}
		// The size can grow between stat and read: count what is read.
		r = io.LimitReader(f, o.Limit+1)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if o.Limit > 0 && int64(len(b)) > o.Limit {
		return nil, tooLarge(path, int64(len(b)), o.Limit)
	}
	return b, nil
}

func tooLarge(path string, size, limit int64) error {
	return &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w: over %.1f MiB, the limit is %d MiB", ErrTooLarge, float64(size)/(1<<20), limit>>20)}
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	}
	return "not a regular file"
}
