package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/keaops/keaops/internal/keatest"
)

// pairFiles writes the hand-written pair's files for Kea line as they
// would be on each node, and returns them in the order import takes them.
func pairFiles(t *testing.T, line string, change func(node, dhcp4 string) string) []string {
	t.Helper()
	dhcp4, _ := os.ReadFile(filepath.Join("testdata", "import", "pair-kea-dhcp4.json"))
	agent, _ := os.ReadFile(filepath.Join("testdata", "import", "pair-kea-ctrl-agent.json"))
	var files []string
	for i, name := range []string{"kea-a", "kea-b"} {
		dir := filepath.Join(t.TempDir(), name)
		dirs := keatest.Dirs{Root: dir, Run: "/run/kea", Lib: "/var/lib/kea", Log: "/var/log/kea"}
		own := strings.NewReplacer("@NAME@", name, "@A_URL@", "http://10.0.0.1:8000/", "@B_URL@", "http://10.0.0.2:8000/", "@PASSWORD@", "s3cret-Pa55",
			"@PORT@", "8000", "@SOCKNAME@", "/run/kea/kea4-ctrl-socket", `"http-host": "127.0.0.1"`, `"http-host": "10.0.0.`+strconv.Itoa(i+1)+`"`)
		d := own.Replace(string(keatest.Fill(dhcp4, line, dirs, hooksDir)))
		if change != nil {
			d = change(name, d)
		}
		a := own.Replace(string(keatest.Fill(agent, line, dirs, hooksDir)))
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "kea-dhcp4.conf"), []byte(d), 0o644)
		os.WriteFile(filepath.Join(dir, "kea-ctrl-agent.conf"), []byte(a), 0o644)
		files = append(files, filepath.Join(dir, "kea-dhcp4.conf"), filepath.Join(dir, "kea-ctrl-agent.conf"))
	}
	return files
}

// importArgs names the first file with --from-kea and the others after
// the flags, as a person types them.
func importArgs(files []string, extra ...string) []string {
	args := append([]string{"import", "--from-kea", files[0]}, extra...)
	return append(args, files[1:]...)
}

// TestImportPairFromFiles: both nodes' kea-dhcp4 and Control Agent files
// make a site with both nodes' control URLs, their credentials as a
// reference (the password is nowhere in the site), and passes check.
func TestImportPairFromFiles(t *testing.T) {
	out := filepath.Join(t.TempDir(), "site")
	code, text := run(t, importArgs(pairFiles(t, "2.6", nil), "--kea-version", "2.6", "-o", out)...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, text)
	}
	site, _ := os.ReadFile(filepath.Join(out, "keaops.yaml"))
	for _, want := range []string{"control-url: http://10.0.0.1:8000/", "control-url: http://10.0.0.2:8000/", "role: standby",
		"password: {env: KEA_API_PASSWORD}", "mode: hot-standby"} {
		if !strings.Contains(string(site), want) {
			t.Errorf("keaops.yaml has no %q:\n%s", want, site)
		}
	}
	for _, f := range []string{"keaops.yaml", "subnets.yaml", "reservations.yaml", ".keaops-import"} {
		data, _ := os.ReadFile(filepath.Join(out, f))
		if strings.Contains(string(data), "s3cret-Pa55") {
			t.Errorf("%s holds the password", f)
		}
	}
	if !strings.Contains(text, "secret: Dhcp4.hooks-libraries[1].parameters.high-availability[0].peers[0].basic-auth-password was written literally: it is now {env: KEA_API_PASSWORD}") {
		t.Errorf("the import does not say where the secret was:\n%s", text)
	}
}

func TestImportRefusals(t *testing.T) {
	foreign := t.TempDir()
	os.WriteFile(filepath.Join(foreign, "notes.txt"), []byte("mine"), 0o644)
	files := pairFiles(t, "2.6", nil)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"a directory keaops did not write", importArgs(files, "--kea-version", "2.6", "-o", foreign), ExitProblems, "holds no .keaops-import: refusing to replace a directory keaops did not write"},
		{"nodes that disagree", importArgs(pairFiles(t, "2.6", func(node, d string) string {
			if node == "kea-b" {
				return strings.Replace(d, `"valid-lifetime": 7200`, `"valid-lifetime": 3600`, 1)
			}
			return d
		}), "--kea-version", "2.6", "-o", filepath.Join(t.TempDir(), "x")), ExitProblems, "differ beyond what is each node's own"},
		{"two inputs", []string{"import", "--from-live", "--from-dhcpd", "x", "-o", t.TempDir()}, ExitProblems, "name one input"},
		{"files without --from-kea", []string{"import", "--from-dhcpd", "x", "-o", t.TempDir(), "y.conf"}, ExitProblems, "files are read with --from-kea"},
		{"dhcpd without a version", []string{"import", "--from-dhcpd", filepath.Join("testdata", "import", "dhcpd.conf"), "-o", filepath.Join(t.TempDir(), "x")}, ExitProblems, "--from-dhcpd needs --kea-version"},
		{"a partial import", []string{"import", "--from-dhcpd", filepath.Join("testdata", "import", "dhcpd.conf"), "--kea-version", "3.0", "-o", filepath.Join(t.TempDir(), "x")}, ExitProblems, "5 things not converted"},
		{"an agent file first", []string{"import", "--from-kea", files[1], "-o", filepath.Join(t.TempDir(), "x")}, ExitProblems, "belongs to the kea-dhcp4 file before it"},
		{"a version keaops does not render", importArgs(files, "--kea-version", "2.8", "-o", filepath.Join(t.TempDir(), "x")), ExitProblems, "not 2.8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, text := run(t, tc.args...)
			if code != tc.code || !strings.Contains(text, tc.want) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, tc.code, tc.want, text)
			}
		})
	}
	if data, _ := os.ReadFile(filepath.Join(foreign, "notes.txt")); string(data) != "mine" {
		t.Error("the foreign directory was changed")
	}
}

// TestImportAgainReplacesTheImport: an import replaces an earlier one,
// and --positions comments each record with where it was.
func TestImportAgainReplacesTheImport(t *testing.T) {
	out := filepath.Join(t.TempDir(), "site")
	conf := filepath.Join("testdata", "import", "dhcpd.conf")
	for i := 0; i < 2; i++ {
		if code, text := run(t, "import", "--from-dhcpd", conf, "--kea-version", "2.6", "-o", out, "--allow-partial", "--positions"); code != ExitOK {
			t.Fatalf("import %d: exit %d\n%s", i+1, code, text)
		}
	}
	res, _ := os.ReadFile(filepath.Join(out, "reservations.yaml"))
	if !strings.Contains(string(res), "# from testdata/import/dhcpd.conf:67:1\n  - hostname: printer") {
		t.Errorf("no position above the printer:\n%s", res)
	}
}
