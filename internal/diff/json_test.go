package diff

import (
	"fmt"
	"strings"
	"testing"

	"github.com/keaops/keaops/sources/keaconfig"
)

func TestJSON(t *testing.T) {
	have := `{"valid-lifetime": 7200, "renew-timer": 900, "subnet4": [{"id": 1, "pools": [{"pool": "a"}]}],
	  "hooks-libraries": [{"parameters": {"peers": [{"basic-auth-password": "real-secret"}]}}], "kea-default": true}`
	want := `{"valid-lifetime": 3600, "subnet4": [{"id": 1, "pools": [{"pool": "a"}, {"pool": "b"}]}, {"id": 2}],
	  "hooks-libraries": [{"parameters": {"peers": [{"basic-auth-password": "${keaops-secret:env:X}"}]}}]}`
	got, err := JSON([]byte(have), []byte(want), false)
	if err != nil {
		t.Fatal(err)
	}
	wantLines := []string{
		`subnet4[id=1].pools[pool=b]: (absent) → {…}`,
		`subnet4[id=2]: (absent) → {…}`,
		`valid-lifetime: 7200 → 3600`,
	}
	if strings.Join(got, "\n") != strings.Join(wantLines, "\n") {
		t.Errorf("one way:\n%s", strings.Join(got, "\n"))
	}
	both, _ := JSON([]byte(have), []byte(want), true)
	if !strings.Contains(strings.Join(both, "\n"), "renew-timer: 900 → (absent)") {
		t.Errorf("both ways:\n%s", strings.Join(both, "\n"))
	}
	for _, l := range append(got, both...) {
		if strings.Contains(l, "real-secret") {
			t.Errorf("secret printed: %s", l)
		}
	}
	if _, err := JSON([]byte("{"), []byte("{}"), false); err == nil {
		t.Error("bad JSON accepted")
	}
}

// Lists of records are compared by identity: one reservation whose address
// changed, among twelve, is one difference, not one per later position.
func TestJSONByIdentity(t *testing.T) {
	res := func(changed int) string {
		var rs []string
		for i := range 12 {
			ip := 10 + i
			if i == changed {
				ip = 99
			}
			rs = append(rs, fmt.Sprintf(`{"hw-address": "02:00:00:00:00:%02x", "ip-address": "10.0.0.%d"}`, i, ip))
		}
		return `{"subnet4": [{"id": 7, "reservations": [` + strings.Join(rs, ",") + `]}]}`
	}
	got, err := JSON([]byte(res(-1)), []byte(res(3)), true)
	if err != nil {
		t.Fatal(err)
	}
	if want := `subnet4[id=7].reservations[hw-address=02:00:00:00:00:03].ip-address: "10.0.0.13" → "10.0.0.99"`; strings.Join(got, "\n") != want {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
	// Removing the first one is one removal, not a shift of every other.
	have := res(-1)
	want := strings.Replace(have, `{"hw-address": "02:00:00:00:00:00", "ip-address": "10.0.0.10"},`, "", 1)
	got, _ = JSON([]byte(have), []byte(want), true)
	if len(got) != 1 || !strings.HasPrefix(got[0], "subnet4[id=7].reservations[hw-address=02:00:00:00:00:00]: {…} → (absent)") {
		t.Errorf("removal:\n%s", strings.Join(got, "\n"))
	}
	// Entries without an identity (or sharing one) fall back to positions.
	got, _ = JSON([]byte(`{"interfaces": ["a", "b"]}`), []byte(`{"interfaces": ["a", "c"]}`), true)
	if strings.Join(got, "\n") != `interfaces[1]: "b" → "c"` {
		t.Errorf("strings: %v", got)
	}
}

func TestLocal(t *testing.T) {
	live := `{"interfaces-config": {"interfaces": ["eth0"]}, "control-socket": {"socket-type": "unix", "socket-name": "/run/kea/s"},
	  "lease-database": {"type": "memfile", "name": "/var/lib/kea/l.csv", "persist": true},
	  "loggers": [{"name": "kea-dhcp4", "output_options": [{"output": "/var/log/kea/k.log"}]}]}`
	rendered := strings.NewReplacer(`"eth0"`, `"eth1"`, "/var/lib/kea/l.csv", "/srv/l.csv").Replace(live)
	h, err := keaconfig.Parse([]byte(live), "live")
	if err != nil {
		t.Fatal(err)
	}
	w, _ := keaconfig.Parse([]byte(rendered), "rendered")
	var got []string
	for _, c := range Local(h, w, "solo") {
		got = append(got, c.String())
	}
	want := "~ node solo interfaces eth0 → eth1\n~ node solo lease-file /var/lib/kea/l.csv → /srv/l.csv"
	if strings.Join(got, "\n") != want {
		t.Errorf("Local:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
	if cs := Local(h, h, "solo"); len(cs) != 0 {
		t.Errorf("a config against itself: %v", cs)
	}
}
