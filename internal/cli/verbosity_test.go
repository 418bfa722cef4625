package cli

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// -q and --verbose decide what goes to stderr besides results and errors.
func TestVerbosity(t *testing.T) {
	s := northNetBox(t) // three objects a page: every list is read in pages
	site := northSite(t, s)
	t.Setenv("KEA_API_PASSWORD", "secret")
	notKea := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notKea.Close)
	for _, tc := range []struct {
		name   string
		args   []string
		want   []string
		absent []string
	}{
		{"progress by default", []string{"check", "-s", site, "--netbox-live"},
			[]string{`msg="reading NetBox" endpoint=ipam/ip-addresses`, "9 reservations"}, []string{"level=DEBUG"}},
		{"-q: results only", []string{"-q", "check", "-s", site, "--netbox-live"},
			[]string{"9 reservations"}, []string{"reading NetBox", "level=INFO"}},
		{"--verbose: each NetBox request", []string{"check", "--verbose", "-s", site, "--netbox-live"},
			[]string{"level=DEBUG", "/api/ipam/ip-addresses/", "9 reservations"}, nil},
		{"--verbose: each Kea command", []string{"status", "--verbose", "-s", site, "--endpoint", "kea-north-1=" + notKea.URL, "--endpoint", "kea-north-2=" + notKea.URL},
			[]string{`level=DEBUG msg="kea command" node=kea-north-1 command=`, "version-get: HTTP 404"}, nil},
		{"status without --verbose", []string{"status", "-s", site, "--endpoint", "kea-north-1=" + notKea.URL, "--endpoint", "kea-north-2=" + notKea.URL},
			[]string{"version-get: HTTP 404"}, []string{"kea command"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, out := run(t, tc.args...)
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("no %q in:\n%s", w, out)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(out, a) {
					t.Errorf("%q in:\n%s", a, out)
				}
			}
		})
	}
	if code, out := run(t, "-q", "--verbose", "check", "-s", site); code != ExitProblems || !strings.Contains(out, "quiet") {
		t.Errorf("-q with --verbose: exit %d\n%s", code, out)
	}
}
