// Package artifact defines the rendered-artifact directory that keaops
// render writes and keaops deploy and keaops-agent consume:
//
//	DIR/manifest.json
//	DIR/<node>/kea-dhcp4.json
//	DIR/<node>/kea-ctrl-agent.json   (targets with a Control Agent)
//
// The manifest lists every file with its sha256, so a consumer can refuse
// anything that was altered or half-copied. The package has no dependency
// on the compiler side (no CUE, no NetBox), so the agent can link it.
package artifact

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/keaops/keaops/internal/safefile"
)

// ManifestFile is the manifest's name inside an artifact directory.
const ManifestFile = "manifest.json"

// FormatVersion is the manifest format this package writes and reads.
// Format 2 records where each file's secret placeholders sit: format 1
// consumers resolved every placeholder in a file, wherever it came from.
const FormatVersion = 2

// Manifest describes one render.
type Manifest struct {
	Format int `json:"format"`
	// KeaVersion is the target the files were rendered for, "2.2" etc.
	KeaVersion string `json:"kea-version"`
	// Source is the Git revision of the inputs, when they are in a work tree.
	Source *Source `json:"source,omitempty"`
	// Nodes by name.
	Nodes map[string]Node `json:"nodes"`
	// Secrets lists the references that placeholders in the files name;
	// the consumer must be able to resolve each before it applies.
	Secrets []string `json:"secrets,omitempty"`
	// Serial orders publications: keaops publish gives each commit of the
	// branch one more than the commit before (0: not published). An agent
	// fetches one commit, without history; the serial tells it whether a
	// branch reset (a force-push) sent it back to an older render.
	Serial int64 `json:"serial,omitempty"`
}

// Source is the revision of the inputs.
type Source struct {
	Revision string `json:"revision"`
	// Dirty is true when an input file differs from the revision.
	Dirty bool `json:"dirty"`
}

// Node is one node's entry.
type Node struct {
	Role  string          `json:"role,omitempty"`
	Files map[string]File `json:"files"`
}

// File is one rendered file's digest.
type File struct {
	SHA256 string `json:"sha256"`
	Size   int    `json:"size"`
	// Secrets are the placeholders the renderer put into the file, by
	// position: the only ones a consumer resolves.
	Secrets []Secret `json:"secrets,omitempty"`
}

// Secret is one placeholder: the byte offset of the JSON string holding it
// and the reference it names ("env:NAME", "file:/path").
type Secret struct {
	Offset int    `json:"offset"`
	Ref    string `json:"ref"`
}

// Digest returns the hex sha256 of data.
func Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Set is an artifact directory's content before it is written.
type Set struct {
	Manifest Manifest
	// Files by path relative to the directory, "<node>/<file>".
	Files map[string][]byte
}

// Add records a node's file in the set and its manifest, with the secret
// placeholders the renderer put into it.
func (s *Set) Add(node, role, name string, data []byte, secrets []Secret) {
	if s.Files == nil {
		s.Files = map[string][]byte{}
	}
	if s.Manifest.Nodes == nil {
		s.Manifest.Nodes = map[string]Node{}
	}
	n := s.Manifest.Nodes[node]
	if n.Files == nil {
		n.Files = map[string]File{}
	}
	n.Role = role
	n.Files[name] = File{SHA256: Digest(data), Size: len(data), Secrets: secrets}
	s.Manifest.Nodes[node] = n
	s.Files[node+"/"+name] = data
}

// Write replaces dir with the set, atomically as far as the file system
// allows (see WriteDir).
func Write(dir string, s Set) error {
	s.Manifest.Format = FormatVersion
	manifest, err := EncodeManifest(s.Manifest)
	if err != nil {
		return err
	}
	files := make(map[string][]byte, len(s.Files)+1)
	for p, data := range s.Files {
		if p == ManifestFile {
			return fmt.Errorf("artifact path %q is not a file inside the directory", p)
		}
		files[p] = data
	}
	files[ManifestFile] = manifest
	return WriteDir(dir, files, ManifestFile, "a render")
}

// WriteDir replaces dir with files (slash-separated paths inside it):
// everything is written and synced in a sibling temporary directory
// first, then swapped in by rename. A failure at any point leaves dir as
// it was — never a half-written directory. A non-empty dir is replaced
// only when it holds marker, the file that says keaops wrote it; what
// names the output in errors ("a render", "an import").
func WriteDir(dir string, files map[string][]byte, marker, what string) (err error) {
	for p := range files {
		if !filepath.IsLocal(p) {
			return fmt.Errorf("path %q is not a file inside the directory", p)
		}
	}
	// The output is swapped in by renaming a sibling directory: "." and
	// ".." need their real names for that, and "/" has no parent at all.
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("output directory %s: %w", dir, err)
	}
	if filepath.Dir(abs) == abs {
		return fmt.Errorf("refusing to write %s to %s, the root of the file system: name a directory of its own", what, dir)
	}
	dir = abs
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".new-")
	if err != nil {
		return fmt.Errorf("creating staging directory: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		if err := writeSynced(filepath.Join(tmp, filepath.FromSlash(p)), files[p]); err != nil {
			return err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("setting mode of %s: %w", tmp, err)
	}

	old := ""
	if st, statErr := os.Stat(dir); statErr == nil {
		if !st.IsDir() {
			return fmt.Errorf("%s exists and is not a directory", dir)
		}
		if _, mErr := os.Stat(filepath.Join(dir, marker)); mErr != nil {
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				return fmt.Errorf("%s is not empty and holds no %s: refusing to replace a directory keaops did not write", dir, marker)
			}
		}
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("moving the previous output aside: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			if rerr := os.Rename(old, dir); rerr != nil {
				return errors.Join(fmt.Errorf("installing %s: %w", what, err), fmt.Errorf("restoring the previous output from %s: %w", old, rerr))
			}
		}
		return fmt.Errorf("installing %s: %w", what, err)
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return syncDir(parent)
}

func writeSynced(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}

// ReadManifest reads and checks dir's manifest.
func ReadManifest(dir string) (Manifest, error) {
	m, _, err := ReadManifestBytes(dir)
	return m, err
}

// ReadManifestBytes is ReadManifest that also returns the manifest's bytes.
func ReadManifestBytes(dir string) (Manifest, []byte, error) {
	b, err := readArtifact(filepath.Join(dir, ManifestFile))
	if err != nil {
		return Manifest{}, nil, fmt.Errorf("reading manifest: %w", err)
	}
	m, err := ParseManifest(b)
	if err != nil {
		return m, nil, fmt.Errorf("%s: %w", dir, err)
	}
	return m, b, nil
}

// MaxFileSize bounds each artifact file: a render of 100,000 reservations
// is about 12 MiB.
const MaxFileSize = 256 << 20

// readArtifact reads a file of a render directory: a regular file, never
// through a symbolic link (one could point out of the render, at a file
// the manifest's digest then vouches for), within MaxFileSize.
func readArtifact(path string) ([]byte, error) {
	return safefile.ReadFile(path, safefile.Options{Limit: MaxFileSize, NoFollow: true})
}

// ReadNode returns one node's files from dir after checking each against
// the manifest's digest; any mismatch, missing, unlisted or linked file is
// an error.
func ReadNode(dir, node string) (map[string][]byte, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	if st, err := os.Lstat(filepath.Join(dir, node)); err != nil {
		return nil, fmt.Errorf("reading node %s: %w", node, err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory of the render (a symbolic link?): refusing to read it", filepath.Join(dir, node))
	}
	return m.ReadNode(node, func(name string) ([]byte, error) { return readArtifact(filepath.Join(dir, node, name)) },
		func() ([]string, error) {
			entries, err := os.ReadDir(filepath.Join(dir, node))
			names := make([]string, len(entries))
			for i, e := range entries {
				names[i] = e.Name()
			}
			return names, err
		})
}

// ReadNode reads a node's files through read and checks each against the
// manifest; list, when not nil, names the files present, and any the
// manifest does not list is an error. The agent reads from a Git commit
// this way, without a work tree.
func (m Manifest) ReadNode(node string, read func(name string) ([]byte, error), list func() ([]string, error)) (map[string][]byte, error) {
	entry, ok := m.Nodes[node]
	if !ok {
		return nil, fmt.Errorf("the manifest has no node %q", node)
	}
	out := make(map[string][]byte, len(entry.Files))
	for name, want := range entry.Files {
		if strings.ContainsAny(name, `/\`) || name == ".." || name == "." {
			return nil, fmt.Errorf("manifest file name %q is not a plain name", name)
		}
		if want.SHA256 == "" {
			return nil, fmt.Errorf("%s/%s: the manifest has no digest for it", node, name)
		}
		data, err := read(name)
		if err != nil {
			return nil, fmt.Errorf("reading %s/%s: %w", node, name, err)
		}
		if got := Digest(data); got != want.SHA256 || len(data) != want.Size {
			return nil, fmt.Errorf("%s/%s: sha256 %s does not match the manifest's %s", node, name, got, want.SHA256)
		}
		out[name] = data
	}
	if list != nil {
		names, err := list()
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", node, err)
		}
		for _, n := range names {
			if _, ok := entry.Files[n]; !ok {
				return nil, fmt.Errorf("%s/%s is not in the manifest", node, n)
			}
		}
	}
	return out, nil
}

// EncodeManifest is the manifest file's content: the same manifest always
// encodes to the same bytes.
func EncodeManifest(m Manifest) ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// ParseManifest decodes and checks a manifest.
func ParseManifest(b []byte) (Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("decoding the manifest: %w", err)
	}
	if m.Format != FormatVersion {
		return m, fmt.Errorf("manifest format %d, this keaops reads %d: render it again with this keaops", m.Format, FormatVersion)
	}
	return m, nil
}

// WriteFileAtomic replaces path with data: a temporary file in the same
// directory, synced, renamed over the old one, the directory synced. A
// reader (Kea restarting, say) sees the old file or the new one, never a
// part of either.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	return WriteFileAtomicAs(path, data, Owner{Mode: mode, GID: -1})
}

// Owner is who a written file belongs to.
type Owner struct {
	// Mode of the file.
	Mode os.FileMode
	// GID is the file's group; -1 leaves the writer's.
	GID int
	// Keep: a file being replaced keeps its owner, group and mode, and
	// Mode and GID apply only to a new file. A config file Kea's service
	// user reads (and config-write writes) must stay that way.
	Keep bool
}

// WriteFileAtomicAs is WriteFileAtomic with the file's group and mode.
func WriteFileAtomicAs(path string, data []byte, o Owner) error {
	dir := filepath.Dir(path)
	uid := -1
	if o.Keep {
		if st, err := os.Stat(path); err == nil {
			o.Mode = st.Mode().Perm()
			uid, o.GID = fileOwner(st)
		}
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".new-")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	// The mode before the owner: once the file is root's, only its owner
	// (or CAP_FOWNER) may change the mode, and keaops-agent's unit grants
	// CAP_CHOWN alone.
	if err := f.Chmod(o.Mode); err != nil {
		return fail(err)
	}
	if uid >= 0 || o.GID >= 0 {
		if err := f.Chown(uid, o.GID); err != nil {
			return fail(err)
		}
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return syncDir(dir)
}
