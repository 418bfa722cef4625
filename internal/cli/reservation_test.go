package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// homelabRepo is the homelab example in a Git work tree of its own.
func homelabRepo(t *testing.T) (dir, site string, original []byte) {
	t.Helper()
	dir = t.TempDir()
	for _, f := range []string{"keaops.yaml", "subnets.yaml", "reservations.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", "homelab", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	gitCLI(t, dir, "init", "-q", "-b", "main")
	gitCLI(t, dir, "add", ".")
	gitCLI(t, dir, "commit", "-qm", "homelab")
	original, _ = os.ReadFile(filepath.Join(dir, "reservations.yaml"))
	return dir, filepath.Join(dir, "keaops.yaml"), original
}

// add, set and rm change the one record, byte for byte; the file round
// trips to what it was.
func TestReservationEditsInPlace(t *testing.T) {
	_, site, original := homelabRepo(t)
	file := filepath.Join(filepath.Dir(site), "reservations.yaml")
	read := func() string { b, _ := os.ReadFile(file); return string(b) }
	added := `  - hostname: printer-5
    hw-address: "02:42:ac:11:00:09"
    ip-address: 10.30.30.59
`
	code, out := run(t, "reservation", "add", "-s", site, "--hostname", "printer-5", "--hw-address", "02:42:ac:11:00:09", "--ip-address", "10.30.30.59")
	if code != ExitOK || !strings.Contains(out, "add reservation printer-5 02:42:ac:11:00:09 → 10.30.30.59") {
		t.Fatalf("add: exit %d\n%s", code, out)
	}
	if got := read(); got != string(original)+added {
		t.Fatalf("add changed more than the new record:\n%s", got)
	}
	code, out = run(t, "reservation", "set", "-s", site, "printer-5", "--ip-address", "10.30.30.60", "--comment", "Brother, 2nd floor")
	want := string(original) + strings.Replace(added, "10.30.30.59\n", "10.30.30.60\n    comment: \"Brother, 2nd floor\"\n", 1)
	if code != ExitOK || read() != want {
		t.Fatalf("set: exit %d\n%s\nfile:\n%s", code, out, read())
	}
	if code, out = run(t, "reservation", "rm", "-s", site, "02-42-AC-11-00-09"); code != ExitOK || read() != string(original) {
		t.Fatalf("rm by MAC: exit %d\n%s\nfile:\n%s", code, out, read())
	}
	if code, out := run(t, "check", "-s", site); code != ExitOK {
		t.Errorf("the site after the round trip: %s", out)
	}
}

// An edit that fails a check writes nothing and says where.
func TestReservationRefusals(t *testing.T) {
	_, site, original := homelabRepo(t)
	file := filepath.Join(filepath.Dir(site), "reservations.yaml")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"add", "--hostname", "intruder", "--hw-address", "02:00:00:00:99:99", "--ip-address", "10.30.30.57"},
			"reservations.yaml:55:17: error: ip-address 10.30.30.57 is already reserved for printer-3"},
		{[]string{"add", "--hostname", "nowhere", "--hw-address", "02:00:00:00:99:98", "--ip-address", "192.0.2.1"}, "is in no subnet"},
		{[]string{"add", "--hostname", "bad_name", "--hw-address", "02:00:00:00:99:97", "--ip-address", "10.30.30.99"}, "reservations.yaml:53:15: error: reservations.13.hostname: invalid value \"bad_name\""},
		{[]string{"set", "printer-3", "--ip-address", "10.10.0.20"}, "is already reserved for nas"},
		{[]string{"rm", "no-such-host"}, "no reservation is no-such-host"},
		{[]string{"set", "printer-3"}, "nothing to change"},
		{[]string{"add", "--ip-address", "10.30.30.98"}, "needs --hostname, --hw-address or --client-id"},
	} {
		code, out := run(t, append(append([]string{"reservation"}, tc.args...), "-s", site)...)
		if code != ExitProblems || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, want %q in:\n%s", tc.args, code, tc.want, out)
		}
		if b, _ := os.ReadFile(file); string(b) != string(original) {
			t.Fatalf("%v: the file changed:\n%s", tc.args, b)
		}
	}
}

// --branch starts a branch and commits the edit alone on it.
func TestReservationCommit(t *testing.T) {
	dir, site, _ := homelabRepo(t)
	t.Setenv("GIT_AUTHOR_NAME", "Net Ops")
	t.Setenv("GIT_AUTHOR_EMAIL", "netops@example.org")
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not part of the edit\n"), 0o644)
	code, out := run(t, "reservation", "add", "-s", site, "--hostname", "printer-5", "--hw-address", "02:42:ac:11:00:09", "--ip-address", "10.30.30.59", "--branch", "add-printer-5")
	if code != ExitOK || !strings.Contains(out, "on branch add-printer-5") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	git := func(args ...string) string {
		out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).Output()
		if err != nil {
			t.Fatalf("git %v: %v", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	if b := git("rev-parse", "--abbrev-ref", "HEAD"); b != "add-printer-5" {
		t.Errorf("on branch %s", b)
	}
	if msg := git("log", "-1", "--format=%an <%ae> %s"); msg != "Net Ops <netops@example.org> keaops: add reservation printer-5 02:42:ac:11:00:09 → 10.30.30.59" {
		t.Errorf("commit: %s", msg)
	}
	if files := git("show", "--name-only", "--format=", "HEAD"); files != "reservations.yaml" {
		t.Errorf("the commit holds %q", files)
	}
	if st := git("status", "--porcelain"); st != "?? notes.txt" {
		t.Errorf("work tree after the commit: %q", st)
	}
	if main := git("rev-parse", "main"); main == git("rev-parse", "HEAD") {
		t.Error("main moved")
	}
}

// A reservation NetBox gives is changed in NetBox.
func TestReservationFromNetBoxIsRefused(t *testing.T) {
	s := northNetBox(t)
	site := northSite(t, s)
	code, out := run(t, "reservation", "rm", "-s", site, "10.20.30.10")
	if code != ExitProblems || !strings.Contains(out, "comes from NetBox (ipam/ip-addresses/") || !strings.Contains(out, "change it in NetBox") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

// --option merges into the record's options, --class replaces its
// classes; the record's lines alone change.
func TestReservationOptionsAndClasses(t *testing.T) {
	_, site, original := homelabRepo(t)
	file := filepath.Join(filepath.Dir(site), "reservations.yaml")
	code, out := run(t, "reservation", "set", "-s", site, "homeassistant", "--option", "domain-name-servers=10.10.0.53", "--option", "host-name=hass", "--class", "ipxe")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	want := strings.Replace(string(original), "    options:\n      host-name: homeassistant\n", "    options: {host-name: hass, domain-name-servers: 10.10.0.53}\n    client-classes: [ipxe]\n", 1)
	if b, _ := os.ReadFile(file); string(b) != want {
		t.Errorf("got:\n%s", b)
	}
	if code, out := run(t, "reservation", "set", "-s", site, "homeassistant", "--option", "no-equals"); code != ExitProblems || !strings.Contains(out, "want NAME=VALUE") {
		t.Errorf("a bad --option: exit %d\n%s", code, out)
	}
}

// With several reservations files, add writes to the one that holds most
// of the new address's subnet's reservations; --file picks another.
func TestReservationPicksTheFile(t *testing.T) {
	dir, site, original := homelabRepo(t)
	// Four of Lab's reservations here, three in reservations.yaml.
	var labText strings.Builder
	labText.WriteString("reservations:\n  # the lab\n")
	for i := range 4 {
		fmt.Fprintf(&labText, "  - {hostname: scope-%d, hw-address: \"02:00:00:00:42:0%d\", ip-address: 10.42.42.3%d}\n", i, i, i)
	}
	os.WriteFile(filepath.Join(dir, "lab.yaml"), []byte(labText.String()), 0o644)
	b, _ := os.ReadFile(site)
	os.WriteFile(site, []byte(strings.Replace(string(b), "  reservations: reservations.yaml\n", "  reservations: [reservations.yaml, lab.yaml]\n", 1)), 0o644)
	lab := filepath.Join(dir, "lab.yaml")
	before, _ := os.ReadFile(lab)
	if code, out := run(t, "reservation", "add", "-s", site, "--hostname", "probe", "--hw-address", "02:00:00:00:42:09", "--ip-address", "10.42.42.39"); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if got, _ := os.ReadFile(lab); string(got) != string(before)+"  - {hostname: probe, hw-address: \"02:00:00:00:42:09\", ip-address: 10.42.42.39}\n" {
		t.Errorf("lab.yaml:\n%s", got)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "reservations.yaml")); string(got) != string(original) {
		t.Error("reservations.yaml changed")
	}
	if code, out := run(t, "reservation", "add", "-s", site, "--file", lab, "--hostname", "cam-1", "--hw-address", "02:00:00:00:30:01", "--ip-address", "10.30.30.70"); code != ExitOK || !strings.Contains(out, "lab.yaml: add reservation cam-1") {
		t.Errorf("--file: exit %d\n%s", code, out)
	}
}

// --push sends the branch to origin; without --branch it is refused
// before anything is written.
func TestReservationPush(t *testing.T) {
	dir, site, original := homelabRepo(t)
	origin := filepath.Join(t.TempDir(), "origin.git")
	gitCLI(t, "", "init", "-q", "--bare", origin)
	gitCLI(t, dir, "remote", "add", "origin", origin)
	t.Setenv("GIT_AUTHOR_NAME", "Net Ops")
	t.Setenv("GIT_AUTHOR_EMAIL", "netops@example.org")
	add := []string{"reservation", "add", "-s", site, "--hostname", "printer-5", "--hw-address", "02:42:ac:11:00:09", "--ip-address", "10.30.30.59"}
	if code, out := run(t, append(add, "--push")...); code != ExitProblems || !strings.Contains(out, "--push sends the --branch") {
		t.Errorf("--push alone: exit %d\n%s", code, out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "reservations.yaml")); string(b) != string(original) {
		t.Fatal("a refused --push wrote the file")
	}
	if code, out := run(t, append(add, "--branch", "add-printer-5", "--push")...); code != ExitOK || !strings.Contains(out, "pushed add-printer-5 to origin") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	out, err := exec.Command("git", "--git-dir", origin, "log", "-1", "--format=%s", "add-printer-5").Output()
	if err != nil || !strings.Contains(string(out), "keaops: add reservation printer-5") {
		t.Errorf("origin's branch: %s %v", out, err)
	}
}
