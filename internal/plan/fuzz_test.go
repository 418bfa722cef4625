package plan_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"testing"
	"time"

	"github.com/keaops/keaops/internal/diff"
	"github.com/keaops/keaops/internal/plan"
	"github.com/keaops/keaops/sources/keaconfig"
)

// FuzzFor: whatever a node answers to config-get, planning against it
// returns a plan or an error, never a panic — and a live plan's steps all
// carry their inverse.
func FuzzFor(f *testing.F) {
	have, want := homelab(f), homelab(f)
	byHost(want, "nas").IP = netip.MustParseAddr("10.10.0.21")
	haveRaw, _ := rendered(f, have)
	wantRaw, wantSite := rendered(f, want)
	f.Add([]byte(haveRaw))
	f.Add([]byte(`{"subnet4": [{"id": 1, "subnet": "10.0.0.0/24", "reservations": [{"hw-address": "zz", "ip-address": "10.0.0.1"}]}]}`))
	f.Add([]byte(`{"subnet4": [{"id": "x"}], "user-context": {"keaops": {"fingerprint": "a", "render": "b"}}}`))
	f.Fuzz(func(t *testing.T, live []byte) {
		haveSite, err := keaconfig.Parse(live, "fuzz")
		if err != nil {
			return
		}
		in := plan.Input{Have: live, HaveSite: haveSite, Want: wantRaw, WantSite: wantSite, Commands: plan.Needed,
			Changes: append(diff.Sites(haveSite, wantSite), diff.Local(haveSite, wantSite, "kea-primary")...)}
		p, err := plan.For(in)
		if err != nil {
			return
		}
		for _, s := range p.Steps {
			if s.Undo == nil {
				t.Fatalf("step %q has no inverse", s.What)
			}
		}
	})
}

// answers is a Commander that answers every command with one reply.
type answers struct{ reply json.RawMessage }

func (a answers) Command(context.Context, string, any) (json.RawMessage, error) {
	return a.reply, nil
}

// FuzzLeaseNotes: whatever lease_cmds answers, the notes are made or an
// error returned, never a panic.
func FuzzLeaseNotes(f *testing.F) {
	f.Add([]byte(`{"leases": [{"ip-address": "10.10.0.99", "hw-address": "02:00:00:00:00:01", "cltt": 1, "valid-lft": 99999999999, "state": 0}]}`))
	f.Add([]byte(`{"ip-address": "10.10.0.21", "hw-address": "zz", "cltt": -5, "valid-lft": 3}`))
	f.Add([]byte(`[]`))
	have, want := homelab(f), homelab(f)
	byHost(want, "nas").IP = netip.MustParseAddr("10.10.0.21")
	f.Fuzz(func(t *testing.T, reply []byte) {
		_, _ = plan.LeaseNotes(context.Background(), answers{reply}, have, want, time.Unix(1e9, 0))
	})
}
