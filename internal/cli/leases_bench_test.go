package cli

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/keaops/keaops/generators/memfile"
	"github.com/keaops/keaops/internal/keaapi"
	"github.com/keaops/keaops/internal/keatest"
	"github.com/keaops/keaops/internal/leases"
	"github.com/keaops/keaops/internal/model"
)

// BenchmarkLeases100k: keaops leases against a live kea-dhcp4 holding
// 100,000 leases, beside the peer a script would be — one unbounded
// lease4-get-all — in the same run. keaops is the real binary (wall time
// and peak RSS of the process); the peer is the same client's single call.
func BenchmarkLeases100k(b *testing.B) {
	const n = 100_000
	dir := b.TempDir()
	d := keatest.NewDirs(b, dir)
	sock := filepath.Join(d.Run, "kea4-ctrl.sock")
	prefix := netip.MustParsePrefix("10.0.0.0/14")
	site := &model.Site{Subnets: []*model.Subnet{{ID: 1, Name: "Big", Prefix: prefix,
		Pools: []*model.Pool{{From: netip.MustParseAddr("10.0.0.1"), To: netip.MustParseAddr("10.3.255.254")}}}}}
	now := time.Now()
	ls := make([]model.Lease, n)
	ip := netip.MustParseAddr("10.0.0.1")
	for i := range ls {
		ls[i] = model.Lease{IP: ip, HWAddress: fmt.Sprintf("02:%02x:%02x:%02x:%02x:01", byte(i>>24), byte(i>>16), byte(i>>8), byte(i)),
			Hostname: fmt.Sprintf("host-%d", i), Start: now.Add(-time.Minute), End: now.Add(time.Hour)}
		ip = ip.Next()
	}
	csv, _ := memfile.Write(site, ls, now.Unix())
	os.WriteFile(filepath.Join(d.Lib, "leases.csv"), csv, 0o644)
	k := keatest.Host(b)
	dhcp4 := fmt.Sprintf(`{"Dhcp4": {"interfaces-config": {"interfaces": []},
  "control-socket": {"socket-type": "unix", "socket-name": %q},
  "lease-database": {"type": "memfile", "persist": true, "name": %q, "lfc-interval": 0},
  "hooks-libraries": [{"library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so"}],
  "valid-lifetime": 3600,
  "subnet4": [{"id": 1, "subnet": "10.0.0.0/14", "pools": [{"pool": "10.0.0.1 - 10.3.255.254"}]}]}}`, sock, filepath.Join(d.Lib, "leases.csv"))
	node := k.Start(b, d, []byte(dhcp4), nil, "unix://"+sock, "", "")
	ctx := context.Background()
	c, err := keaapi.New(keaapi.Endpoint{URL: "unix://" + sock, Timeout: 5 * time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	if err := keatest.Eventually(ctx, 100*time.Millisecond, func() (bool, error) { _, err := c.Version(ctx); return err == nil, err }); err != nil {
		b.Fatalf("Kea did not start: %v\n%s", err, node.Logs())
	}

	siteDir := filepath.Join(dir, "site")
	os.MkdirAll(siteDir, 0o755)
	os.WriteFile(filepath.Join(siteDir, "keaops.yaml"), []byte("kea-version: \"2.2\"\nnodes:\n  - {name: bench, control-url: \"http://127.0.0.1:1/\", interfaces: []}\n"), 0o644)
	os.WriteFile(filepath.Join(siteDir, "subnets.yaml"), []byte("subnets:\n  - {name: Big, id: 1, prefix: 10.0.0.0/14, pools: [10.0.0.1-10.3.255.254]}\n"), 0o644)
	os.WriteFile(filepath.Join(siteDir, "reservations.yaml"), []byte("reservations: []\n"), 0o644)
	bin := filepath.Join(dir, "keaops")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/keaops").CombinedOutput(); err != nil {
		b.Fatalf("%v\n%s", err, out)
	}

	b.Run("keaops-leases", func(b *testing.B) {
		var rss int64
		for b.Loop() {
			cmd := exec.Command(bin, "leases", "-s", filepath.Join(siteDir, "keaops.yaml"), "--endpoint", "bench=unix://"+sock, "--format", "json")
			out, err := cmd.Output()
			if err != nil || len(out) < n*100 {
				b.Fatalf("keaops leases: %v, %d bytes", err, len(out))
			}
			rss = max(rss, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)
		}
		b.ReportMetric(float64(rss)/1024, "MB-rss")
	})
	b.Run("in-process-paged", func(b *testing.B) {
		for b.Loop() {
			res, err := leases.Read(ctx, site, []leases.Source{{Name: "bench", Client: c}}, now)
			if err != nil || len(res.Leases) != n {
				b.Fatalf("%v, %d leases", err, len(res.Leases))
			}
		}
	})
	b.Run("peer-lease4-get-all", func(b *testing.B) {
		for b.Loop() {
			raw, err := c.Command(ctx, "lease4-get-all", nil)
			if err != nil || len(raw) < n*100 {
				b.Fatalf("%v, %d bytes", err, len(raw))
			}
		}
	})
}
