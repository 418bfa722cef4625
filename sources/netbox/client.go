package netbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	nb "github.com/netbox-community/go-netbox/v4"

	"github.com/keaops/keaops/internal/safefile"
)

// Options are how keaops talks to NetBox.
type Options struct {
	// URL is NetBox's base URL, without /api.
	URL string
	// Token is a v1 API key, sent as "Token <key>", or a NetBox 4.5+ v2
	// token "nbt_<key>.<secret>", sent as "Bearer ...".
	Token string
	// CAFile is a PEM bundle trusted besides the system's roots.
	CAFile string
	// Timeout bounds each request, retries included in none of it.
	Timeout time.Duration
	// PageSize is the objects asked for per request; NetBox may cap it.
	PageSize int
	// Concurrency is the number of requests in flight at once.
	Concurrency int
	// Retries of a request that failed with a network error, 429 or 5xx.
	Retries int
	// RetryWait is the first backoff; it doubles up to 16 times it.
	RetryWait time.Duration
	Logger    *slog.Logger
}

// Defaults for Options fields left zero.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultPageSize    = 1000 // NetBox's own MAX_PAGE_SIZE
	DefaultConcurrency = 4
	DefaultRetries     = 4
	DefaultRetryWait   = 500 * time.Millisecond
)

func (o *Options) defaults() {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Retries < 0 {
		o.Retries = 0
	}
	if o.RetryWait <= 0 {
		o.RetryWait = DefaultRetryWait
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// client is go-netbox's API client over a retrying HTTP client, plus the
// semaphore every request takes a slot of.
type client struct {
	api  *nb.APIClient
	base *url.URL
	sem  chan struct{}
	opts Options
}

func newClient(o Options) (*client, error) {
	o.defaults()
	base, err := url.Parse(strings.TrimSuffix(o.URL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("NetBox URL %q: want http(s)://host[/path]", o.URL)
	}
	if o.Token == "" {
		return nil, errors.New("no NetBox API token: set sources.netbox.token in the site file")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if o.CAFile != "" {
		pem, err := safefile.ReadFile(o.CAFile, safefile.Options{Limit: 16 << 20})
		if err != nil {
			return nil, fmt.Errorf("reading the NetBox CA bundle: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("NetBox CA bundle %s holds no PEM certificate", o.CAFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	rc := retryablehttp.NewClient()
	// Redirects are the outer client's business (below); the retrying
	// inner one hands them up as they are.
	rc.HTTPClient = &http.Client{
		Transport:     tr,
		Timeout:       o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	rc.RetryMax = o.Retries
	rc.RetryWaitMin = o.RetryWait
	rc.RetryWaitMax = 16 * o.RetryWait
	// retryablehttp logs URLs (no headers) at debug; keep it out of output
	// unless asked for.
	rc.Logger = retryLogger{o.Logger}
	// Out of retries, hand back NetBox's last answer as it is, so the
	// error says what NetBox said (502, 429) rather than "giving up".
	rc.ErrorHandler = func(resp *http.Response, err error, _ int) (*http.Response, error) {
		if resp != nil {
			return resp, nil
		}
		return nil, err
	}

	cfg := nb.NewConfiguration()
	cfg.Servers = nb.ServerConfigurations{{URL: base.String()}}
	cfg.HTTPClient = &http.Client{
		Transport: &retryablehttp.RoundTripper{Client: rc},
		// The token goes to NetBox and nowhere else: a redirect to another
		// host or scheme (a misconfigured proxy, a login page) is an error.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Host != base.Host || req.URL.Scheme != base.Scheme {
				return fmt.Errorf("NetBox redirected to %s://%s: keaops only talks to %s (set sources.netbox.url to NetBox's own address)", req.URL.Scheme, req.URL.Host, base.Host)
			}
			if len(via) >= 5 {
				return errors.New("NetBox redirected 5 times")
			}
			return nil
		},
	}
	cfg.UserAgent = "keaops (go-netbox/4.3.0)"
	cfg.AddDefaultHeader("Authorization", authorization(o.Token))
	// go-netbox checks choice labels against NetBox's English ones.
	cfg.AddDefaultHeader("Accept-Language", "en-US")
	return &client{api: nb.NewAPIClient(cfg), base: base, sem: make(chan struct{}, o.Concurrency), opts: o}, nil
}

// authorization picks the header for a token: NetBox 4.5+ v2 tokens are
// bearer tokens with an nbt_ prefix; v1 keys use the Token scheme.
func authorization(token string) string {
	if strings.HasPrefix(token, "nbt_") {
		return "Bearer " + token
	}
	return "Token " + token
}

type retryLogger struct{ l *slog.Logger }

func (r retryLogger) Error(msg string, kv ...any) { r.l.Debug(msg, kv...) }
func (r retryLogger) Info(msg string, kv ...any)  { r.l.Debug(msg, kv...) }
func (r retryLogger) Debug(msg string, kv ...any) { r.l.Debug(msg, kv...) }
func (r retryLogger) Warn(msg string, kv ...any)  { r.l.Debug(msg, kv...) }

// page is one page of a list: go-netbox's Paginated*List types reduced to
// what paging needs.
type page[T any] struct {
	count   int
	results []T
}

// fetchPage asks for one page; it is a closure over a go-netbox request
// builder with the filters already set.
type fetchPage[T any] func(ctx context.Context, limit, offset int32) (page[T], *http.Response, error)

// list reads every page of one listing, reducing each object to what the
// snapshot keeps as soon as its page arrives. The first page says how many
// objects there are and how many NetBox returns per page (it may cap the
// limit); the rest are read concurrently by offset, never by following
// "next", which names whatever host NetBox believes it is behind. A count
// that changes between pages means NetBox was edited during the read, which
// could skip an object: the listing is read again, once.
func list[N, R any](ctx context.Context, c *client, endpoint string, get fetchPage[N], reduce func(N) R) ([]R, error) {
	for attempt := 0; ; attempt++ {
		out, err := listOnce(ctx, c, endpoint, get, reduce)
		if errors.Is(err, errChanged) && attempt == 0 {
			c.opts.Logger.Info("NetBox changed during the read; reading again", "endpoint", endpoint)
			continue
		}
		return out, err
	}
}

var errChanged = errors.New("NetBox changed while keaops was reading it; run again")

func listOnce[N, R any](ctx context.Context, c *client, endpoint string, get fetchPage[N], reduce func(N) R) ([]R, error) {
	first, err := getPage(ctx, c, endpoint, get, int32(c.opts.PageSize), 0)
	if err != nil {
		return nil, err
	}
	out := make([]R, 0, first.count)
	for _, o := range first.results {
		out = append(out, reduce(o))
	}
	n := len(first.results)
	if n >= first.count {
		return out, nil
	}
	if n == 0 { // a count but no objects: they went between count and page
		return nil, fmt.Errorf("NetBox GET /api/%s/: %w", endpoint, errChanged)
	}
	step := int32(n) // NetBox's effective page size
	var offsets []int32
	for off := step; int(off) < first.count; off += step {
		offsets = append(offsets, off)
	}
	// Progress before the bulk of a large read: 100k addresses take a while.
	c.opts.Logger.Info("reading NetBox", "endpoint", endpoint, "objects", first.count, "pages", len(offsets)+1)
	pages := make([][]R, len(offsets))
	err = parallel(ctx, len(offsets), func(ctx context.Context, i int) error {
		p, err := getPage(ctx, c, endpoint, get, step, offsets[i])
		if err != nil {
			return err
		}
		if p.count != first.count {
			return fmt.Errorf("NetBox GET /api/%s/: %w", endpoint, errChanged)
		}
		pages[i] = make([]R, len(p.results))
		for j, o := range p.results {
			pages[i][j] = reduce(o)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, p := range pages {
		out = append(out, p...)
	}
	if len(out) != first.count {
		return nil, fmt.Errorf("NetBox GET /api/%s/: %w", endpoint, errChanged)
	}
	return out, nil
}

// firstReal is the first error that is not the cancellation the first
// error caused in the other requests.
func firstReal(errs []error) error {
	var cancelled error
	for _, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, context.Canceled):
			cancelled = err
		default:
			return err
		}
	}
	return cancelled
}

// getPage takes a concurrency slot and reads one page, turning go-netbox's
// errors into ones that say which request failed and why.
func getPage[T any](ctx context.Context, c *client, endpoint string, get fetchPage[T], limit, offset int32) (page[T], error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return page[T]{}, ctx.Err()
	}
	defer func() { <-c.sem }()
	p, resp, err := get(ctx, limit, offset)
	if err == nil && p.count < 0 {
		return p, fmt.Errorf("NetBox GET /api/%s/: the answer is empty", endpoint)
	}
	if err == nil {
		return p, nil
	}
	return p, explain[T](c, endpoint, resp, err)
}

// explain says what went wrong with a request in the user's terms. A page
// go-netbox could not decode is decoded again object by object, so the
// error names the object and the value instead of only the decoder's
// complaint about "the page".
func explain[T any](c *client, endpoint string, resp *http.Response, err error) error {
	req := "GET /api/" + endpoint + "/"
	if resp != nil && resp.Request != nil {
		req = "GET " + resp.Request.URL.RequestURI()
	}
	var apiErr *nb.GenericOpenAPIError
	if resp == nil || !errors.As(err, &apiErr) {
		return fmt.Errorf("NetBox %s: %w", req, err)
	}
	body := apiErr.Body()
	switch code := resp.StatusCode; {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return fmt.Errorf("NetBox refused %s: %s%s: check sources.netbox.token and the token's permissions", req, resp.Status, detail(body))
	case code == http.StatusTooManyRequests || code >= 500:
		return fmt.Errorf("NetBox %s: %s%s (after %d retries)", req, resp.Status, detail(body), c.opts.Retries)
	case code >= 300:
		return fmt.Errorf("NetBox %s: %s%s", req, resp.Status, detail(body))
	}
	var raw struct {
		Count   *int              `json:"count"`
		Results []json.RawMessage `json:"results"`
	}
	if jerr := json.Unmarshal(body, &raw); jerr != nil || raw.Count == nil {
		why := "no count"
		if jerr != nil {
			why = jerr.Error()
		}
		return fmt.Errorf("NetBox %s: the answer is not a NetBox list (%s); it starts %q", req, why, prefix(body, 80))
	}
	for _, r := range raw.Results {
		var v T
		if derr := json.Unmarshal(r, &v); derr != nil {
			var who struct {
				ID      any    `json:"id"`
				Display string `json:"display"`
			}
			_ = json.Unmarshal(r, &who)
			return fmt.Errorf("NetBox %s: netbox:%s/%v (%s) cannot be read: %v; go-netbox accepts only NetBox 4.3's fields and choices, so narrow the selection in keaops.yaml to leave this object out, or fix its value in NetBox",
				req, endpoint, who.ID, who.Display, derr)
		}
	}
	return fmt.Errorf("NetBox %s: the answer cannot be read: %v", req, err)
}

// detail is NetBox's own explanation from an error body, if it gave one.
func detail(body []byte) string {
	var d struct {
		Detail string `json:"detail"`
	}
	if json.Unmarshal(body, &d) == nil && d.Detail != "" {
		return " (" + d.Detail + ")"
	}
	return ""
}

func prefix(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
