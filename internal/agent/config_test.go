package agent

import (
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	good := `node: kea-primary
source:
  git: {url: "https://git.example.org/net/rendered.git", token-file: /etc/keaops/git-token}
kea:
  control: unix:///run/kea/kea4-ctrl-socket
  config-file: /etc/kea/kea-dhcp4.json
interval: 30s
ha: {wait-for: "http://10.10.10.11:10547/", timeout: 2m}
`
	c, err := ParseConfig([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if c.Interval.Duration != 30*time.Second || c.Source.Git.Branch != "keaops-rendered" || c.Listen != "127.0.0.1:10547" || c.Drift != "correct" || c.HA.Timeout.Duration != 2*time.Minute {
		t.Errorf("config = %+v", c)
	}
	for _, tc := range []struct{ in, want string }{
		{strings.Replace(good, "interval:", "intervall:", 1), "field intervall not found"},
		{strings.Replace(good, "30s", "soon", 1), `"soon" is not a duration`},
		{"kea: {control: x}\n", "node: required"},
		{good + "drift: fix\n", `drift: "fix": want correct or report`},
		{strings.Replace(good, "source:\n  git:", "source:\n  dir: /x\n  git:", 1), "set exactly one of git or dir"},
		{strings.Replace(good, "interval: 30s", "interval: 10ms", 1), "too short"},
		{"node: [", "decoding"},
	} {
		if _, err := ParseConfig([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("node: a\nsource: {dir: /x}\nkea: {control: unix:///s, config-file: /c}\n"))
	f.Add([]byte("interval: 1h\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseConfig(b) // must not panic
	})
}
