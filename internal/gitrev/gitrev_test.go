package gitrev

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func gitCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestAtAndDescribe(t *testing.T) {
	repo := t.TempDir()
	site := filepath.Join(repo, "sites", "home")
	os.MkdirAll(site, 0o755)
	os.WriteFile(filepath.Join(site, "keaops.yaml"), []byte("v1\n"), 0o644)
	gitCmd(t, repo, "init", "-q")
	gitCmd(t, repo, "add", ".")
	gitCmd(t, repo, "commit", "-qm", "one")
	first := gitCmd(t, repo, "rev-parse", "HEAD")
	os.WriteFile(filepath.Join(site, "keaops.yaml"), []byte("v2\n"), 0o644)
	os.WriteFile(filepath.Join(site, "subnets.yaml"), []byte("new\n"), 0o644)
	gitCmd(t, repo, "add", ".")
	gitCmd(t, repo, "commit", "-qm", "two")

	f, err := At(filepath.Join(site, "keaops.yaml"), "HEAD~1")
	if err != nil {
		t.Fatal(err)
	}
	if f.Revision() != first {
		t.Errorf("revision %s, want %s", f.Revision(), first)
	}
	if b, err := f.ReadFile(filepath.Join(site, "keaops.yaml")); err != nil || string(b) != "v1\n" {
		t.Errorf("ReadFile at HEAD~1 = %q, %v", b, err)
	}
	if _, err := f.Stat(filepath.Join(site, "subnets.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a file added later: %v, want ErrNotExist", err)
	}
	if st, err := f.Stat(site); err != nil || !st.IsDir() {
		t.Errorf("Stat of a directory: %v %v", st, err)
	}
	if _, err := f.ReadFile("/etc/passwd"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a path outside the repository: %v", err)
	}
	if _, err := At(site, "no-such-branch"); err == nil {
		t.Error("an unknown revision resolved")
	}

	inputs := []string{filepath.Join(site, "keaops.yaml"), filepath.Join(site, "subnets.yaml")}
	rev, dirty, ok := Describe(inputs)
	if !ok || dirty || rev != gitCmd(t, repo, "rev-parse", "HEAD") {
		t.Errorf("clean: %s %v %v", rev, dirty, ok)
	}
	os.WriteFile(filepath.Join(repo, "unrelated.txt"), []byte("x"), 0o644)
	if _, dirty, _ := Describe(inputs); dirty {
		t.Error("an unrelated untracked file made the inputs dirty")
	}
	os.WriteFile(filepath.Join(site, "subnets.yaml"), []byte("edited\n"), 0o644)
	if _, dirty, _ := Describe(inputs); !dirty {
		t.Error("an edited input is not dirty")
	}
	if _, _, ok := Describe([]string{filepath.Join(t.TempDir(), "x.yaml")}); ok {
		t.Error("outside a work tree reported ok")
	}
}

// "main..." is the merge base of main and HEAD, as in git diff main...:
// a merge request's base once main moved on.
func TestAtMergeBase(t *testing.T) {
	repo := t.TempDir()
	f := filepath.Join(repo, "keaops.yaml")
	os.WriteFile(f, []byte("base\n"), 0o644)
	gitCmd(t, repo, "init", "-q", "-b", "main")
	gitCmd(t, repo, "add", ".")
	gitCmd(t, repo, "commit", "-qm", "base")
	base := gitCmd(t, repo, "rev-parse", "HEAD")
	gitCmd(t, repo, "checkout", "-q", "-b", "mr")
	os.WriteFile(f, []byte("mr\n"), 0o644)
	gitCmd(t, repo, "commit", "-qam", "mr")
	gitCmd(t, repo, "checkout", "-q", "main")
	os.WriteFile(f, []byte("main moved on\n"), 0o644)
	gitCmd(t, repo, "commit", "-qam", "later")
	gitCmd(t, repo, "checkout", "-q", "mr")

	for rev, want := range map[string]string{"main...": base, "main": gitCmd(t, repo, "rev-parse", "main"), base + "...": base} {
		got, err := At(f, rev)
		if err != nil || got.Revision() != want {
			t.Errorf("At(%q) = %v, %v; want %s", rev, got, err, want)
		}
	}
	gitCmd(t, repo, "checkout", "-q", "--orphan", "unrelated")
	gitCmd(t, repo, "commit", "-qam", "no history in common")
	for rev, want := range map[string]string{"main...": "have no common ancestor", "...": "name the branch before the dots", "nope...": "resolving nope"} {
		if _, err := At(f, rev); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("At(%q): %v, want %q", rev, err, want)
		}
	}
}
