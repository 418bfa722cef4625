package publish

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keaops/keaops/internal/artifact"
)

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func render(t *testing.T, dir, content, source string) {
	t.Helper()
	var s artifact.Set
	s.Manifest.KeaVersion = "2.2"
	s.Manifest.Source = &artifact.Source{Revision: source}
	s.Add("kea-primary", "primary", "kea-dhcp4.json", []byte(content), nil)
	s.Add("kea-secondary", "standby", "kea-dhcp4.json", []byte(content), nil)
	if err := artifact.Write(dir, s); err != nil {
		t.Fatal(err)
	}
}

func TestPublish(t *testing.T) {
	root := t.TempDir()
	remote := filepath.Join(root, "rendered.git")
	if out, err := exec.Command("git", "init", "-q", "--bare", remote).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	dir := filepath.Join(root, "out")
	ctx := context.Background()
	o := Options{Remote: remote, Branch: "keaops-rendered", Path: "sites/home"}

	render(t, dir, `{"Dhcp4": {}}`, "1111111111111111111111111111111111111111")
	first, err := Publish(ctx, dir, o)
	if err != nil || !first.Changed {
		t.Fatalf("first publish: %+v %v", first, err)
	}
	if got := gitOut(t, remote, "rev-parse", "keaops-rendered"); got != first.Commit {
		t.Errorf("branch at %s, want %s", got, first.Commit)
	}
	if got := gitOut(t, remote, "show", "keaops-rendered:sites/home/kea-primary/kea-dhcp4.json"); got != `{"Dhcp4": {}}` {
		t.Errorf("published file = %q", got)
	}
	if msg := gitOut(t, remote, "log", "-1", "--format=%B", "keaops-rendered"); !strings.Contains(msg, "keaops render of 111111111111 for Kea 2.2") {
		t.Errorf("message = %q", msg)
	}

	again, err := Publish(ctx, dir, o)
	if err != nil || again.Changed || again.Commit != first.Commit {
		t.Fatalf("unchanged render: %+v %v", again, err)
	}

	render(t, dir, `{"Dhcp4": {"valid-lifetime": 600}}`, "2222222222222222222222222222222222222222")
	second, err := Publish(ctx, dir, o)
	if err != nil || !second.Changed {
		t.Fatalf("second publish: %+v %v", second, err)
	}
	if parent := gitOut(t, remote, "rev-parse", "keaops-rendered^"); parent != first.Commit {
		t.Errorf("second commit's parent %s, want %s (no force-push)", parent, first.Commit)
	}
	if n := gitOut(t, remote, "rev-list", "--count", "keaops-rendered"); n != "2" {
		t.Errorf("%s commits, want 2", n)
	}
	// Each commit's manifest has a serial above the one before, and one
	// publish after a reset to an old commit is again above every earlier
	// one (agents refuse to go back by it).
	serial := func(rev string) int64 {
		m, err := artifact.ParseManifest([]byte(gitOut(t, remote, "show", rev+":sites/home/manifest.json")))
		if err != nil {
			t.Fatal(err)
		}
		return m.Serial
	}
	s1, s2 := serial(first.Commit), serial(second.Commit)
	if s1 < time.Now().Add(-time.Hour).UnixMilli() || s2 <= s1 {
		t.Errorf("serials %d then %d", s1, s2)
	}
	gitOut(t, remote, "update-ref", "refs/heads/keaops-rendered", first.Commit)
	render(t, dir, `{"Dhcp4": {"valid-lifetime": 900}}`, "3333333333333333333333333333333333333333")
	third, err := Publish(ctx, dir, o)
	if err != nil || serial(third.Commit) <= s2 {
		t.Errorf("after a reset: %v, serial %d, before it %d", err, serial(third.Commit), s2)
	}

	// A render that no longer matches its manifest is not published.
	os.WriteFile(filepath.Join(dir, "kea-primary", "kea-dhcp4.json"), []byte("tampered"), 0o644)
	if _, err := Publish(ctx, dir, o); err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Errorf("tampered render: %v", err)
	}
	if _, err := Publish(ctx, filepath.Join(root, "nope"), o); err == nil {
		t.Error("a missing render was published")
	}
}
