package gitlabnote

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keaops/keaops/internal/gitlabtest"
)

func server(t *testing.T) (*gitlabtest.Server, *Client) {
	t.Helper()
	s := gitlabtest.New("glpat-test")
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL+"/api/v4", "glpat-test", 5*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

// The first pipeline adds the note; every later one edits it: one note,
// with the latest plan, whatever else was said on the merge request.
func TestUpsertKeepsOneNote(t *testing.T) {
	s, c := server(t)
	ctx := context.Background()
	mr := MR{Project: "net/dhcp", IID: 7}
	s.Add("net/dhcp", 7, "LGTM", false)
	first, err := c.Upsert(ctx, mr, "plan", "plan 1")
	if err != nil || !first.Created {
		t.Fatalf("first pipeline: %+v, %v", first, err)
	}
	// Enough notes since to put keaops's on another page than the newest.
	for i := range 150 {
		s.Add("net/dhcp", 7, fmt.Sprintf("comment %d", i), i%10 == 0)
	}
	second, err := c.Upsert(ctx, mr, "plan", "plan 2")
	if err != nil || second.Created || second.ID != first.ID {
		t.Fatalf("second pipeline: %+v, %v (first %+v)", second, err, first)
	}
	var ours []string
	for _, n := range s.Notes("net/dhcp", 7) {
		if strings.Contains(n.Body, Marker("plan")) {
			ours = append(ours, n.Body)
		}
	}
	if len(ours) != 1 || ours[0] != Marker("plan")+"\nplan 2" {
		t.Errorf("keaops's notes: %q", ours)
	}
	if n := s.Notes("net/dhcp", 7); n[0].Body != "LGTM" || len(n) != 152 {
		t.Errorf("others' notes changed: %d notes, first %q", len(n), n[0].Body)
	}
	// Another kind of note, and another merge request, are their own.
	if r, err := c.Upsert(ctx, mr, "render", "x"); err != nil || !r.Created {
		t.Errorf("another key: %+v %v", r, err)
	}
	if r, err := c.Upsert(ctx, MR{Project: "net/dhcp", IID: 8}, "plan", "x"); err != nil || !r.Created {
		t.Errorf("another MR: %+v %v", r, err)
	}
}

// A note that only quotes the marker in a system note is not keaops's.
func TestUpsertIgnoresSystemNotes(t *testing.T) {
	s, c := server(t)
	s.Add("1", 3, Marker("plan")+" mentioned in a commit", true)
	r, err := c.Upsert(context.Background(), MR{Project: "1", IID: 3}, "plan", "plan")
	if err != nil || !r.Created {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestUpsertErrors(t *testing.T) {
	_, c := server(t)
	bad, err := New(c.api.String(), "wrong", time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		c    *Client
		mr   MR
		want string
	}{
		{bad, MR{"1", 1}, "reading the notes of !1: GitLab answered 401 Unauthorized: 401 Unauthorized (the token is wrong or expired)"},
	} {
		if _, err := tc.c.Upsert(context.Background(), tc.mr, "plan", "x"); err == nil || err.Error() != tc.want {
			t.Errorf("err = %v\nwant %s", err, tc.want)
		}
	}
	for _, u := range []string{"", "gitlab.example.org", "ftp://gitlab/api/v4"} {
		if _, err := New(u, "t", time.Second, nil); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	if _, err := New("https://gitlab.example.org/api/v4", "", time.Second, nil); err == nil {
		t.Error("no token accepted")
	}
}
