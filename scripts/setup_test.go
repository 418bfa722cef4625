// Package scripts holds the tests of the project's shell scripts.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// setup.sh runs against stand-ins for apt-get and systemctl that record
// their calls; what is "installed" is what the stand-in directory holds.
func runSetup(t *testing.T, present ...string) string {
	t.Helper()
	bin := t.TempDir()
	calls := filepath.Join(t.TempDir(), "calls")
	record := "#!/bin/sh\necho \"$(basename \"$0\") $*\" >>" + calls + "\n"
	for _, name := range append([]string{"apt-get", "systemctl", "tee", "chmod", "rm"}, present...) {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(record), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(bin, "id"), []byte("#!/bin/sh\necho 0\n"), 0o755)
	os.WriteFile(filepath.Join(bin, "basename"), []byte("#!/bin/sh\necho ${1##*/}\n"), 0o755)
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	cmd := exec.Command(bash, "setup.sh")
	policy := filepath.Join(t.TempDir(), "policy-rc.d")
	cmd.Env = []string{"PATH=" + bin, "KEAOPS_POLICY_RC=" + policy, "KEAOPS_SBIN=" + bin}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("setup.sh: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(calls)
	return strings.ReplaceAll(string(b), policy, "/usr/sbin/policy-rc.d")
}

// Kea is never installed: the tests run it from root filesystems.
func TestSetupNeverInstallsKea(t *testing.T) {
	for _, present := range [][]string{nil, {"kea-dhcp4", "kea-ctrl-agent", "named", "dhcpd"}} {
		calls := runSetup(t, present...)
		if strings.Contains(calls, "kea") {
			t.Errorf("with %v present, setup touched Kea:\n%s", present, calls)
		}
	}
	// Everything present: nothing to do.
	if calls := runSetup(t, "named", "dhcpd", "busybox", "socat", "rsync", "dig", "systemd-analyze", "buildah"); calls != "" {
		t.Errorf("setup with everything present:\n%s", calls)
	}
}

func TestSetupInstallsServicesWithoutStartingThem(t *testing.T) {
	calls := runSetup(t, "busybox", "socat", "rsync", "dig", "systemd-analyze", "buildah")
	lines := strings.Split(strings.TrimSpace(calls), "\n")
	policy, install := -1, -1
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "tee /usr/sbin/policy-rc.d"):
			policy = i
		case strings.HasPrefix(l, "apt-get install") && strings.Contains(l, "bind9 isc-dhcp-server"):
			install = i
		case strings.HasPrefix(l, "systemctl") && (strings.Contains(l, "--now") || strings.Contains(l, "stop")):
			t.Errorf("a unit was stopped: %s", l)
		}
	}
	if policy < 0 || install < policy {
		t.Errorf("services installed without a policy-rc.d in place first:\n%s", calls)
	}
	for _, unit := range []string{"named", "isc-dhcp-server"} {
		if !strings.Contains(calls, "systemctl disable "+unit+"\n") {
			t.Errorf("unit %s it installed is left enabled:\n%s", unit, calls)
		}
	}
	if !strings.Contains(calls, "rm -f /usr/sbin/policy-rc.d") {
		t.Errorf("its policy-rc.d is left behind:\n%s", calls)
	}
	if !strings.Contains(calls, "apt-get install -y -qq --no-install-recommends bind9 isc-dhcp-server") {
		t.Errorf("calls:\n%s", calls)
	}
}
