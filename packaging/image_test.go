package packaging

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestImage unpacks the release build's container image (make image) as a
// runtime would and runs a merge request's jobs in it, as its user: the
// shell GitLab runs a script with, keaops check and the plan against the
// merge base — which keaops reads from Git itself, so the image needs no
// git. No container runtime runs here; chroot is what it would do.
func TestImage(t *testing.T) {
	archive := artifact(t, "keaops-image_*_linux_amd64.tar")
	root := filepath.Join(t.TempDir(), "rootfs")
	cfg := unpackOCI(t, archive, root)
	t.Logf("%s: %s", filepath.Base(archive), size(t, archive))

	if cfg.User != "65532:65532" {
		t.Errorf("the image runs as %q, want 65532:65532 (not root)", cfg.User)
	}
	if len(cfg.Entrypoint) != 0 {
		t.Errorf("entrypoint %q: GitLab runs jobs through the image's shell, which an entrypoint replaces", cfg.Entrypoint)
	}
	if !slices.Contains(cfg.Env, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt") {
		t.Errorf("env %q: https to NetBox or GitLab needs the CA bundle", cfg.Env)
	}

	// A site repository with a merge request on a branch whose target
	// moved on; the runner's checkout is the work directory.
	site := filepath.Join(root, "builds", "site")
	gitRepo(t, site)
	if out, err := exec.Command("chown", "-R", "65532:65532", site).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	script := `set -e
id -u
keaops --version
keaops check --site keaops.yaml
keaops diff --site keaops.yaml --against "main..." --format markdown`
	cmd := exec.Command("chroot", "--userspec="+cfg.User, root, "/bin/sh", "-c", "cd /builds/site && "+script)
	cmd.Env = cfg.Env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the job's script in the image: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{"65532\n", "keaops version ", "keaops.yaml: ok", "reservation printer-6", "### keaops plan: 1 change on 1 of 1 node"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in:\n%s", want, text)
		}
	}
	if strings.Contains(text, "printer-5") {
		t.Errorf("the plan shows a change merged into main since, not the merge request's alone:\n%s", text)
	}
}

// imageConfig is the part of an OCI image config a runtime acts on.
type imageConfig struct {
	User       string   `json:"User"`
	Env        []string `json:"Env"`
	Entrypoint []string `json:"Entrypoint"`
	Cmd        []string `json:"Cmd"`
	WorkingDir string   `json:"WorkingDir"`
}

// unpackOCI extracts an OCI archive's single image into root and returns
// its config.
func unpackOCI(t *testing.T, archive, root string) imageConfig {
	t.Helper()
	blobs := t.TempDir()
	if out, err := exec.Command("tar", "-xf", archive, "-C", blobs).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	read := func(v any, path ...string) {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(append([]string{blobs}, path...)...))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	type desc struct {
		MediaType string `json:"mediaType"`
		Digest    string `json:"digest"`
	}
	blob := func(d desc) string {
		return filepath.Join("blobs", strings.Replace(d.Digest, ":", string(filepath.Separator), 1))
	}
	var index struct{ Manifests []desc }
	read(&index, "index.json")
	if len(index.Manifests) != 1 {
		t.Fatalf("%d images in %s", len(index.Manifests), archive)
	}
	var manifest struct {
		Config desc
		Layers []desc
	}
	read(&manifest, blob(index.Manifests[0]))
	var config struct{ Config imageConfig }
	read(&config, blob(manifest.Config))
	for _, l := range manifest.Layers {
		if err := untar(filepath.Join(blobs, blob(l)), root); err != nil {
			t.Fatalf("layer %s: %v", l.Digest, err)
		}
	}
	return config.Config
}

// untar extracts one gzipped layer, with owners and modes.
func untar(path, root string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(z)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Join(root, filepath.Clean("/"+h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(name, 0o755)
		case tar.TypeSymlink:
			err = os.Symlink(h.Linkname, name)
		case tar.TypeReg:
			var out *os.File
			if out, err = os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600); err == nil {
				_, err = io.Copy(out, tr)
				out.Close()
			}
		default:
			return fmt.Errorf("%s: entry type %c", h.Name, h.Typeflag)
		}
		if err != nil {
			return err
		}
		if err := os.Lchown(name, h.Uid, h.Gid); err != nil {
			return err
		}
		if h.Typeflag != tar.TypeSymlink {
			if err := os.Chmod(name, os.FileMode(h.Mode)&os.ModePerm|modeBits(h.Mode)); err != nil {
				return err
			}
		}
	}
}

func modeBits(m int64) os.FileMode {
	var out os.FileMode
	if m&0o1000 != 0 {
		out |= os.ModeSticky
	}
	return out
}

// gitRepo makes a site repository: main with the homelab example and one
// more reservation merged after the merge request branched off, and the
// merge request's branch, checked out, adding another.
func gitRepo(t *testing.T, dir string) {
	t.Helper()
	g := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=ci", "-c", "user.email=ci@example.org"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"keaops.yaml", "subnets.yaml", "reservations.yaml"} {
		copyFile(t, filepath.Join("..", "examples", "homelab", f), filepath.Join(dir, f))
	}
	g("init", "-q", "-b", "main")
	g("add", ".")
	g("commit", "-qm", "homelab")
	g("checkout", "-q", "-b", "mr")
	appendFile(t, filepath.Join(dir, "reservations.yaml"), "  - {hostname: printer-6, hw-address: \"02:42:ac:11:00:0a\", ip-address: 10.30.30.60}\n")
	g("commit", "-qam", "printer-6")
	g("checkout", "-q", "main")
	appendFile(t, filepath.Join(dir, "reservations.yaml"), "  - {hostname: printer-5, hw-address: \"02:42:ac:11:00:09\", ip-address: 10.30.30.59}\n")
	g("commit", "-qam", "printer-5, merged meanwhile")
	g("checkout", "-q", "mr")
}

func size(t *testing.T, path string) string {
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%.1f MB", float64(st.Size())/(1<<20))
}
