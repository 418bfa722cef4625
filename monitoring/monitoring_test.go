// Package monitoring holds what Prometheus and Grafana load to watch a
// keaops site without Stork: the alert rules (keaops-alerts.yml, with
// promtool unit tests) and a dashboard (keaops-dashboard.json), both over
// the metrics keaops-agent exports. Grafana cannot run here: its queries
// are checked by Prometheus's own parser.
package monitoring

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/keaops/keaops/internal/keatest"
)

func promtool(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(keatest.Promtool(t), args...).CombinedOutput(); err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func TestAlertRules(t *testing.T) {
	promtool(t, "check", "rules", "keaops-alerts.yml")
	promtool(t, "test", "rules", "keaops-alerts_test.yml")
}

// Every panel's query parses as PromQL: written as recording rules, with
// Grafana's variables replaced by values, for promtool check rules.
func TestDashboardQueries(t *testing.T) {
	b, err := os.ReadFile("keaops-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Title  string
		Panels []struct {
			ID      int
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	if d.Title == "" || len(d.Panels) == 0 {
		t.Fatal("the dashboard has no title or no panels")
	}
	vars := strings.NewReplacer("$__rate_interval", "5m", "$instance", ".*")
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	n := 0
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for i, q := range p.Targets {
			expr, _ := json.Marshal(vars.Replace(q.Expr))
			fmt.Fprintf(&rules, "      - record: dashboard:panel_%d_%d\n        expr: %s\n", p.ID, i, expr)
			n++
		}
	}
	file := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	os.WriteFile(file, []byte(rules.String()), 0o644)
	promtool(t, "check", "rules", file)
	t.Logf("%d panel queries parse", n)
}

// The rules and the dashboard use only metrics the agent exports.
func TestMetricsExist(t *testing.T) {
	var src strings.Builder
	files, _ := filepath.Glob("../internal/agent/*.go")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		src.Write(b)
	}
	name := regexp.MustCompile(`keaops_[a-z_]+`)
	for _, f := range []string{"keaops-alerts.yml", "keaops-dashboard.json"} {
		b, _ := os.ReadFile(f)
		var used []string
		for _, m := range name.FindAllString(string(b), -1) {
			if !slices.Contains(used, m) {
				used = append(used, m)
			}
		}
		for _, m := range used {
			// Named whole, or through the agent's counter helper ("applies_total").
			short, agent := strings.CutPrefix(m, "keaops_agent_")
			if !strings.Contains(src.String(), `"`+m+`"`) && !(agent && strings.Contains(src.String(), `"`+short+`"`)) {
				t.Errorf("%s uses %s, which keaops-agent does not export", f, m)
			}
		}
		if len(used) == 0 {
			t.Errorf("%s uses no keaops metric", f)
		}
	}
}
