// Package keaapi is keaops' client for Kea's control API, over the three
// ways Kea offers it: a Control Agent (2.x, 3.0), kea-dhcp4's own HTTP
// control socket (3.0+, the only remote API from 3.2), and the local unix
// socket (what keaops-agent uses on the node itself).
//
// Reads are retried with backoff. Commands that change state (config-set,
// config-write, ...) are never sent twice once a request reached the
// server: a replayed config-set is a second HA restart at best. Kea's
// result codes come back as *Error values; secrets never appear in errors.
package keaapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/keaops/keaops/internal/safefile"
)

// Kind says how the endpoint speaks.
type Kind int

const (
	// ControlAgent forwards to a daemon named in "service"; answers are lists.
	ControlAgent Kind = iota
	// DirectHTTP is kea-dhcp4's own HTTP(S) socket (3.0+): no "service".
	DirectHTTP
	// Unix is the daemon's unix socket: one command per connection.
	Unix
)

// Endpoint describes one control endpoint.
type Endpoint struct {
	// URL is http(s)://host:port/ or unix:///path/to/socket.
	URL  string
	Kind Kind
	// User and Password for HTTP basic auth; empty for none.
	User, Password string
	// TLS: a CA bundle to verify the server, and a client certificate for
	// mutual TLS (all optional).
	CAFile, CertFile, KeyFile string
	// Timeout bounds one attempt; Kea's own forwarding timeout is 10 s, so
	// the default is 30 s. The context bounds the whole call.
	Timeout time.Duration
	// Retries of a read after the first attempt (default 3).
	Retries int
	// Service is the daemon a Control Agent forwards to: dhcp4 (when
	// empty) or d2, kea-dhcp-ddns.
	Service string
	Logger  *slog.Logger
}

// Client talks to one Kea daemon.
type Client struct {
	cfg  Endpoint
	http *retryablehttp.Client
	sock string
}

// maxResponse bounds a response body: config-get of 100,000 reservations
// is about 40 MiB.
const maxResponse = 256 << 20

// New returns a client for cfg.
func New(cfg Endpoint) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("control URL: %w", err)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Retries == 0 {
		cfg.Retries = 3
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{cfg: cfg}
	switch u.Scheme {
	case "unix":
		c.cfg.Kind = Unix
		c.sock = u.Path
		return c, nil
	case "http", "https":
	default:
		return nil, fmt.Errorf("control URL %s: want http://, https:// or unix://", redact(cfg.URL))
	}
	rc := retryablehttp.NewClient()
	rc.RetryMax = cfg.Retries
	rc.RetryWaitMin = 100 * time.Millisecond
	rc.RetryWaitMax = 2 * time.Second
	rc.CheckRetry = retryPolicy
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	rc.HTTPClient.Timeout = cfg.Timeout
	rc.Logger = nil
	if u.Scheme == "https" || cfg.CAFile != "" || cfg.CertFile != "" {
		tc, err := tlsConfig(cfg)
		if err != nil {
			return nil, err
		}
		rc.HTTPClient.Transport.(*http.Transport).TLSClientConfig = tc
	}
	c.http = rc
	return c, nil
}

func tlsConfig(cfg Endpoint) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := safefile.ReadFile(cfg.CAFile, safefile.Options{Limit: 16 << 20})
		if err != nil {
			return nil, fmt.Errorf("reading CA bundle: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA bundle %s holds no PEM certificate", cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	if cfg.CertFile != "" || cfg.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("loading client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// readOnly are the commands that may be sent again safely.
var readOnly = map[string]bool{
	"version-get": true, "status-get": true, "config-get": true, "config-test": true,
	"config-hash-get": true, "list-commands": true, "build-report": true, "ha-heartbeat": true,
	"lease4-get": true, "lease4-get-all": true, "lease4-get-page": true, "statistic-get-all": true,
	"lease4-get-by-hw-address": true, "lease4-get-by-client-id": true, "reservation-get": true,
	"reservation-get-all": true, "subnet4-get": true, "subnet4-list": true,
}

type sentKey struct{}

// trackSent marks ctx so the retry policy knows whether the current attempt
// reached the wire (from then on, the server may have acted on it).
func trackSent(ctx context.Context) context.Context {
	var sent atomic.Bool
	ctx = context.WithValue(ctx, sentKey{}, &sent)
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GetConn:      func(string) { sent.Store(false) },
		WroteHeaders: func() { sent.Store(true) },
	})
}

// retryPolicy retries reads on connection errors and 5xx/429, and a
// state-changing command only when it never left this process.
func retryPolicy(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if sent, ok := ctx.Value(sentKey{}).(*atomic.Bool); ok && sent.Load() {
		return false, err
	}
	if resp != nil && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
		return false, nil // 4xx: credentials or request are wrong; retrying will not help
	}
	return retryablehttp.ErrorPropagatedRetryPolicy(ctx, resp, err)
}

// Answer is Kea's reply to one command.
type Answer struct {
	Result    int             `json:"result"`
	Text      string          `json:"text,omitempty"`
	Arguments json.RawMessage `json:"arguments,omitempty"`
}

// Result codes (Kea src/lib/cc/command_interpreter.h).
const (
	ResultSuccess     = 0
	ResultError       = 1
	ResultUnsupported = 2
	ResultEmpty       = 3
	ResultConflict    = 4 // 2.4+
)

// Error is a command that Kea answered with a non-zero result.
type Error struct {
	Command string
	Result  int
	Text    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: Kea answered result %d: %s", e.Command, e.Result, e.Text)
}

// Is lets errors.Is(err, ErrUnsupported) match any unsupported command.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Command == "" && t.Result == e.Result
}

// Sentinels for errors.Is.
var (
	ErrUnsupported = &Error{Result: ResultUnsupported}
	ErrEmpty       = &Error{Result: ResultEmpty}
	ErrConflict    = &Error{Result: ResultConflict}
)

// HTTPError is a refusal at the HTTP level: 401 (credentials), 403
// (restricted command), 400 (malformed request).
type HTTPError struct {
	Command string
	Status  int
	Text    string
}

func (e *HTTPError) Error() string {
	switch {
	case e.Status == http.StatusUnauthorized:
		return fmt.Sprintf("%s: HTTP 401: the control API refused the credentials", e.Command)
	case e.Text == "" && (e.Status == http.StatusNotFound || e.Status == http.StatusMethodNotAllowed):
		// Kea's agents answer every path; this is something else.
		return fmt.Sprintf("%s: HTTP %d %s: this is not a Kea control API (check the node's control-url, or --endpoint)", e.Command, e.Status, http.StatusText(e.Status))
	case e.Text == "":
		return fmt.Sprintf("%s: HTTP %d %s, with no message", e.Command, e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("%s: HTTP %d: %s", e.Command, e.Status, e.Text)
}

func (c *Client) service() string {
	if c.cfg.Service == "" {
		return "dhcp4"
	}
	return c.cfg.Service
}

// root is the key of the daemon's configuration object.
func (c *Client) root() string {
	if c.service() == "d2" {
		return "DhcpDdns"
	}
	return "Dhcp4"
}

// ForD2 is a client for the kea-dhcp-ddns behind the same Control Agent.
func (c *Client) ForD2() *Client {
	d := *c
	d.cfg.Service = "d2"
	return &d
}

// Command sends one command and returns its arguments. A non-zero result is
// an *Error; args may be nil.
func (c *Client) Command(ctx context.Context, command string, args any) (json.RawMessage, error) {
	a, err := c.Do(ctx, command, args)
	return a.Arguments, err
}

// Do sends one command and returns Kea's whole answer; a non-zero result is
// also returned as an *Error.
func (c *Client) Do(ctx context.Context, command string, args any) (Answer, error) {
	req := map[string]any{"command": command}
	if args != nil {
		req["arguments"] = args
	}
	if c.cfg.Kind == ControlAgent {
		req["service"] = []string{c.service()}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return Answer{}, fmt.Errorf("%s: encoding request: %w", command, err)
	}
	start := time.Now()
	var raw []byte
	if c.cfg.Kind == Unix {
		raw, err = c.viaUnix(ctx, body)
	} else {
		raw, err = c.viaHTTP(ctx, command, body)
	}
	c.cfg.Logger.Debug("kea command", "command", command, "duration_s", time.Since(start).Seconds(), "err", err)
	if err != nil {
		return Answer{}, err
	}
	a, err := decodeAnswer(raw)
	if err != nil {
		return Answer{}, fmt.Errorf("%s: %w", command, err)
	}
	if a.Result != ResultSuccess {
		return a, &Error{Command: command, Result: a.Result, Text: a.Text}
	}
	return a, nil
}

// decodeAnswer reads a reply in any of Kea's framings: a list with one
// answer per service (Control Agent, direct HTTP), or a bare map (unix
// socket, HTTP-level errors).
func decodeAnswer(raw []byte) (Answer, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return Answer{}, errors.New("empty answer")
	}
	var a Answer
	if raw[0] == '[' {
		var list []Answer
		if err := json.Unmarshal(raw, &list); err != nil {
			return a, fmt.Errorf("decoding answer: %w", err)
		}
		if len(list) == 0 {
			return a, errors.New("empty answer list")
		}
		return list[0], nil
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return a, fmt.Errorf("decoding answer: %w", err)
	}
	return a, nil
}

func (c *Client) viaHTTP(ctx context.Context, command string, body []byte) ([]byte, error) {
	if !readOnly[command] {
		ctx = trackSent(ctx)
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL, body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", command, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.cfg.User != "" {
		req.SetBasicAuth(c.cfg.User, c.cfg.Password)
	}
	resp, err := c.http.Do(req)
	if resp == nil {
		return nil, fmt.Errorf("%s: %w", command, redactErr(err, c.cfg))
	}
	// With a response in hand (retries used up on a 5xx), Kea's own status
	// and text say more than the retry library's summary.
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("%s: reading answer: %w", command, err)
	}
	if len(raw) > maxResponse {
		return nil, fmt.Errorf("%s: answer larger than %d MiB", command, maxResponse>>20)
	}
	if resp.StatusCode != http.StatusOK {
		a, _ := decodeAnswer(raw)
		text := a.Text
		if text == "" {
			text = strings.TrimSpace(string(raw[:min(len(raw), 200)]))
		}
		return nil, &HTTPError{Command: command, Status: resp.StatusCode, Text: text}
	}
	return raw, nil
}

// viaUnix sends one command over the unix socket. Kea answers and closes
// the connection; a second command on it would be ignored.
func (c *Client) viaUnix(ctx context.Context, body []byte) ([]byte, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", c.sock)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", c.sock, err)
	}
	defer conn.Close()
	deadline := time.Now().Add(c.cfg.Timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	if _, err := conn.Write(body); err != nil {
		return nil, fmt.Errorf("writing to %s: %w", c.sock, err)
	}
	raw, err := io.ReadAll(io.LimitReader(conn, maxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("reading from %s: %w", c.sock, err)
	}
	if len(raw) > maxResponse {
		return nil, fmt.Errorf("answer from %s larger than %d MiB", c.sock, maxResponse>>20)
	}
	return raw, nil
}

// redact removes credentials from a URL.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = url.User("xxxxx")
	return u.String()
}

// redactErr makes sure no password leaks through an error message.
func redactErr(err error, cfg Endpoint) error {
	if cfg.Password != "" && strings.Contains(err.Error(), cfg.Password) {
		return errors.New(strings.ReplaceAll(err.Error(), cfg.Password, "xxxxx"))
	}
	return err
}
