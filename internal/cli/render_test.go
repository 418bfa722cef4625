package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keaops/keaops/internal/artifact"
)

func copyExample(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"keaops.yaml", "subnets.yaml", "reservations.yaml"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "examples", name, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRenderWritesVerifiableArtifacts(t *testing.T) {
	site := copyExample(t, "homelab")
	out := filepath.Join(t.TempDir(), "rendered")
	t.Setenv("KEA_API_PASSWORD", "must-never-appear")
	var buf bytes.Buffer
	if code := Main(context.Background(), []string{"render", "-s", filepath.Join(site, "keaops.yaml"), "-o", out}, &buf, &buf); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, buf.String())
	}
	if !strings.Contains(buf.String(), "rendered 2 nodes (4 files) for Kea 2.2 to "+out+", not in a Git work tree") {
		t.Errorf("summary:\n%s", buf.String())
	}
	m, err := artifact.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.KeaVersion != "2.2" || m.Nodes["kea-primary"].Role != "primary" || m.Nodes["kea-secondary"].Role != "standby" || strings.Join(m.Secrets, ",") != "env:KEA_API_PASSWORD" {
		t.Errorf("manifest = %+v", m)
	}
	for node := range m.Nodes {
		files, err := artifact.ReadNode(out, node)
		if err != nil {
			t.Fatal(err)
		}
		for name, data := range files {
			if bytes.Contains(data, []byte("must-never-appear")) {
				t.Errorf("%s/%s contains the secret's value", node, name)
			}
		}
		if !bytes.Contains(files["kea-dhcp4.json"], []byte(`"this-server-name": "`+node+`"`)) {
			t.Errorf("%s: this-server-name is not the node's own name", node)
		}
	}
}

func TestRenderWithErrorsWritesNothing(t *testing.T) {
	site := copyExample(t, "homelab")
	out := filepath.Join(t.TempDir(), "rendered")
	var buf bytes.Buffer
	if code := Main(context.Background(), []string{"render", "-s", filepath.Join(site, "keaops.yaml"), "-o", out}, &buf, &buf); code != ExitOK {
		t.Fatalf("first render: exit %d\n%s", code, buf.String())
	}
	before, _ := os.ReadFile(filepath.Join(out, "manifest.json"))

	// A duplicate IP: the incident keaops exists to prevent.
	f, _ := os.OpenFile(filepath.Join(site, "reservations.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("  - {hostname: intruder, hw-address: \"02:00:00:00:99:99\", ip-address: 10.30.30.57}\n")
	f.Close()
	buf.Reset()
	if code := Main(context.Background(), []string{"render", "-s", filepath.Join(site, "keaops.yaml"), "-o", out}, &buf, &buf); code != ExitProblems {
		t.Fatalf("render with a duplicate IP: exit %d\n%s", code, buf.String())
	}
	if !strings.Contains(buf.String(), "ip-address 10.30.30.57 is already reserved for printer-3") || !strings.Contains(buf.String(), "nothing written to "+out) {
		t.Errorf("output:\n%s", buf.String())
	}
	after, _ := os.ReadFile(filepath.Join(out, "manifest.json"))
	if !bytes.Equal(before, after) {
		t.Error("a failed render changed the previous artifacts")
	}
	if _, err := artifact.ReadNode(out, "kea-primary"); err != nil {
		t.Errorf("previous render no longer verifies: %v", err)
	}
}

func TestRenderRecordsGitRevision(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git not found")
	}
	site := copyExample(t, "homelab")
	git := gitIn(t, site)
	git("init", "-q")
	git("add", ".")
	git("commit", "-qm", "site")
	rev, _ := exec.Command("git", "-C", site, "rev-parse", "HEAD").Output()
	out := filepath.Join(site, "rendered") // inside the work tree: must not make it dirty
	var buf bytes.Buffer
	for _, wantDirty := range []bool{false, true} {
		if wantDirty {
			os.WriteFile(filepath.Join(site, "subnets.yaml"), append(mustRead(t, filepath.Join(site, "subnets.yaml")), "# edited\n"...), 0o644)
		}
		if code := Main(context.Background(), []string{"render", "-s", filepath.Join(site, "keaops.yaml"), "-o", out}, &buf, &buf); code != ExitOK {
			t.Fatalf("exit %d\n%s", code, buf.String())
		}
		m, err := artifact.ReadManifest(out)
		if err != nil {
			t.Fatal(err)
		}
		if m.Source == nil || m.Source.Revision != strings.TrimSpace(string(rev)) || m.Source.Dirty != wantDirty {
			t.Errorf("source = %+v, want revision %s dirty %v", m.Source, rev, wantDirty)
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
