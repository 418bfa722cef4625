package cli

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keaops/keaops/internal/gitlabtest"
)

// Two pipelines of one merge request: one note, holding the second plan.
func TestGitLabNote(t *testing.T) {
	s := gitlabtest.New("glpat-x")
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	t.Setenv("KEAOPS_GITLAB_TOKEN", "glpat-x")
	plan := filepath.Join(t.TempDir(), "keaops-plan.md")
	args := []string{"gitlab", "note", "--file", plan, "--api-url", srv.URL + "/api/v4", "--project", "net/dhcp", "--mr", "7"}
	for i, want := range []string{"added on !7", "edited on !7"} {
		os.WriteFile(plan, []byte("### keaops plan "+string(rune('1'+i))+"\n"), 0o644)
		if code, out := run(t, args...); code != ExitOK || !strings.Contains(out, want) {
			t.Fatalf("pipeline %d: exit %d\n%s", i+1, code, out)
		}
	}
	if n := s.Notes("net/dhcp", 7); len(n) != 1 || !strings.HasSuffix(n[0].Body, "### keaops plan 2\n") {
		t.Errorf("notes: %+v", n)
	}
	os.WriteFile(plan, nil, 0o644)
	if code, out := run(t, args...); code != ExitProblems || !strings.Contains(out, "is empty: no note written") {
		t.Errorf("an empty plan: exit %d\n%s", code, out)
	}
	t.Setenv("CI_MERGE_REQUEST_IID", "")
	if code, out := run(t, "gitlab", "note", "--file", plan, "--api-url", srv.URL+"/api/v4"); code != ExitProblems || !strings.Contains(out, "no merge request") {
		t.Errorf("outside a merge request: exit %d\n%s", code, out)
	}
}
