package cli

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"strings"
	"testing"
)

func TestCheckReports(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir) // paths in reports are relative to the repository root, as in CI
	os.WriteFile("keaops.yaml", []byte("kea-version: \"2.2\"\nnodes:\n  - {name: a, control-url: \"http://127.0.0.1:8000/\"}\n"), 0o600)
	os.WriteFile("subnets.yaml", []byte("subnets:\n  - {name: A, prefix: 10.0.0.0/24, pools: [10.0.0.100-10.0.0.200]}\n"), 0o600)
	os.WriteFile("reservations.yaml", []byte("reservations:\n  - {hostname: a, hw-address: \"02:00:00:00:00:01\", ip-address: 10.0.1.5}\n  - {hostname: b, hw-address: \"02:00:00:00:00:02\", ip-address: 10.0.0.150}\n"), 0o600)
	code, out := run(t, "check", "--report", "junit=junit.xml", "--report", "codequality=cq.json", "--report", "sarif=out.sarif")
	if code != ExitProblems {
		t.Fatalf("exit %d\n%s", code, out)
	}

	var suite junitSuite
	b, _ := os.ReadFile("junit.xml")
	if err := xml.Unmarshal(b, &suite); err != nil {
		t.Fatal(err)
	}
	failed := map[string]string{}
	for _, c := range suite.Cases {
		if c.Failure != nil {
			failed[c.Name] = c.Failure.Text
		}
	}
	if suite.Tests < 30 || suite.Failures != 1 || !strings.Contains(failed["reservation-subnet"], "reservations.yaml:2:64: ip-address 10.0.1.5 is in no subnet") {
		t.Errorf("junit: %d tests, %d failures, %v", suite.Tests, suite.Failures, failed)
	}

	var cq []struct {
		Description, CheckName, Fingerprint, Severity string
		Location                                      struct {
			Path  string
			Lines struct{ Begin int }
		}
	}
	b, _ = os.ReadFile("cq.json")
	if err := json.Unmarshal(b, &cq); err != nil {
		t.Fatal(err)
	}
	if len(cq) != 2 || cq[0].Location.Path != "reservations.yaml" || cq[0].Location.Lines.Begin != 2 || cq[0].Severity != "major" ||
		cq[1].Severity != "minor" || cq[0].Fingerprint == cq[1].Fingerprint {
		t.Errorf("code quality: %+v", cq)
	}
	// Fingerprints survive lines moving above the finding.
	first := cq[0].Fingerprint
	os.WriteFile("reservations.yaml", []byte("# a comment\nreservations:\n  - {hostname: a, hw-address: \"02:00:00:00:00:01\", ip-address: 10.0.1.5}\n"), 0o600)
	run(t, "check", "--report", "codequality=cq.json")
	b, _ = os.ReadFile("cq.json")
	json.Unmarshal(b, &cq)
	if len(cq) != 1 || cq[0].Fingerprint != first || cq[0].Location.Lines.Begin != 3 {
		t.Errorf("after a line was added above: %+v (want fingerprint %s)", cq, first)
	}

	var sarif struct {
		Version string
		Runs    []struct {
			Results []struct {
				RuleID, Level string
				Locations     []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine, StartColumn int }
					}
				}
			}
		}
	}
	b, _ = os.ReadFile("out.sarif")
	if err := json.Unmarshal(b, &sarif); err != nil {
		t.Fatal(err)
	}
	r := sarif.Runs[0].Results[0]
	if sarif.Version != "2.1.0" || r.RuleID != "reservation-subnet" || r.Level != "error" || r.Locations[0].PhysicalLocation.ArtifactLocation.URI != "reservations.yaml" ||
		r.Locations[0].PhysicalLocation.Region.StartLine != 2 || r.Locations[0].PhysicalLocation.Region.StartColumn != 64 {
		t.Errorf("sarif: %+v", sarif)
	}

	if code, out := run(t, "check", "--report", "html=x"); code != ExitProblems || !strings.Contains(out, `unknown kind "html"`) {
		t.Errorf("bad report kind: exit %d %s", code, out)
	}
}
