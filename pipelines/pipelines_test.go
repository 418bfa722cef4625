// Package pipelines holds the CI templates (GitLab, GitHub, Jenkins) and
// the tests that hold them to the release they ship with; make
// test-pipelines runs the GitLab one for real.
package pipelines

import (
	"os"
	"regexp"
	"testing"
)

// The templates pin the keaops they run, and it is the release being
// made: the newest version CHANGELOG.md names.
func TestTemplatesPinTheRelease(t *testing.T) {
	changelog, err := os.ReadFile("../CHANGELOG.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^## (\d+\.\d+\.\d+)\b`).FindSubmatch(changelog)
	if m == nil {
		t.Fatal("CHANGELOG.md names no release (## X.Y.Z)")
	}
	release := string(m[1])
	for file, pin := range map[string]*regexp.Regexp{
		"gitlab/keaops.gitlab-ci.yml": regexp.MustCompile(`(?m)^\s+KEAOPS_IMAGE: "[^":]+:([^"]+)"`),
		"github/keaops.yml":           regexp.MustCompile(`(?m)^\s+KEAOPS_VERSION: "([^"]+)"`),
	} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		got := pin.FindSubmatch(b)
		if got == nil {
			t.Errorf("%s pins no keaops version", file)
			continue
		}
		if string(got[1]) != release {
			t.Errorf("%s pins keaops %s; the release is %s (CHANGELOG.md)", file, got[1], release)
		}
	}
}
