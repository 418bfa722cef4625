package artifact

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func set(content string) Set {
	var s Set
	s.Manifest.KeaVersion = "2.2"
	s.Add("kea1", "primary", "kea-dhcp4.json", []byte(content), nil)
	s.Add("kea2", "standby", "kea-dhcp4.json", []byte(content+"2"), nil)
	return s
}

func TestWriteReadVerify(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rendered")
	if err := Write(dir, set("{}")); err != nil {
		t.Fatal(err)
	}
	files, err := ReadNode(dir, "kea1")
	if err != nil || string(files["kea-dhcp4.json"]) != "{}" {
		t.Fatalf("ReadNode = %v, %v", files, err)
	}
	// Replacing an earlier render swaps the whole directory.
	if err := Write(dir, set("{\"a\":1}")); err != nil {
		t.Fatal(err)
	}
	if files, err := ReadNode(dir, "kea2"); err != nil || string(files["kea-dhcp4.json"]) != "{\"a\":1}2" {
		t.Fatalf("after rewrite: %q, %v", files["kea-dhcp4.json"], err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), ".rendered.*"))
	if len(leftovers) != 0 {
		t.Errorf("staging directories left behind: %v", leftovers)
	}

	// Tampering is refused: a changed byte, an extra file, a missing file.
	os.WriteFile(filepath.Join(dir, "kea1", "kea-dhcp4.json"), []byte(`{"a":2}`), 0o644)
	if _, err := ReadNode(dir, "kea1"); err == nil || !strings.Contains(err.Error(), "does not match the manifest") {
		t.Errorf("tampered file: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "kea2", "extra.json"), []byte(`{}`), 0o644)
	if _, err := ReadNode(dir, "kea2"); err == nil || !strings.Contains(err.Error(), "not in the manifest") {
		t.Errorf("extra file: %v", err)
	}
	if _, err := ReadNode(dir, "kea3"); err == nil {
		t.Error("unknown node accepted")
	}
}

func TestWriteRefusesForeignDirectory(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "precious.txt"), []byte("keep me"), 0o644)
	err := Write(dir, set("{}"))
	if err == nil || !strings.Contains(err.Error(), "refusing to replace") {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "precious.txt")); string(b) != "keep me" {
		t.Error("foreign directory was touched")
	}
}

func TestWriteFailureLeavesPreviousRender(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := Write(dir, set("{}")); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{
		"escaping path":            "../escape",
		"file where a dir must be": "kea1",
	} {
		bad := set("{}")
		bad.Files[path] = []byte("x")
		if err := Write(dir, bad); err == nil {
			t.Fatalf("%s: write succeeded", name)
		}
		if _, err := ReadNode(dir, "kea1"); err != nil {
			t.Errorf("%s: previous render damaged: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "escape")); err == nil {
		t.Error("a file was written outside the artifact directory")
	}
}

func TestWriteRefusesTheRoot(t *testing.T) {
	if err := Write("/", set("{}")); err == nil || !strings.Contains(err.Error(), "refusing to write a render to /, the root of the file system") {
		t.Errorf("Write(/) = %v", err)
	}
	// "." is a directory like any other, by its real name.
	dir := t.TempDir()
	t.Chdir(dir)
	if err := Write(".", set("{}")); err != nil {
		t.Fatalf("Write(.) into an empty directory: %v", err)
	}
	if _, err := ReadManifest(dir); err != nil {
		t.Error(err)
	}
}

// A config file the agent replaces keeps its group and mode: Kea's
// service user reads it (and config-write writes it) through them.
func TestWriteFileAtomicKeepsOwner(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("changing a file's group needs root")
	}
	p := filepath.Join(t.TempDir(), "kea-dhcp4.conf")
	os.WriteFile(p, []byte("old"), 0o600)
	os.Chown(p, 0, 4242)
	os.Chmod(p, 0o660)
	if err := WriteFileAtomicAs(p, []byte("new"), Owner{Mode: 0o640, GID: -1, Keep: true}); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if uid, gid := fileOwner(st); st.Mode().Perm() != 0o660 || gid != 4242 || uid != 0 {
		t.Errorf("after the write: %v %d:%d; want 0660 0:4242", st.Mode().Perm(), uid, gid)
	}
	// A new file takes the given mode and group.
	q := filepath.Join(filepath.Dir(p), "new.conf")
	if err := WriteFileAtomicAs(q, []byte("x"), Owner{Mode: 0o660, GID: 4243, Keep: true}); err != nil {
		t.Fatal(err)
	}
	st, _ = os.Stat(q)
	if _, gid := fileOwner(st); st.Mode().Perm() != 0o660 || gid != 4243 {
		t.Errorf("new file: %v gid %d", st.Mode().Perm(), gid)
	}
}
