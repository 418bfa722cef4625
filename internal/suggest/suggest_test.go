package suggest

import "testing"

func TestClosest(t *testing.T) {
	cands := []string{"hw-address", "hostname", "ip-address", "client-id"}
	for _, tc := range []struct{ got, want string }{
		{"hw-adress", "hw-address"},
		{"ip-adress", "ip-address"},
		{"hostnme", "hostname"},
		{"colour", ""},
		{"", ""},
	} {
		if got := Closest(tc.got, cands, 3); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.got, got, tc.want)
		}
	}
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"same", "same", 0}} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
