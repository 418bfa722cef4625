package cli

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keaops/keaops/generators/kea"
	"github.com/keaops/keaops/internal/keatest"
	"github.com/keaops/keaops/internal/sitegen"
	"github.com/keaops/keaops/sources/yamlsrc"
)

// bigDHCPD writes a dhcpd.conf of 400 subnets and 100,000 hosts (250 a
// subnet), as a campus that grew for years keeps it.
func bigDHCPD(b *testing.B, path string) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "authoritative;\ndefault-lease-time 3600;\nmax-lease-time 7200;\noption domain-name-servers 10.0.0.53, 10.0.0.54;\noption domain-name \"campus.example\";")
	for s := 0; s < 400; s++ {
		a, c := 10+s/250, s%250
		fmt.Fprintf(w, "# building %d\nsubnet 10.%d.%d.0 netmask 255.255.255.0 {\n  option routers 10.%d.%d.1;\n  range 10.%d.%d.251 10.%d.%d.254;\n}\n", s, a, c, a, c, a, c, a, c)
	}
	for h := 0; h < 100000; h++ {
		s := h / 250
		a, c := 10+s/250, s%250
		fmt.Fprintf(w, "host h%d { hardware ethernet 02:00:%02x:%02x:%02x:%02x; fixed-address 10.%d.%d.%d; option host-name \"h%d\"; }\n",
			h, h>>24&0xff, h>>16&0xff, h>>8&0xff, h&0xff, a, c, 1+h%250, h)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
}

// bigKeaFile writes a kea-dhcp4 file of 2,000 subnets and 100,000
// reservations, as keaops renders one.
func bigKeaFile(b *testing.B, path string) {
	b.Helper()
	dir := b.TempDir()
	if err := sitegen.Write(dir, sitegen.Spec{Subnets: 2000, Reservations: 100000, Mode: "hot-standby"}); err != nil {
		b.Fatal(err)
	}
	s, _, err := yamlsrc.Load(context.Background(), filepath.Join(dir, "keaops.yaml"))
	if err != nil || s == nil {
		b.Fatal(err)
	}
	nodes, err := kea.Render(s)
	if err != nil {
		b.Fatal(err)
	}
	// kea-dhcp4 -t checks that the interfaces exist: the machine's own.
	data := strings.ReplaceAll(string(nodes[0].Files[0].Data), `"ens192"`, `"lo"`)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		b.Fatal(err)
	}
}

// measure runs a command b.N times and reports its wall time and peak
// resident memory (the child's, from the kernel).
func measure(b *testing.B, name string, args ...string) {
	b.Helper()
	var peak int64
	start := time.Now()
	for b.Loop() {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "KEA_LOCKFILE_DIR=none", "KEA_PIDFILE_DIR="+b.TempDir())
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s: %v\n%.2000s", name, err, out)
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > peak {
			peak = ru.Maxrss
		}
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "wall-s/op")
	b.ReportMetric(float64(peak)/1024, "maxrss-MB")
}

// BenchmarkImport100k: keaops import of a 100,000-host dhcpd.conf and of
// a 100,000-reservation kea-dhcp4 file, writing and checking the site as
// the command does — beside the daemons' own reading of the same files
// (dhcpd -t, kea-dhcp4 -t), measured in the same run.
func BenchmarkImport100k(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "keaops")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/keaops").CombinedOutput(); err != nil {
		b.Fatalf("building keaops: %v\n%s", err, out)
	}
	conf, file := filepath.Join(dir, "dhcpd.conf"), filepath.Join(dir, "kea-dhcp4.json")
	bigDHCPD(b, conf)
	bigKeaFile(b, file)
	b.Run("dhcpd.conf/keaops-import", func(b *testing.B) {
		measure(b, bin, "import", "--from-dhcpd", conf, "--kea-version", "2.6", "-o", filepath.Join(dir, "from-dhcpd"), "--allow-partial")
	})
	b.Run("dhcpd.conf/dhcpd-t", func(b *testing.B) {
		if _, err := os.Stat("/usr/sbin/dhcpd"); err != nil {
			b.Skip("no dhcpd here")
		}
		measure(b, "/usr/sbin/dhcpd", "-t", "-q", "-cf", conf)
	})
	b.Run("kea-dhcp4.json/keaops-import", func(b *testing.B) {
		measure(b, bin, "import", "--from-kea", file, "--kea-version", "2.2", "-o", filepath.Join(dir, "from-kea"))
	})
	b.Run("kea-dhcp4.json/kea-dhcp4-t", func(b *testing.B) {
		c := keatest.Host(b).Command("", "kea-dhcp4", "-t", file)
		measure(b, c.Args[0], c.Args[1:]...)
	})
}
