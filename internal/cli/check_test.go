package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keaops/keaops/internal/keatest"
	"github.com/keaops/keaops/internal/sitegen"
)

// Both bundled examples must pass check with no errors: they are the
// documentation and the end-to-end inputs of later stages.
func TestExamplesPass(t *testing.T) {
	for _, ex := range []string{"homelab", "campus", "netbox"} {
		t.Run(ex, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(context.Background(), []string{"check", "--site", filepath.Join("..", "..", "examples", ex, "keaops.yaml")}, &out, &errb)
			if code != ExitOK {
				t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
			}
			if !strings.Contains(out.String(), "ok: 0 errors") {
				t.Errorf("summary missing:\n%s", out.String())
			}
		})
	}
}

// The campus example is generated; it must be what the generator makes.
func TestCampusExampleIsGenerated(t *testing.T) {
	dir := t.TempDir()
	if err := sitegen.Write(dir, sitegen.Spec{Subnets: 48, Reservations: 320, Mode: "load-balancing", Classes: true}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"keaops.yaml", "subnets.yaml", "reservations.yaml"} {
		want, _ := os.ReadFile(filepath.Join(dir, f))
		got, err := os.ReadFile(filepath.Join("..", "..", "examples", "campus", f))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("examples/campus/%s differs from the generator's output: run go run ./internal/sitegen/gensite -subnets 48 -reservations 320 -mode load-balancing -classes -o examples/campus", f)
		}
	}
}

func TestCheckExitCodesAndJSON(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "keaops.yaml"), []byte("kea-version: \"2.2\"\nnodes:\n  - {name: a, control-url: \"http://127.0.0.1:8000/\"}\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "subnets.yaml"), []byte("subnets:\n  - {name: A, prefix: 10.0.0.0/24}\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "reservations.yaml"), []byte("reservations:\n  - {hw-address: \"02:00:00:00:00:01\", ip-address: 10.0.1.5}\n"), 0o600)
	site := filepath.Join(dir, "keaops.yaml")

	var out bytes.Buffer
	if code := Main(context.Background(), []string{"check", "-s", site}, &out, &out); code != ExitProblems {
		t.Fatalf("exit %d, want %d\n%s", code, ExitProblems, out.String())
	}
	wantLine := filepath.Join(dir, "reservations.yaml") + ":2:51: error: ip-address 10.0.1.5 is in no subnet"
	if !strings.Contains(out.String(), wantLine) || !strings.Contains(out.String(), "keaops.yaml: FAILED: 1 error, 0 warnings, 1 subnet, 1 reservation") {
		t.Errorf("output:\n%s\nwant %q and the summary", out.String(), wantLine)
	}

	out.Reset()
	if code := Main(context.Background(), []string{"check", "-s", site, "--format", "json"}, &out, &out); code != ExitProblems {
		t.Fatalf("json: exit %d", code)
	}
	var rep checkReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("json output does not parse: %v\n%s", err, out.String())
	}
	if rep.Errors != 1 || len(rep.Findings) != 1 || rep.Findings[0].Pos.Line != 2 || rep.Findings[0].Pos.Col != 51 || rep.Findings[0].Check != "reservation-subnet" {
		t.Errorf("report = %+v", rep)
	}

	out.Reset()
	if code := Main(context.Background(), []string{"check", "--format", "xml", "-s", site}, &out, &out); code != ExitProblems || !strings.Contains(out.String(), "want text or json") {
		t.Errorf("bad --format: exit %d, %s", code, out.String())
	}
	out.Reset()
	if code := Main(context.Background(), []string{"--version"}, &out, &out); code != ExitOK || !strings.HasPrefix(out.String(), "keaops version ") {
		t.Errorf("--version: exit %d, %q", code, out.String())
	}
}

// BenchmarkCheck runs the whole of keaops check (read, schema, semantic
// checks) on generated sites. Targets on a 2-core machine: 10k reservations
// under 0.5 s, 100k under 3 s, close to linear in between.
func BenchmarkCheck(b *testing.B) {
	for _, size := range []struct{ subnets, reservations int }{{500, 10000}, {2000, 100000}} {
		b.Run(fmt.Sprintf("subnets=%d/reservations=%d", size.subnets, size.reservations), func(b *testing.B) {
			dir := b.TempDir()
			if err := sitegen.Write(dir, sitegen.Spec{Subnets: size.subnets, Reservations: size.reservations, Mode: "hot-standby"}); err != nil {
				b.Fatal(err)
			}
			site := filepath.Join(dir, "keaops.yaml")
			b.ResetTimer()
			for b.Loop() {
				_, findings, err := LoadAndValidate(context.Background(), SiteArgs{Site: site})
				if err != nil || findings.HasErrors() {
					b.Fatalf("err=%v findings=%v", err, findings)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(size.reservations), "µs/reservation")
		})
	}
}

// BenchmarkCompileVsKea puts keaops' whole compile of a large site (read,
// check, render, as keaops render does, with the CLI's GC setting) beside
// Kea's own parse of the result (kea-dhcp4 -t), in one run. Target: keaops
// faster than Kea reading what keaops wrote.
func BenchmarkCompileVsKea(b *testing.B) {
	keatest.Require(b)
	tuneGC()
	dir := b.TempDir()
	if err := sitegen.Write(dir, sitegen.Spec{Subnets: 2000, Reservations: 100000, Mode: "hot-standby"}); err != nil {
		b.Fatal(err)
	}
	site := filepath.Join(dir, "keaops.yaml")
	rendered := filepath.Join(dir, "kea-dhcp4.json")
	b.Run("keaops=check+render", func(b *testing.B) {
		for b.Loop() {
			s, findings, err := LoadAndValidate(context.Background(), SiteArgs{Site: site})
			if err != nil || findings.HasErrors() {
				b.Fatalf("%v %v", err, findings)
			}
			for _, n := range s.Nodes {
				n.Interfaces = []string{"lo"} // node-local; must exist for kea-dhcp4 -t
			}
			set, err := Artifacts(s)
			if err != nil {
				b.Fatal(err)
			}
			data := set.Files[s.Nodes[0].Name+"/kea-dhcp4.json"]
			b.SetBytes(int64(len(data)))
			if err := os.WriteFile(rendered, data, 0o600); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("kea-dhcp4=-t", func(b *testing.B) {
		for b.Loop() {
			if err := keatest.CheckConfig(context.Background(), rendered); err != nil {
				b.Fatal(err)
			}
		}
	})
}
