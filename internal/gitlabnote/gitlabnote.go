// Package gitlabnote keeps one note of keaops's on a GitLab merge request:
// the first pipeline creates it, every later one edits it, so a merge
// request shows the current plan once instead of one note per push. The
// note is found by a marker (an HTML comment GitLab does not render) in
// its body, through GitLab's REST API.
package gitlabnote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// maxPages bounds the search for the note: 100 pages of 100 notes.
const maxPages = 100

// MR is a merge request: its project (an id or a path) and its iid.
type MR struct {
	Project string
	IID     int
}

// Client talks to one GitLab API (CI_API_V4_URL) with one token.
type Client struct {
	api   *url.URL
	token string
	http  *http.Client
}

// New returns a client for the API at apiURL ("https://gitlab.example.org/api/v4").
func New(apiURL, token string, timeout time.Duration, log *slog.Logger) (*Client, error) {
	u, err := url.Parse(strings.TrimSuffix(apiURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("GitLab API URL %q: want http(s)://host/api/v4 (CI_API_V4_URL)", apiURL)
	}
	if token == "" {
		return nil, errors.New("no GitLab token: a project or personal access token with the api scope")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rc := retryablehttp.NewClient()
	rc.RetryMax = 3
	rc.HTTPClient.Timeout = timeout
	rc.Logger = slogAdapter{log}
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	return &Client{api: u, token: token, http: rc.StandardClient()}, nil
}

type note struct {
	ID     int    `json:"id"`
	Body   string `json:"body"`
	System bool   `json:"system"`
}

// Marker is what identifies keaops's note of a kind ("plan") in its body.
func Marker(key string) string { return "<!-- keaops:" + key + " -->" }

// Result says which note now holds the body.
type Result struct {
	ID      int
	Created bool
}

// Upsert puts body in the merge request's note marked with key: the
// newest such note is edited, or a new one made.
func (c *Client) Upsert(ctx context.Context, mr MR, key, body string) (Result, error) {
	marker := Marker(key)
	if !strings.Contains(body, marker) {
		body = marker + "\n" + body
	}
	notes := c.path("projects", mr.Project, "merge_requests", strconv.Itoa(mr.IID), "notes")
	found := 0
	for page := 1; page != 0; {
		if page > maxPages {
			return Result{}, fmt.Errorf("merge request !%d has over %d notes: keaops stopped looking for its own", mr.IID, maxPages*100)
		}
		var batch []note
		next, err := c.do(ctx, http.MethodGet, notes+"?sort=asc&order_by=created_at&per_page=100&page="+strconv.Itoa(page), nil, &batch)
		if err != nil {
			return Result{}, fmt.Errorf("reading the notes of !%d: %w", mr.IID, err)
		}
		for _, n := range batch {
			if !n.System && strings.Contains(n.Body, marker) {
				found = n.ID // ascending: the last one is the newest
			}
		}
		page = next
	}
	payload := map[string]string{"body": body}
	var out note
	if found != 0 {
		if _, err := c.do(ctx, http.MethodPut, notes+"/"+strconv.Itoa(found), payload, &out); err != nil {
			return Result{}, fmt.Errorf("editing note %d of !%d: %w", found, mr.IID, err)
		}
		return Result{ID: out.ID}, nil
	}
	if _, err := c.do(ctx, http.MethodPost, notes, payload, &out); err != nil {
		return Result{}, fmt.Errorf("adding a note to !%d: %w", mr.IID, err)
	}
	return Result{ID: out.ID, Created: true}, nil
}

// path joins escaped segments under the API: a project path such as
// group/site becomes one segment (group%2Fsite), as GitLab wants it.
func (c *Client) path(segments ...string) string {
	p := c.api.EscapedPath()
	for _, s := range segments {
		p += "/" + url.PathEscape(s)
	}
	return p
}

// do sends one request and decodes the answer into out; it returns
// GitLab's next page (0 on the last).
func (c *Client) do(ctx context.Context, method, pathAndQuery string, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		body = bytes.NewReader(b)
	}
	u := *c.api
	ref, err := url.Parse(pathAndQuery)
	if err != nil {
		return 0, err
	}
	u.Path, u.RawPath, u.RawQuery = ref.Path, ref.RawPath, ref.RawQuery
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("PRIVATE-TOKEN", c.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "keaops")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return 0, err
	}
	if resp.StatusCode/100 != 2 {
		return 0, statusError(resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return 0, fmt.Errorf("decoding GitLab's answer: %w", err)
	}
	next, _ := strconv.Atoi(resp.Header.Get("X-Next-Page"))
	return next, nil
}

// statusError says what GitLab said, and what usually causes it.
func statusError(code int, body []byte) error {
	var m struct {
		Message any `json:"message"`
		Error   string
	}
	_ = json.Unmarshal(body, &m)
	msg := m.Error
	if m.Message != nil {
		msg = fmt.Sprint(m.Message)
	}
	hint := map[int]string{
		http.StatusUnauthorized: " (the token is wrong or expired)",
		http.StatusForbidden:    " (the token lacks the api scope, or its user cannot comment here)",
		http.StatusNotFound:     " (no such project or merge request, or the token cannot see it)",
	}[code]
	return fmt.Errorf("GitLab answered %d %s: %s%s", code, http.StatusText(code), strings.TrimSpace(msg), hint)
}

// slogAdapter keeps retryablehttp's request log at debug.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Error(msg string, kv ...any) { a.l.Debug(msg, kv...) }
func (a slogAdapter) Info(msg string, kv ...any)  { a.l.Debug(msg, kv...) }
func (a slogAdapter) Debug(msg string, kv ...any) { a.l.Debug(msg, kv...) }
func (a slogAdapter) Warn(msg string, kv ...any)  { a.l.Debug(msg, kv...) }
