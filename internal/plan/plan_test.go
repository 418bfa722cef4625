package plan_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keaops/keaops/generators/kea"
	"github.com/keaops/keaops/internal/diff"
	"github.com/keaops/keaops/internal/keaapi"
	"github.com/keaops/keaops/internal/model"
	"github.com/keaops/keaops/internal/plan"
	"github.com/keaops/keaops/internal/validate"
	"github.com/keaops/keaops/sources/keaconfig"
	"github.com/keaops/keaops/sources/yamlsrc"
)

func homelab(t testing.TB) *model.Site {
	t.Helper()
	s, fs, err := yamlsrc.Load(context.Background(), filepath.Join("..", "..", "examples", "homelab", "keaops.yaml"))
	if err != nil || s == nil {
		t.Fatal(err, fs)
	}
	if fs = append(fs, validate.Site(s)...); fs.HasErrors() {
		t.Fatal(fs)
	}
	s.KeaVersion = model.Version{Major: 3, Minor: 0}
	return s
}

// rendered is the primary's Dhcp4 object for s, and it parsed back.
func rendered(t testing.TB, s *model.Site) (json.RawMessage, *model.Site) {
	t.Helper()
	nodes, err := kea.Render(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range nodes[0].Files {
		if f.Name == kea.Dhcp4File {
			raw, err := keaconfig.Unwrap(f.Data)
			if err != nil {
				t.Fatal(err)
			}
			p, err := keaconfig.Parse(raw, "rendered")
			if err != nil {
				t.Fatal(err)
			}
			return raw, p
		}
	}
	t.Fatal("no kea-dhcp4.json")
	return nil, nil
}

func byHost(s *model.Site, name string) *model.Reservation {
	for _, r := range s.Reservations {
		if r.Hostname == name {
			return r
		}
	}
	panic("no reservation " + name)
}

func input(t *testing.T, have, want *model.Site) plan.Input {
	t.Helper()
	in := plan.Input{Commands: append(slices.Clone(plan.Needed), "config-set")}
	in.Have, in.HaveSite = rendered(t, have)
	in.Want, in.WantSite = rendered(t, want)
	in.Changes = append(diff.Sites(in.HaveSite, in.WantSite), diff.Local(in.HaveSite, in.WantSite, have.Nodes[0].Name)...)
	return in
}

// TestFor: which changes go live, and why the others need config-set.
func TestFor(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(s *model.Site)
		input  func(in *plan.Input)
		method plan.Method
		// commands is the live plan's command sequence; reason a substring
		// of the config-set reason.
		commands []string
		reason   string
	}{
		{name: "no change", edit: func(*model.Site) {}, method: plan.None},
		{name: "a reservation added", edit: func(s *model.Site) {
			s.Reservations = append(s.Reservations, &model.Reservation{Hostname: "new", HWAddress: "02:00:00:00:00:99", IP: netip.MustParseAddr("10.10.0.99")})
		}, method: plan.Live, commands: []string{"subnet4-update", "reservation-add"}},
		{name: "a reservation moved", edit: func(s *model.Site) { byHost(s, "nas").IP = netip.MustParseAddr("10.10.0.21") },
			method: plan.Live, commands: []string{"subnet4-update", "reservation-update"}},
		{name: "a reservation removed", edit: func(s *model.Site) { s.Reservations = slices.Delete(s.Reservations, 0, 1) },
			method: plan.Live, commands: []string{"reservation-del", "subnet4-update"}},
		{name: "two hosts swap addresses", edit: func(s *model.Site) {
			a, b := byHost(s, "proxmox-1"), byHost(s, "proxmox-2")
			a.IP, b.IP = b.IP, a.IP
		}, method: plan.Live, commands: []string{"reservation-del", "subnet4-update", "reservation-update", "reservation-add"}},
		{name: "a pool changes", edit: func(s *model.Site) { s.Subnets[0].Pools[0].To = s.Subnets[0].Pools[0].To.Prev() },
			method: plan.Live, commands: []string{"subnet4-update"}},
		{name: "a subnet option changes", edit: func(s *model.Site) {
			s.Subnets[0].Options = append(s.Subnets[0].Options, &model.Option{Name: "domain-name", Values: []string{"lab.example"}})
		}, method: plan.Live, commands: []string{"subnet4-update"}},
		{name: "a global option changes", edit: func(s *model.Site) {
			s.Defaults.Options = append(s.Defaults.Options, &model.Option{Name: "ntp-servers", Values: []string{"10.10.0.53"}})
		}, method: plan.ConfigSet, reason: "a global setting changes"},
		{name: "a subnet is added", edit: func(s *model.Site) {
			s.Subnets = append(s.Subnets, &model.Subnet{ID: 999, Name: "new", Prefix: netip.MustParsePrefix("10.99.0.0/24")})
		}, method: plan.ConfigSet, reason: "a subnet is added or removed"},
		{name: "the node lacks the hooks", edit: func(s *model.Site) { byHost(s, "nas").IP = netip.MustParseAddr("10.10.0.21") },
			input: func(in *plan.Input) { in.Commands = []string{"config-set", "reservation-add"} }, method: plan.ConfigSet, reason: "has not loaded host_cmds and subnet_cmds"},
		{name: "the node's commands are unknown", edit: func(s *model.Site) { byHost(s, "nas").IP = netip.MustParseAddr("10.10.0.21") },
			input: func(in *plan.Input) { in.Commands = nil }, method: plan.ConfigSet, reason: "unknown"},
		{name: "a node keaops never configured", edit: func(s *model.Site) { byHost(s, "nas").IP = netip.MustParseAddr("10.10.0.21") },
			input: func(in *plan.Input) { in.HaveSite.Recorded = model.Record{} }, method: plan.ConfigSet, reason: "no keaops record"},
		{name: "a drifted node", edit: func(s *model.Site) { byHost(s, "nas").IP = netip.MustParseAddr("10.10.0.21") },
			input: func(in *plan.Input) { in.HaveSite.Reservations = in.HaveSite.Reservations[1:] }, method: plan.ConfigSet, reason: "drift"},
		{name: "globals rendered differently", edit: func(s *model.Site) { byHost(s, "nas").IP = netip.MustParseAddr("10.10.0.21") },
			input: func(in *plan.Input) { in.WantSite.Recorded.Render = "sha256:other" }, method: plan.ConfigSet, reason: "as rendered differ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			have, want := homelab(t), homelab(t)
			tc.edit(want)
			in := input(t, have, want)
			if tc.input != nil {
				tc.input(&in)
			}
			p, err := plan.For(in)
			if err != nil {
				t.Fatal(err)
			}
			if p.Method != tc.method || !strings.Contains(p.Reason, tc.reason) {
				t.Fatalf("plan %s (%s), want %s (%s)", p.Method, p.Reason, tc.method, tc.reason)
			}
			var got []string
			for _, s := range p.Steps {
				got = append(got, s.Command)
			}
			if !slices.Equal(got, tc.commands) {
				t.Errorf("commands %q, want %q", got, tc.commands)
			}
		})
	}
}

// fakeHosts keeps hosts the way Kea's host_cmds do, traps included: an
// update rejected for a duplicate address deletes the host.
type fakeHosts struct {
	hosts   map[string]string // "subnet/type/id" → ip
	subnets map[uint32]string // id → the last subnet4-update, as JSON
	failAt  int               // the command number (1-based) to reject; 0 none
	sent    int
}

func newFake(t *testing.T, raw json.RawMessage) *fakeHosts {
	f := &fakeHosts{hosts: map[string]string{}, subnets: map[uint32]string{}}
	var c struct {
		Subnets []struct {
			ID    uint32 `json:"id"`
			Hosts []struct {
				HW string `json:"hw-address"`
				IP string `json:"ip-address"`
			} `json:"reservations"`
		} `json:"subnet4"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	for _, sn := range c.Subnets {
		f.subnets[sn.ID] = "rendered"
		for _, h := range sn.Hosts {
			mac, _ := model.ParseMAC(h.HW)
			f.hosts[fmt.Sprintf("%d/hw-address/%s", sn.ID, mac)] = h.IP
		}
	}
	return f
}

func (f *fakeHosts) holder(subnet uint32, ip string) string {
	for k, v := range f.hosts {
		if strings.HasPrefix(k, fmt.Sprint(subnet)+"/") && v == ip {
			return k
		}
	}
	return ""
}

func (f *fakeHosts) Command(_ context.Context, cmd string, args any) (json.RawMessage, error) {
	f.sent++
	if f.sent == f.failAt {
		return nil, errors.New("injected failure")
	}
	b, _ := json.Marshal(args)
	var a struct {
		Reservation struct {
			Subnet uint32 `json:"subnet-id"`
			HW     string `json:"hw-address"`
			IP     string `json:"ip-address"`
		} `json:"reservation"`
		Subnet  uint32 `json:"subnet-id"`
		Type    string `json:"identifier-type"`
		ID      string `json:"identifier"`
		Subnet4 []struct {
			ID uint32 `json:"id"`
		} `json:"subnet4"`
	}
	json.Unmarshal(b, &a)
	r := a.Reservation
	key := fmt.Sprintf("%d/hw-address/%s", r.Subnet, r.HW)
	switch cmd {
	case "reservation-add":
		if _, ok := f.hosts[key]; ok || f.holder(r.Subnet, r.IP) != "" {
			return nil, errors.New("duplicate")
		}
		f.hosts[key] = r.IP
	case "reservation-update":
		if _, ok := f.hosts[key]; !ok {
			return nil, errors.New("not found")
		}
		if h := f.holder(r.Subnet, r.IP); h != "" && h != key {
			delete(f.hosts, key) // Kea's trap
			return nil, errors.New("There's already a reservation for this address")
		}
		f.hosts[key] = r.IP
	case "reservation-del", "reservation-get":
		key = fmt.Sprintf("%d/%s/%s", a.Subnet, a.Type, a.ID)
		if _, ok := f.hosts[key]; !ok {
			return nil, &keaapi.Error{Command: cmd, Result: keaapi.ResultEmpty}
		}
		if cmd == "reservation-del" {
			delete(f.hosts, key)
		}
	case "subnet4-update":
		f.subnets[a.Subnet4[0].ID] = string(b)
	default:
		return nil, fmt.Errorf("unexpected %s", cmd)
	}
	return nil, nil
}

func hostsOf(t *testing.T, raw json.RawMessage) map[string]string { return newFake(t, raw).hosts }

// TestRunAndUndo: a plan with every kind of host change, failed at every
// one of its commands in turn, is taken back to exactly what ran; run to
// the end, it leaves exactly what was rendered.
func TestRunAndUndo(t *testing.T) {
	have, want := homelab(t), homelab(t)
	a, b := byHost(want, "proxmox-1"), byHost(want, "proxmox-2")
	a.IP, b.IP = b.IP, a.IP
	byHost(want, "nas").IP = netip.MustParseAddr("10.10.0.21")
	want.Reservations = slices.DeleteFunc(want.Reservations, func(r *model.Reservation) bool { return r.Hostname == "pihole" })
	want.Reservations = append(want.Reservations, &model.Reservation{Hostname: "new", HWAddress: "02:00:00:00:00:99", IP: netip.MustParseAddr("10.10.0.53")})
	in := input(t, have, want)
	p, err := plan.For(in)
	if err != nil || p.Method != plan.Live {
		t.Fatal(p, err)
	}
	before, after := hostsOf(t, in.Have), hostsOf(t, in.Want)
	for failAt := 0; failAt <= len(p.Steps); failAt++ {
		t.Run(fmt.Sprintf("fail at %d of %d", failAt, len(p.Steps)), func(t *testing.T) {
			f := newFake(t, in.Have)
			f.failAt = failAt
			done, err := plan.Run(context.Background(), f, p.Steps, nil)
			if failAt == 0 {
				if err != nil || done != len(p.Steps) {
					t.Fatalf("Run: %d done, %v", done, err)
				}
				if !maps.Equal(f.hosts, after) {
					t.Fatalf("after the plan: %v\nwant %v", f.hosts, after)
				}
				return
			}
			if err == nil || done != failAt-1 {
				t.Fatalf("Run with command %d failing: %d done, %v", failAt, done, err)
			}
			f.failAt = 0
			if err := plan.Undo(context.Background(), f, p.Steps, done, nil); err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(f.hosts, before) {
				t.Fatalf("after the undo: %v\nwant %v", f.hosts, before)
			}
			for id, last := range f.subnets {
				if last != "rendered" && !strings.Contains(last, recordOf(in.HaveSite, id)) {
					t.Errorf("subnet %d was left on %s", id, last)
				}
			}
		})
	}
}

func recordOf(s *model.Site, id uint32) string {
	for _, sn := range s.Subnets {
		if sn.ID == id {
			return sn.Recorded.Render
		}
	}
	return "no such subnet"
}

// TestUpdateTrap: a host on the node that keaops does not know holds the
// new address; Kea rejects the update and deletes the host, and Run puts
// it back and says so.
func TestUpdateTrap(t *testing.T) {
	have, want := homelab(t), homelab(t)
	byHost(want, "nas").IP = netip.MustParseAddr("10.10.0.40")
	in := input(t, have, want)
	p, err := plan.For(in)
	if err != nil {
		t.Fatal(err)
	}
	f := newFake(t, in.Have)
	nas := ""
	for k, ip := range f.hosts {
		if ip == "10.10.0.20" {
			nas = k
		}
	}
	f.hosts[strings.Replace(nas, "3c:ec:ef:12:34:56", "02:00:00:00:00:40", 1)] = "10.10.0.40"
	done, err := plan.Run(context.Background(), f, p.Steps, nil)
	if err == nil || !strings.Contains(err.Error(), "it was restored") {
		t.Fatalf("Run: %d done, %v", done, err)
	}
	if f.hosts[nas] != "10.10.0.20" {
		t.Fatalf("nas after the trap: %q (hosts %v)", f.hosts[nas], f.hosts)
	}
	if err := plan.Undo(context.Background(), f, p.Steps, done, nil); err != nil {
		t.Fatal(err)
	}
}

// resettable is a fakeHosts with a hash and a config-set.
type resettable struct {
	*fakeHosts
	hash string
	sets int
}

func (r *resettable) ConfigHash(context.Context) (string, error) { return r.hash, nil }
func (r *resettable) ConfigSet(context.Context, json.RawMessage) (string, error) {
	r.sets++
	return "", nil
}

// TestRestore: the inverses suffice when Kea's hash says so (or there is
// no hash, 2.2); a failed inverse or a hash that does not match falls back
// to config-set of the previous config.
func TestRestore(t *testing.T) {
	have, want := homelab(t), homelab(t)
	byHost(want, "nas").IP = netip.MustParseAddr("10.10.0.21")
	in := input(t, have, want)
	p, err := plan.For(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name           string
		prevHash, hash string
		failUndo       bool
		configSet      bool
	}{
		{"hash matches", "AB", "ab", false, false},
		{"no hash (2.2)", "", "", false, false},
		{"hash differs", "AB", "CD", false, true},
		{"an inverse fails", "AB", "ab", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &resettable{fakeHosts: newFake(t, in.Have), hash: tc.hash}
			done, err := plan.Run(context.Background(), r, p.Steps, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.failUndo {
				r.failAt = r.sent + 1
			}
			set, err := plan.Restore(context.Background(), r, p.Steps, done, tc.prevHash, in.Have, nil)
			if err != nil || set != tc.configSet || r.sets != map[bool]int{true: 1, false: 0}[tc.configSet] {
				t.Errorf("Restore: config-set %v (%d sent), %v; want config-set %v", set, r.sets, err, tc.configSet)
			}
		})
	}
}
