package keaconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keaops/keaops/internal/keatest"
)

// includeFiles is a main config with a nested include of a fragment.
var includeFiles = map[string]string{
	"main.json":   "{ \"Dhcp4\": {\n  // the subnets live apart\n  <?include \"subnets.inc\"?>,\n  \"valid-lifetime\": 600\n} }\n",
	"subnets.inc": "\"subnet4\": [\n  { \"id\": 1, \"subnet\": \"10.1.0.0/24\" }, # first\n  <?include \"more.inc\"?>\n]\n",
	"more.inc":    "{ \"id\": 2, \"subnet\": \"10.2.0.0/24\" }\n",
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestReadFileIncludes: includes expand where they stand, nested, and a
// mistake inside an included file is reported in that file.
func TestReadFileIncludes(t *testing.T) {
	dir := writeFiles(t, includeFiles)
	dhcp4, err := ReadFile(filepath.Join(dir, "main.json"), dir, "Dhcp4")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(dhcp4, "main.json")
	if err != nil || len(s.Subnets) != 2 || s.Defaults.Lifetimes.Valid.Value != 600 {
		t.Fatalf("parsed %+v, %v", s, err)
	}
	for name, c := range map[string]struct {
		files map[string]string
		want  string
	}{
		"a mistake in an included file": {map[string]string{"more.inc": "{ \"id\": 2,\n  \"subnet\" \"10.2.0.0/24\" }\n"}, "more.inc:2:12: invalid character"},
		"a missing file":                {map[string]string{"more.inc": "<?include \"gone.inc\"?>"}, "more.inc:1:1: including gone.inc"},
		"a loop":                        {map[string]string{"more.inc": "<?include \"subnets.inc\"?>"}, "includes itself"},
		"an unclosed comment":           {map[string]string{"more.inc": "{ /* open\n"}, "more.inc:1:3: a /* comment that is never closed"},
	} {
		t.Run(name, func(t *testing.T) {
			files := map[string]string{}
			for k, v := range includeFiles {
				files[k] = v
			}
			for k, v := range c.files {
				files[k] = v
			}
			dir := writeFiles(t, files)
			_, err := ReadFile(filepath.Join(dir, "main.json"), dir, "Dhcp4")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v; want one containing %q", err, c.want)
			}
		})
	}
}

// TestIncludesAsKeaReadsThem: the include files are ones real kea-dhcp4
// -t takes, run from their directory as keaops resolves them.
func TestIncludesAsKeaReadsThem(t *testing.T) {
	for _, k := range keatest.Versions(t) {
		t.Run(k.Line, func(t *testing.T) {
			dir := writeFiles(t, includeFiles)
			// In a root filesystem, chroot starts in /: cd there first.
			cmd := k.Command("", "sh", "-c", "cd "+dir+" && exec kea-dhcp4 -t main.json")
			cmd.Env = append(os.Environ(), "KEA_LOCKFILE_DIR=none")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("kea-dhcp4 -t: %v\n%s", err, out)
			}
		})
	}
}

// FuzzReadFile: any main file, with any included file, expands and reads
// without a panic, within the nesting bound.
func FuzzReadFile(f *testing.F) {
	f.Add([]byte(includeFiles["main.json"]), []byte(includeFiles["subnets.inc"]))
	f.Add([]byte(`{"Dhcp4": <?include "subnets.inc"?>}`), []byte(`<?include "subnets.inc"?>`))
	f.Fuzz(func(t *testing.T, main, inc []byte) {
		read := func(p string) ([]byte, error) {
			if p == "main.json" {
				return main, nil
			}
			return inc, nil
		}
		_, _ = readWith("main.json", "Dhcp4", read)
	})
}
