// Package gitlabtest is a GitLab-shaped API for tests: merge request
// notes (list with GitLab's pagination headers, create, edit), behind a
// PRIVATE-TOKEN, as GitLab's REST API v4 answers them. GitLab itself
// cannot run here.
package gitlabtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Note is a merge request note as the API shows it.
type Note struct {
	ID     int    `json:"id"`
	Body   string `json:"body"`
	System bool   `json:"system"`
}

// Server holds the notes of every merge request, by "project!iid".
type Server struct {
	Token string
	// OnChange, when set, sees every note list after a change.
	OnChange func(mr string, notes []Note)

	mu    sync.Mutex
	notes map[string][]Note
	next  int
}

// New returns a server that accepts token.
func New(token string) *Server { return &Server{Token: token, notes: map[string][]Note{}, next: 100} }

// Add puts a note on a merge request, as someone else (or GitLab: system).
func (s *Server) Add(project string, iid int, body string, system bool) Note {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.add(project+"!"+strconv.Itoa(iid), body, system)
}

func (s *Server) add(mr, body string, system bool) Note {
	s.next++
	n := Note{ID: s.next, Body: body, System: system}
	s.notes[mr] = append(s.notes[mr], n)
	return n
}

// Notes are a merge request's notes, oldest first.
func (s *Server) Notes(project string, iid int) []Note {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.notes[project+"!"+strconv.Itoa(iid)])
}

// ServeHTTP answers /api/v4/projects/:id/merge_requests/:iid/notes[/:note_id].
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("PRIVATE-TOKEN") != s.Token {
		reply(w, http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"})
		return
	}
	// The escaped path: a project path is one segment (group%2Fsite).
	parts := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/api/v4/"), "/")
	if len(parts) < 5 || parts[0] != "projects" || parts[2] != "merge_requests" || parts[4] != "notes" {
		reply(w, http.StatusNotFound, map[string]string{"error": "404 Not Found"})
		return
	}
	project, _ := url.PathUnescape(parts[1])
	iid, err := strconv.Atoi(parts[3])
	if err != nil {
		reply(w, http.StatusNotFound, map[string]string{"message": "404 Merge Request Not Found"})
		return
	}
	mr := project + "!" + strconv.Itoa(iid)
	s.mu.Lock()
	defer s.mu.Unlock()
	var in struct{ Body string }
	switch {
	case len(parts) == 5 && r.Method == http.MethodGet:
		s.list(w, r, s.notes[mr])
	case len(parts) == 5 && r.Method == http.MethodPost:
		if json.NewDecoder(r.Body).Decode(&in) != nil || in.Body == "" {
			reply(w, http.StatusBadRequest, map[string]string{"message": "400 Bad request - body is missing"})
			return
		}
		reply(w, http.StatusCreated, s.add(mr, in.Body, false))
		s.changed(mr)
	case len(parts) == 6 && r.Method == http.MethodPut:
		id, _ := strconv.Atoi(parts[5])
		i := slices.IndexFunc(s.notes[mr], func(n Note) bool { return n.ID == id })
		if i < 0 {
			reply(w, http.StatusNotFound, map[string]string{"message": "404 Not found"})
			return
		}
		if json.NewDecoder(r.Body).Decode(&in) != nil || in.Body == "" {
			reply(w, http.StatusBadRequest, map[string]string{"message": "400 Bad request - body is missing"})
			return
		}
		s.notes[mr][i].Body = in.Body
		reply(w, http.StatusOK, s.notes[mr][i])
		s.changed(mr)
	default:
		reply(w, http.StatusMethodNotAllowed, map[string]string{"error": "405 Method Not Allowed"})
	}
}

func (s *Server) changed(mr string) {
	if s.OnChange != nil {
		s.OnChange(mr, slices.Clone(s.notes[mr]))
	}
}

// list pages as GitLab does: per_page (default 20, at most 100), page,
// and X-Next-Page empty on the last page.
func (s *Server) list(w http.ResponseWriter, r *http.Request, notes []Note) {
	per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	if per <= 0 {
		per = 20
	}
	per = min(per, 100)
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	from := min((page-1)*per, len(notes))
	to := min(from+per, len(notes))
	if to < len(notes) {
		w.Header().Set("X-Next-Page", strconv.Itoa(page+1))
	} else {
		w.Header().Set("X-Next-Page", "")
	}
	out := notes[from:to]
	if out == nil {
		out = []Note{}
	}
	reply(w, http.StatusOK, out)
}

func reply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
