package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/keaops/keaops/internal/artifact"
	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/version"
)

// checkFamilies are the families of checks keaops runs, so a JUnit report
// lists every one — passing ones too — whatever the findings.
var checkFamilies = []string{
	"yaml", "schema", "sources", "overrides", "subnet-prefix", "subnet-overlap", "subnet-name", "subnet-id",
	"pool", "pool-overlap", "pool-exhausted", "reservation", "reservation-ip", "reservation-subnet",
	"reservation-identifier", "reservation-hostname", "reservation-in-pool", "option", "gateway", "lifetime",
	"client-class", "node", "ha-node", "ha-mode", "ha-role", "ha-url", "ha-endpoint", "ha-multi-threading",
	"ha-timer", "secret", "lease-database", "kea-version", "render",
}

// writeReports writes each requested report ("junit=FILE",
// "codequality=FILE", "sarif=FILE") atomically.
func writeReports(specs []string, findings model.Findings) error {
	for _, spec := range specs {
		kind, file, ok := strings.Cut(spec, "=")
		if !ok || file == "" {
			return fmt.Errorf("--report %q: want KIND=FILE (junit, codequality or sarif)", spec)
		}
		var data []byte
		var err error
		switch kind {
		case "junit":
			data, err = junitReport(findings)
		case "codequality":
			data, err = codeQualityReport(findings)
		case "sarif":
			data, err = sarifReport(findings)
		default:
			return fmt.Errorf("--report %q: unknown kind %q (junit, codequality or sarif)", spec, kind)
		}
		if err != nil {
			return err
		}
		if err := artifact.WriteFileAtomic(file, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// relPath makes finding paths relative to the working directory, as CI
// systems expect paths relative to the repository root.
func relPath(p string) string {
	if p == "" {
		return p
	}
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(wd, abs); err == nil && filepath.IsLocal(rel) {
		return filepath.ToSlash(rel)
	}
	return p
}

type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// junitReport: one test case per check family; errors fail it, warnings
// are its output.
func junitReport(findings model.Findings) ([]byte, error) {
	families := slices.Clone(checkFamilies)
	for _, f := range findings {
		if !slices.Contains(families, f.Check) {
			families = append(families, f.Check)
		}
	}
	s := junitSuite{Name: "keaops check"}
	for _, fam := range families {
		c := junitCase{Name: fam, Classname: "keaops.check"}
		var errs, warns []string
		for _, f := range findings {
			if f.Check != fam {
				continue
			}
			line := relPath(f.Pos.File) + strings.TrimPrefix(f.Pos.String(), f.Pos.File) + ": " + f.Message
			if f.Severity == model.Error {
				errs = append(errs, line)
			} else {
				warns = append(warns, "warning: "+line)
			}
		}
		if len(errs) > 0 {
			c.Failure = &junitFailure{Message: errs[0], Text: strings.Join(errs, "\n")}
			s.Failures++
		}
		c.SystemOut = strings.Join(warns, "\n")
		s.Cases = append(s.Cases, c)
	}
	s.Tests = len(s.Cases)
	out, err := xml.MarshalIndent(s, "", "  ")
	return append([]byte(xml.Header), append(out, '\n')...), err
}

// codeQualityReport is GitLab's Code Quality format. Fingerprints leave
// out the line, so a finding keeps its identity when lines move above it.
func codeQualityReport(findings model.Findings) ([]byte, error) {
	type lines struct {
		Begin int `json:"begin"`
	}
	type location struct {
		Path  string `json:"path"`
		Lines lines  `json:"lines"`
	}
	type issue struct {
		Description string   `json:"description"`
		CheckName   string   `json:"check_name"`
		Fingerprint string   `json:"fingerprint"`
		Severity    string   `json:"severity"`
		Location    location `json:"location"`
	}
	out := []issue{}
	for _, f := range findings {
		sev := "major"
		if f.Severity == model.Warning {
			sev = "minor"
		}
		sum := sha256.Sum256([]byte(f.Check + "\x00" + relPath(f.Pos.File) + "\x00" + f.Message))
		out = append(out, issue{Description: f.Message, CheckName: "keaops/" + f.Check, Fingerprint: hex.EncodeToString(sum[:16]),
			Severity: sev, Location: location{Path: relPath(f.Pos.File), Lines: lines{Begin: max(f.Pos.Line, 1)}}})
	}
	return json.MarshalIndent(out, "", "  ")
}

// sarifReport is SARIF 2.1.0, for GitHub code scanning.
func sarifReport(findings model.Findings) ([]byte, error) {
	type rule struct {
		ID string `json:"id"`
	}
	type region struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn,omitempty"`
	}
	type physical struct {
		ArtifactLocation struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
		Region region `json:"region"`
	}
	type location struct {
		PhysicalLocation physical `json:"physicalLocation"`
	}
	type message struct {
		Text string `json:"text"`
	}
	type result struct {
		RuleID    string     `json:"ruleId"`
		Level     string     `json:"level"`
		Message   message    `json:"message"`
		Locations []location `json:"locations"`
	}
	var rules []rule
	results := []result{}
	for _, f := range findings {
		if !slices.ContainsFunc(rules, func(r rule) bool { return r.ID == f.Check }) {
			rules = append(rules, rule{ID: f.Check})
		}
		level := "error"
		if f.Severity == model.Warning {
			level = "warning"
		}
		var loc physical
		loc.ArtifactLocation.URI = relPath(f.Pos.File)
		loc.Region = region{StartLine: max(f.Pos.Line, 1), StartColumn: f.Pos.Col}
		results = append(results, result{RuleID: f.Check, Level: level, Message: message{Text: f.Message}, Locations: []location{{loc}}})
	}
	doc := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []any{map[string]any{
			"tool":    map[string]any{"driver": map[string]any{"name": "keaops", "version": version.String(), "informationUri": "https://github.com/keaops/keaops", "rules": rules}},
			"results": results,
		}},
	}
	return json.MarshalIndent(doc, "", "  ")
}
