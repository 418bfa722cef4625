package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSiteArgument: --site takes the site file or its directory,
// KEAOPS_SITE is the default, and the wrong file or version is one error
// saying what is wrong.
func TestSiteArgument(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "homelab")
	if err := os.CopyFS(dir, os.DirFS("../../examples/homelab")); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad")
	os.CopyFS(bad, os.DirFS("../../examples/homelab"))
	site, _ := os.ReadFile(filepath.Join(bad, "keaops.yaml"))
	os.WriteFile(filepath.Join(bad, "keaops.yaml"), []byte(strings.Replace(string(site), `kea-version: "2.2"`, `kea-version: "2.8"`, 1)), 0o644)
	for _, tc := range []struct {
		name, env string
		args      []string
		code      int
		want      []string
	}{
		{name: "a directory", args: []string{"check", "--site", dir}, want: []string{"keaops.yaml: ok: 0 errors"}},
		{name: "KEAOPS_SITE", env: dir, args: []string{"check"}, want: []string{"keaops.yaml: ok: 0 errors"}},
		{name: "--site over KEAOPS_SITE", env: bad, args: []string{"check", "-s", filepath.Join(dir, "keaops.yaml")}, want: []string{"ok: 0 errors"}},
		{name: "a subnets file", args: []string{"check", "--site", filepath.Join(dir, "subnets.yaml")}, code: ExitProblems,
			want: []string{"subnets.yaml:1:1: error: subnets.yaml is a subnets file, not a site file: name the keaops.yaml that lists it under sources", "FAILED: 1 error,"}},
		{name: "a version keaops does not render", args: []string{"check", "--site", bad}, code: ExitProblems,
			want: []string{`keaops.yaml:2:14: error: kea-version: invalid value "2.8"`, "FAILED: 1 error,"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("KEAOPS_SITE", tc.env)
			code, out := run(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d:\n%s", code, tc.code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("no %q in:\n%s", w, out)
				}
			}
		})
	}
}

// TestCompletion: the shell completes --format with the command's
// formats, --endpoint with the site's nodes, --node with the render's.
func TestCompletion(t *testing.T) {
	render := filepath.Join(t.TempDir(), "rendered")
	if code, out := run(t, "render", "-s", "../../examples/homelab", "-o", render); code != ExitOK {
		t.Fatalf("render: %s", out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"__complete", "diff", "--format", ""}, "text\nmarkdown\njson\n:4\n"},
		{[]string{"__complete", "status", "-s", "../../examples/homelab", "--endpoint", ""}, "kea-primary=\nkea-secondary=\n:6\n"},
		{[]string{"__complete", "install-config", "--from", render, "--node", ""}, "kea-primary\nkea-secondary\n:4\n"},
		{[]string{"__complete", "subnet", "show", "-s", "../../examples/homelab", ""}, "Core\nNetwork\nIoT\nBackend\nHASS\n:4\n"},
		{[]string{"__complete", "reservation", "rm", "-s", "../../examples/homelab", ""}, "nas\nproxmox-1\n"},
		{[]string{"__complete", "leases", "--state", ""}, "assigned\nexpired\ndeclined\nexpired-reclaimed\nreleased\n:4\n"},
	} {
		_, out := run(t, tc.args...)
		if !strings.HasPrefix(out, tc.want) {
			t.Errorf("%v:\n%s\nwant:\n%s", tc.args, out, tc.want)
		}
	}
}
