package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/keaops/keaops/internal/artifact"
)

func renderExample(t *testing.T, name string) string {
	t.Helper()
	site := copyExample(t, name)
	out := filepath.Join(t.TempDir(), "rendered")
	var buf bytes.Buffer
	if code := Main(context.Background(), []string{"render", "-s", filepath.Join(site, "keaops.yaml"), "-o", out}, &buf, &buf); code != ExitOK {
		t.Fatalf("render: exit %d\n%s", code, buf.String())
	}
	return out
}

func TestInstallConfig(t *testing.T) {
	t.Setenv("KEA_API_PASSWORD", `pa"ss`)
	install := func(from, node string) (int, string, string) {
		dir := filepath.Join(t.TempDir(), "etc-kea")
		var buf bytes.Buffer
		code := Main(context.Background(), []string{"install-config", "--from", from, "--node", node, "--dir", dir}, &buf, &buf)
		return code, buf.String(), dir
	}

	t.Run("the node's own files, secrets resolved where the render put them", func(t *testing.T) {
		code, out, dir := install(renderExample(t, "homelab"), "kea-primary")
		if code != ExitOK {
			t.Fatalf("exit %d\n%s", code, out)
		}
		// Under the names Debian's units start, never world-readable, in
		// Kea's group (read by the daemon, written by config-write).
		p := filepath.Join(dir, "kea-dhcp4.conf")
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(p)
		if grp, err := user.LookupGroup("_kea"); err == nil {
			if gid := strconv.Itoa(int(st.Sys().(*syscall.Stat_t).Gid)); st.Mode().Perm() != 0o660 || gid != grp.Gid {
				t.Errorf("mode %v, gid %s; want 0660 and _kea (%s)", st.Mode().Perm(), gid, grp.Gid)
			}
		} else if st.Mode().Perm() != 0o600 {
			t.Errorf("no Kea group here: mode %v, want 0600", st.Mode().Perm())
		}
		if _, err := os.Stat(filepath.Join(dir, "kea-ctrl-agent.conf")); err != nil {
			t.Error(err)
		}
		if !bytes.Contains(data, []byte(`"basic-auth-password": "pa\"ss"`)) || bytes.Contains(data, []byte("${keaops-secret:")) {
			t.Errorf("secrets not resolved in place:\n%s", data)
		}
	})

	// Swapping the node directories and their manifest entries keeps every
	// digest right: only the identity check sees the partner's config.
	t.Run("a partner's config in the node's place", func(t *testing.T) {
		r := renderExample(t, "homelab")
		os.Rename(filepath.Join(r, "kea-primary"), filepath.Join(r, "tmp"))
		os.Rename(filepath.Join(r, "kea-secondary"), filepath.Join(r, "kea-primary"))
		os.Rename(filepath.Join(r, "tmp"), filepath.Join(r, "kea-secondary"))
		m, _ := artifact.ReadManifest(r)
		m.Nodes["kea-primary"], m.Nodes["kea-secondary"] = m.Nodes["kea-secondary"], m.Nodes["kea-primary"]
		writeManifest(t, r, m)
		code, out, dir := install(r, "kea-primary")
		if code != ExitProblems || !strings.Contains(out, `the config is kea-secondary's (this-server-name "kea-secondary"), not kea-primary's: refusing to install it`) {
			t.Errorf("exit %d\n%s", code, out)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Error("something was written")
		}
	})

	t.Run("a file linked out of the render", func(t *testing.T) {
		r := renderExample(t, "homelab")
		f := filepath.Join(r, "kea-primary", "kea-ctrl-agent.json")
		outside := filepath.Join(t.TempDir(), "elsewhere.json")
		data, _ := os.ReadFile(f)
		os.WriteFile(outside, data, 0o644) // same bytes: the digest alone would pass it
		os.Remove(f)
		os.Symlink(outside, f)
		code, out, _ := install(r, "kea-primary")
		if code != ExitProblems || !strings.Contains(out, "is a symbolic link: refusing to follow it") {
			t.Errorf("exit %d\n%s", code, out)
		}
	})

	t.Run("a node directory linked out of the render", func(t *testing.T) {
		r := renderExample(t, "homelab")
		elsewhere := filepath.Join(t.TempDir(), "node")
		os.Rename(filepath.Join(r, "kea-primary"), elsewhere)
		os.Symlink(elsewhere, filepath.Join(r, "kea-primary"))
		code, out, _ := install(r, "kea-primary")
		if code != ExitProblems || !strings.Contains(out, "is not a directory of the render (a symbolic link?)") {
			t.Errorf("exit %d\n%s", code, out)
		}
	})

	t.Run("placeholder text the render did not put there", func(t *testing.T) {
		r := renderExample(t, "homelab")
		p := filepath.Join(r, "kea-primary", "kea-dhcp4.json")
		data, _ := os.ReadFile(p)
		data = bytes.Replace(data, []byte(`"valid-lifetime"`), []byte(`"comment": "${keaops-secret:env:KEA_API_PASSWORD}", "valid-lifetime"`), 1)
		os.WriteFile(p, data, 0o644)
		m, _ := artifact.ReadManifest(r)
		f := m.Nodes["kea-primary"].Files["kea-dhcp4.json"]
		f.SHA256, f.Size = artifact.Digest(data), len(data) // a manifest that vouches for it
		m.Nodes["kea-primary"].Files["kea-dhcp4.json"] = f
		writeManifest(t, r, m)
		code, out, _ := install(r, "kea-primary")
		if code != ExitProblems || !strings.Contains(out, "is not one the render put there") {
			t.Errorf("exit %d\n%s", code, out)
		}
	})
}

func writeManifest(t *testing.T, dir string, m artifact.Manifest) {
	t.Helper()
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, artifact.ManifestFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Two deploys of one pair from this machine: the second is refused by the
// per-machine lock (on every platform: gofrs/flock).
func TestMachineLock(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	site, _, err := LoadAndValidate(context.Background(), SiteArgs{Site: filepath.Join(copyExample(t, "homelab"), "keaops.yaml")})
	if err != nil || site == nil {
		t.Fatal(err)
	}
	unlock, err := lockPair(site, ConnArgs{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lockPair(site, ConnArgs{}); err == nil || !strings.Contains(err.Error(), "another keaops deploy to this pair is running on this machine") {
		t.Errorf("second lock: %v", err)
	}
	unlock()
	again, err := lockPair(site, ConnArgs{})
	if err != nil {
		t.Fatalf("after the first was released: %v", err)
	}
	again()
}
