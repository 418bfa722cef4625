package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "a.yaml")
	os.WriteFile(regular, []byte("hello"), 0o644)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	os.Symlink(regular, link)
	big := filepath.Join(dir, "big")
	os.WriteFile(big, make([]byte, 2<<20), 0o644)
	for _, tc := range []struct {
		name, path string
		o          Options
		want       string // error text, "" for success
	}{
		{"regular", regular, Options{Limit: 10}, ""},
		{"a link is followed by default", link, Options{}, ""},
		{"a link is refused with NoFollow", link, Options{NoFollow: true}, "is a symbolic link"},
		{"FIFO, without blocking", fifo, Options{}, "is a FIFO, not a regular file"},
		{"/dev/zero is not read at all", "/dev/zero", Options{Limit: 1 << 20}, "is a character device"},
		{"/dev/urandom", "/dev/urandom", Options{}, "is a character device"},
		{"directory", dir, Options{}, "is a directory"},
		{"over the limit", big, Options{Limit: 1 << 20}, "file too large"},
		{"missing", filepath.Join(dir, "nope"), Options{}, "no such file"},
	} {
		done := make(chan error, 1)
		go func() { _, err := ReadFile(tc.path, tc.o); done <- err }()
		select {
		case err := <-done:
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
			}
			if tc.want == "file too large" && !errors.Is(err, ErrTooLarge) {
				t.Errorf("%s: %v is not ErrTooLarge", tc.name, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: ReadFile(%s) blocked", tc.name, tc.path)
		}
	}
}
