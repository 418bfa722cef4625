package keaapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/keaops/keaops/internal/keatest"
)

func TestAgainstKea(t *testing.T) {
	keatest.Require(t)
	port := keatest.FreePort(t)
	node := keatest.SingleNode(t, port, "kea-api", "Pa55-word")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ca, err := New(Endpoint{URL: node.URL, Kind: ControlAgent, User: "kea-api", Password: "Pa55-word"})
	if err != nil {
		t.Fatal(err)
	}
	unix, err := New(Endpoint{URL: "unix://" + filepath.Join(node.Dirs.Run, "kea4-ctrl.sock")})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*Client{"control agent": ca, "unix socket": unix} {
		t.Run(name, func(t *testing.T) {
			v, err := c.Version(ctx)
			if err != nil || !strings.HasPrefix(v, "2.2") {
				t.Fatalf("version = %q, %v", v, err)
			}
			st, err := c.Status(ctx)
			if err != nil || st.PID == 0 {
				t.Fatalf("status = %+v, %v", st, err)
			}
			cfg, err := c.ConfigGet(ctx)
			if err != nil || !strings.Contains(string(cfg.Dhcp4), `"192.0.2.0/24"`) {
				t.Fatalf("config-get: %v", err)
			}
			if err := c.ConfigTest(ctx, cfg.Dhcp4); err != nil {
				t.Errorf("config-test of the running config: %v", err)
			}
			bad := json.RawMessage(strings.NewReplacer("192.0.2.100", "198.51.100.100", "192.0.2.199", "198.51.100.199").Replace(string(cfg.Dhcp4)))
			var kerr *Error
			if err := c.ConfigTest(ctx, bad); !errors.As(err, &kerr) || kerr.Result != ResultError || !strings.Contains(kerr.Text, "does not match the prefix") {
				t.Errorf("config-test of a pool outside its subnet: %v", err)
			}
			if _, err := c.ConfigHash(ctx); !errors.Is(err, ErrUnsupported) {
				t.Errorf("config-hash-get on 2.2: %v, want ErrUnsupported", err)
			}
		})
	}

	// config-set with the running config: accepted; the daemon keeps its PID.
	before, _ := ca.Status(ctx)
	cfg, _ := ca.ConfigGet(ctx)
	if _, err := ca.ConfigSet(ctx, cfg.Dhcp4); err != nil {
		t.Fatalf("config-set: %v", err)
	}
	after, _ := ca.Status(ctx)
	if after.PID != before.PID {
		t.Errorf("PID changed across config-set: %d → %d", before.PID, after.PID)
	}
	if err := ca.ConfigWrite(ctx); err != nil {
		t.Errorf("config-write: %v", err)
	}

	wrong, _ := New(Endpoint{URL: node.URL, Kind: ControlAgent, User: "kea-api", Password: "not-the-password"})
	_, err = wrong.Version(ctx)
	var herr *HTTPError
	if !errors.As(err, &herr) || herr.Status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %v", err)
	}
	if strings.Contains(err.Error(), "not-the-password") {
		t.Errorf("the password leaked into the error: %v", err)
	}
}

// server counts hits and answers per behaviour.
func server(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, hit int32)) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		handle(w, r, hits.Add(1))
	}))
	t.Cleanup(s.Close)
	return s, &hits
}

func hangUp(w http.ResponseWriter) {
	conn, _, _ := w.(http.Hijacker).Hijack()
	conn.Close()
}

func TestRetryPolicy(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		command  string
		handle   func(w http.ResponseWriter, r *http.Request, hit int32)
		wantHits int32
		wantErr  string
	}{
		{"read retried on 503", "config-get", func(w http.ResponseWriter, _ *http.Request, _ int32) { w.WriteHeader(503) }, 4, "HTTP 503"},
		{"read retried after a hang-up, then ok", "status-get", func(w http.ResponseWriter, _ *http.Request, hit int32) {
			if hit == 1 {
				hangUp(w)
				return
			}
			w.Write([]byte(`[{"result": 0, "arguments": {"pid": 7}}]`))
		}, 2, ""},
		{"config-set never replayed after a hang-up", "config-set", func(w http.ResponseWriter, _ *http.Request, _ int32) { hangUp(w) }, 1, "EOF"},
		{"config-set not replayed on 503", "config-set", func(w http.ResponseWriter, _ *http.Request, _ int32) { w.WriteHeader(503) }, 1, "HTTP 503"},
		{"401 not retried", "config-get", func(w http.ResponseWriter, _ *http.Request, _ int32) {
			w.WriteHeader(401)
			w.Write([]byte(`{ "result": 401, "text": "Unauthorized" }`))
		}, 1, "refused the credentials"},
		{"403 from restrict-commands, bare map", "config-get", func(w http.ResponseWriter, _ *http.Request, _ int32) {
			w.WriteHeader(403)
			w.Write([]byte(`{ "result": 403, "text": "Forbidden" }`))
		}, 1, "HTTP 403: Forbidden"},
		{"result 1 is not retried", "config-test", func(w http.ResponseWriter, _ *http.Request, _ int32) {
			w.Write([]byte(`[ { "result": 1, "text": "subnet configuration failed" } ]`))
		}, 1, "Kea answered result 1: subnet configuration failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, hits := server(t, tc.handle)
			c, err := New(Endpoint{URL: s.URL, Kind: ControlAgent, User: "u", Password: "secret-pw"})
			if err != nil {
				t.Fatal(err)
			}
			c.http.RetryWaitMin, c.http.RetryWaitMax = time.Millisecond, 5*time.Millisecond
			_, err = c.Command(ctx, tc.command, map[string]any{"Dhcp4": map[string]any{}})
			if hits.Load() != tc.wantHits {
				t.Errorf("server saw %d requests, want %d", hits.Load(), tc.wantHits)
			}
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("err = %v, want %q", err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "secret-pw") {
				t.Errorf("password in error: %v", err)
			}
		})
	}
}

// A state-changing command that never reached a server (connection
// refused) may be tried again: nothing can have happened.
func TestConfigSetRetriedWhenNeverSent(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, _ := New(Endpoint{URL: "http://" + addr + "/", Kind: ControlAgent})
	c.http.RetryWaitMin, c.http.RetryWaitMax = time.Millisecond, 5*time.Millisecond
	var attempts atomic.Int32
	c.http.RequestLogHook = func(_ retryablehttp.Logger, _ *http.Request, _ int) { attempts.Add(1) }
	_, err = c.ConfigSet(context.Background(), json.RawMessage(`{}`))
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("err = %v", err)
	}
	if attempts.Load() != 4 {
		t.Errorf("%d attempts, want 4 (never sent, so safe to retry)", attempts.Load())
	}
}

func TestDecodeAnswer(t *testing.T) {
	for _, tc := range []struct {
		in      string
		result  int
		wantErr bool
	}{
		{`[ { "result": 0, "text": "ok" } ]`, 0, false},
		{`{ "result": 2, "text": "'x' command not supported." }`, 2, false},
		{`[]`, 0, true},
		{``, 0, true},
		{`[{"result": "zero"}]`, 0, true},
		{`<html>`, 0, true},
	} {
		a, err := decodeAnswer([]byte(tc.in))
		if (err != nil) != tc.wantErr || a.Result != tc.result {
			t.Errorf("decodeAnswer(%q) = %+v, %v", tc.in, a, err)
		}
	}
}

func FuzzDecodeAnswer(f *testing.F) {
	for _, s := range []string{`[{"result":0,"arguments":{"Dhcp4":{}}}]`, `{"result":1}`, `[`, `{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = decodeAnswer(b) // must not panic
	})
}

// TestHashes24: Kea 2.4+'s answers, as ctrl_dhcp4_srv.cc builds them: the
// hash sits next to Dhcp4 in config-get (split off, so the config can be
// set again as it is), in config-set's arguments, and alone in
// config-hash-get's.
func TestHashes24(t *testing.T) {
	const h = "5C3C90D0A1F2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C"
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Command   string
			Arguments json.RawMessage
		}
		json.NewDecoder(r.Body).Decode(&req)
		switch req.Command {
		case "config-get":
			w.Write([]byte(`[{"result": 0, "arguments": {"Dhcp4": {"subnet4": []}, "hash": "` + h + `"}}]`))
		case "config-set":
			w.Write([]byte(`[{"result": 0, "text": "Configuration successful.", "arguments": {"hash": "` + h + `"}}]`))
		case "config-hash-get":
			w.Write([]byte(`[{"result": 0, "arguments": {"hash": "` + h + `"}}]`))
		}
	}))
	t.Cleanup(s.Close)
	c, err := New(Endpoint{URL: s.URL, Kind: ControlAgent})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cfg, err := c.ConfigGet(ctx)
	if err != nil || cfg.Hash != h || string(cfg.Dhcp4) != `{"subnet4": []}` {
		t.Fatalf("config-get: %+v %v", cfg, err)
	}
	if got, err := c.ConfigSet(ctx, cfg.Dhcp4); err != nil || got != h {
		t.Errorf("config-set: %q %v", got, err)
	}
	if got, err := c.ConfigHash(ctx); err != nil || got != h {
		t.Errorf("config-hash-get: %q %v", got, err)
	}
}

// TestNotKea: a URL that is not Kea's control API says so, rather than
// "HTTP 404: " and nothing.
func TestNotKea(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		want   string
	}{
		{http.StatusNotFound, "", "version-get: HTTP 404 Not Found: this is not a Kea control API (check the node's control-url, or --endpoint)"},
		{http.StatusBadGateway, "", "version-get: HTTP 502 Bad Gateway, with no message"},
		{http.StatusForbidden, `{"result": 1, "text": "Forbidden"}`, "version-get: HTTP 403: Forbidden"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.status)
			io.WriteString(w, tc.body)
		}))
		c, err := New(Endpoint{URL: srv.URL, Kind: ControlAgent, Retries: -1})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Version(context.Background())
		if err == nil || err.Error() != tc.want {
			t.Errorf("HTTP %d: error %v; want %q", tc.status, err, tc.want)
		}
		srv.Close()
	}
}
