// Package netboxtest is an in-process NetBox 4.x REST API for tests: it
// serves realistic objects (the shape NetBox 4.3 returns, with URLs, brief
// nested objects, tags, custom fields and timestamps), applies the query
// filters keaops uses the way NetBox does, caps page sizes like
// MAX_PAGE_SIZE, and can be told to fail: a wrong token, server errors,
// malformed bodies, latency. NetBox itself cannot run here.
package netboxtest

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Obj is one NetBox object as its JSON.
type Obj = map[string]any

// Server is a fake NetBox. Fill its lists (with the constructors below),
// then Start it.
type Server struct {
	Token       string
	MaxPageSize int
	// Latency is added to every request, as a network and NetBox would.
	Latency time.Duration
	// Fail answers the next Fail requests with 502, as a proxy in front of
	// a restarting NetBox does.
	Fail atomic.Int32
	// Malformed, when set, is served for the endpoint it names (e.g.
	// "ipam/ip-ranges") instead of a page.
	Malformed map[string]string
	// NextBase is the origin "next" links name, as a NetBox behind a
	// misconfigured proxy names another host; default: the server's own.
	NextBase string
	// OnPage, when set, runs before each page is served (with the
	// endpoint and offset), e.g. to edit the data mid-read.
	OnPage func(endpoint string, offset int)

	mu      sync.Mutex
	Objects map[string][]Obj // by endpoint: "ipam/prefixes", ...

	Requests    atomic.Int32
	inFlight    atomic.Int32
	MaxInFlight atomic.Int32
	// Queries records each request's path and query, for tests that check
	// what keaops asked for.
	queries []string

	frozen map[string]*frozenList

	srv *httptest.Server
	URL string
}

// New returns an empty server that accepts token.
func New(token string) *Server {
	return &Server{Token: token, MaxPageSize: 1000, Objects: map[string][]Obj{}}
}

// Start serves on 127.0.0.1 until the test ends.
func (s *Server) Start(t testing.TB) *Server {
	s.srv = httptest.NewServer(s)
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// StartTLS serves HTTPS on 127.0.0.1 with a self-signed certificate, as a
// NetBox with a private CA does; CAFile is that certificate in PEM.
func (s *Server) StartTLS(t testing.TB) (srv *Server, caFile string) {
	s.srv = httptest.NewTLSServer(s)
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	caFile = filepath.Join(t.TempDir(), "netbox-ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return s, caFile
}

// Add appends objects to an endpoint's list.
func (s *Server) Add(endpoint string, objs ...Obj) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Objects[endpoint] = append(s.Objects[endpoint], objs...)
}

// Queries returns the requests served so far.
func (s *Server) Queries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.queries)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.Requests.Add(1)
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.MaxInFlight.Load()
		if n <= m || s.MaxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	s.mu.Lock()
	s.queries = append(s.queries, r.URL.RequestURI())
	s.mu.Unlock()
	if s.Latency > 0 {
		time.Sleep(s.Latency)
	}
	w.Header().Set("Content-Type", "application/json")
	if got := r.Header.Get("Authorization"); got != "Token "+s.Token && got != "Bearer "+s.Token {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"detail":"Invalid token"}`)
		return
	}
	if s.Fail.Load() > 0 && s.Fail.Add(-1) >= 0 {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
		return
	}
	endpoint := strings.Trim(strings.TrimPrefix(r.URL.Path, "/api/"), "/")
	if body, ok := s.Malformed[endpoint]; ok {
		fmt.Fprint(w, body)
		return
	}
	all, known := s.entries(endpoint)
	if !known && !knownEndpoints[endpoint] {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"detail":"Not found."}`)
		return
	}
	q := r.URL.Query()
	var parents []netip.Prefix
	for _, p := range q["parent"] {
		if pfx, err := netip.ParsePrefix(p); err == nil {
			parents = append(parents, pfx)
		}
	}
	var sel []*entry
	for _, e := range s.candidates(endpoint, all, q) {
		if matches(endpoint, e, q, parents) {
			sel = append(sel, e)
		}
	}
	slices.SortStableFunc(sel, func(a, b *entry) int { return int(num(a.obj["id"]) - num(b.obj["id"])) })
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > s.MaxPageSize {
		limit = s.MaxPageSize
	}
	offset, _ := strconv.Atoi(q.Get("offset"))
	if s.OnPage != nil {
		s.OnPage(endpoint, offset)
	}
	end := min(offset+limit, len(sel))
	next := "null"
	if end < len(sel) {
		base := s.NextBase
		if base == "" {
			base = s.URL
		}
		next = fmt.Sprintf(`"%s/api/%s/?limit=%d&offset=%d"`, base, endpoint, limit, end)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"count":%d,"next":%s,"previous":null,"results":[`, len(sel), next)
	for i := offset; i < end; i++ {
		if i > offset {
			b.WriteByte(',')
		}
		b.Write(sel[i].json())
	}
	b.WriteString("]}\n")
	w.Write(b.Bytes())
}

// entry is an object with what serving it needs, computed once when the
// server is frozen and per request otherwise (tests edit objects in
// place between requests).
type entry struct {
	obj   Obj
	raw   []byte
	addrs []netip.Addr
}

func newEntry(endpoint string, o Obj) *entry {
	e := &entry{obj: o}
	var texts []string
	switch endpoint {
	case "ipam/ip-addresses":
		texts = []string{str(o["address"])}
	case "ipam/ip-ranges":
		texts = []string{str(o["start_address"]), str(o["end_address"])}
	}
	for _, t := range texts {
		if p, err := netip.ParsePrefix(t); err == nil {
			e.addrs = append(e.addrs, p.Addr())
		}
	}
	return e
}

func (e *entry) json() []byte {
	if e.raw != nil {
		return e.raw
	}
	b, _ := json.Marshal(e.obj)
	return b
}

func (s *Server) entries(endpoint string) ([]*entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.frozen[endpoint]; ok {
		return f.all, true
	}
	objs, ok := s.Objects[endpoint]
	out := make([]*entry, len(objs))
	for i, o := range objs {
		out[i] = newEntry(endpoint, o)
	}
	return out, ok
}

// candidates narrows a listing by id or assigned interface through the
// frozen index, so a benchmark's thousands of MAC lookups do not each
// scan every object; matches still applies every filter.
func (s *Server) candidates(endpoint string, all []*entry, q map[string][]string) []*entry {
	s.mu.Lock()
	f := s.frozen[endpoint]
	s.mu.Unlock()
	if f == nil {
		return all
	}
	if parents := q["parent"]; len(parents) > 0 && len(f.byAddr) > 0 {
		seen := map[*entry]bool{}
		var out []*entry
		for _, p := range parents {
			pfx, err := netip.ParsePrefix(p)
			if err != nil {
				continue
			}
			pfx = pfx.Masked()
			i, _ := slices.BinarySearchFunc(f.byAddr, pfx.Addr(), func(e *entry, a netip.Addr) int { return e.addrs[0].Compare(a) })
			for ; i < len(f.byAddr) && pfx.Contains(f.byAddr[i].addrs[0]); i++ {
				if e := f.byAddr[i]; !seen[e] {
					seen[e] = true
					out = append(out, e)
				}
			}
		}
		return out
	}
	for _, key := range []string{"interface_id", "vminterface_id", "id"} {
		if vals, ok := q[key]; ok {
			var out []*entry
			for _, v := range vals {
				out = append(out, f.index[key+"="+v]...)
			}
			return out
		}
	}
	return all
}

type frozenList struct {
	all   []*entry
	index map[string][]*entry
	// byAddr holds the entries with addresses, by their first one.
	byAddr []*entry
}

// Freeze precomputes every object's JSON and an index, for benchmarks:
// the server then costs little next to the client it serves. Objects must
// not change afterwards.
func (s *Server) Freeze() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frozen = map[string]*frozenList{}
	for endpoint, objs := range s.Objects {
		f := &frozenList{index: map[string][]*entry{}}
		for _, o := range objs {
			e := newEntry(endpoint, o)
			e.raw, _ = json.Marshal(o)
			f.all = append(f.all, e)
			if len(e.addrs) > 0 {
				f.byAddr = append(f.byAddr, e)
			}
			id := strconv.Itoa(int(num(o["id"])))
			f.index["id="+id] = append(f.index["id="+id], e)
			aid := strconv.Itoa(int(num(o["assigned_object_id"])))
			switch str(o["assigned_object_type"]) {
			case "dcim.interface":
				f.index["interface_id="+aid] = append(f.index["interface_id="+aid], e)
			case "virtualization.vminterface":
				f.index["vminterface_id="+aid] = append(f.index["vminterface_id="+aid], e)
			}
		}
		slices.SortFunc(f.byAddr, func(a, b *entry) int { return a.addrs[0].Compare(b.addrs[0]) })
		s.frozen[endpoint] = f
	}
}

var knownEndpoints = map[string]bool{
	"ipam/prefixes": true, "ipam/ip-ranges": true, "ipam/ip-addresses": true,
	"dcim/mac-addresses": true, "dcim/interfaces": true, "virtualization/interfaces": true,
}

// matches applies the NetBox filters keaops sends.
func matches(endpoint string, e *entry, q map[string][]string, parents []netip.Prefix) bool {
	o := e.obj
	for key, vals := range q {
		switch key {
		case "limit", "offset", "ordering", "brief":
			continue
		case "family":
			if strconv.Itoa(int(num(sub(o, "family")["value"]))) != vals[0] {
				return false
			}
		case "status":
			if !slices.Contains(vals, str(sub(o, "status")["value"])) {
				return false
			}
		case "role":
			if !slices.Contains(vals, str(sub(o, "role")["slug"])) {
				return false
			}
		case "tag": // every tag
			var have []string
			for _, t := range list(o["tags"]) {
				have = append(have, str(t.(Obj)["slug"]))
			}
			for _, v := range vals {
				if !slices.Contains(have, v) {
					return false
				}
			}
		case "site":
			if str(o["scope_type"]) != "dcim.site" || !slices.Contains(vals, str(sub(o, "scope")["slug"])) {
				return false
			}
		case "vrf":
			if !slices.Contains(vals, str(sub(o, "vrf")["rd"])) {
				return false
			}
		case "id":
			if !slices.Contains(vals, strconv.Itoa(int(num(o["id"])))) {
				return false
			}
		case "interface_id", "vminterface_id":
			typ := map[string]string{"interface_id": "dcim.interface", "vminterface_id": "virtualization.vminterface"}[key]
			if str(o["assigned_object_type"]) != typ || !slices.Contains(vals, strconv.Itoa(int(num(o["assigned_object_id"])))) {
				return false
			}
		case "parent":
			if !inAny(e.addrs, parents) {
				return false
			}
		default:
			// NetBox ignores filters it does not know; a test server that
			// did too would hide a keaops bug.
			panic(fmt.Sprintf("netboxtest: filter %q on %s is not implemented", key, endpoint))
		}
	}
	return true
}

func inAny(addrs []netip.Addr, parents []netip.Prefix) bool {
	if len(addrs) == 0 {
		return false
	}
	for _, pfx := range parents {
		in := true
		for _, a := range addrs {
			in = in && pfx.Contains(a)
		}
		if in {
			return true
		}
	}
	return false
}

func sub(o Obj, key string) Obj { m, _ := o[key].(Obj); return m }
func str(v any) string          { s, _ := v.(string); return s }
func list(v any) []any          { l, _ := v.([]any); return l }
func num(v any) int64 {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case int64:
		return x
	case float64:
		return int64(x)
	}
	return 0
}
