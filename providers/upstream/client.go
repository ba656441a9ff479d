// Package upstream is the HTTP layer shared by the provider clients. It builds
// requests, bounds them (timeout, response size, concurrency), retries only
// where a retry cannot repeat a change, decodes JSON answers, and turns every
// failure into an *Error whose text holds no credential.
//
// It knows nothing about MCP; providers/qualys and providers/halo configure it
// with their own headers, authentication and error-body conventions.
package upstream

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
	"strings"
	"time"
)

// Defaults for Config fields left zero.
const (
	DefaultTimeout          = 30 * time.Second
	DefaultMaxAttempts      = 3
	DefaultMaxResponseBytes = 16 << 20
	DefaultConcurrency      = 4
)

// Config describes one provider's upstream. Only Provider and BaseURL are
// required.
type Config struct {
	// Provider is the display name used in errors and logs ("Qualys").
	Provider string
	// BaseURL is the API root; request paths are resolved against it.
	BaseURL string
	// Header is sent on every request (API version, User-Agent, ...).
	Header http.Header
	// Authorize adds credentials to a request just before it is sent.
	Authorize func(*http.Request)
	// Secrets are removed from every message this client produces.
	Secrets []string
	// ErrorBody inspects a JSON body of any status and reports whether it is
	// an error, with the provider's message and code. Nil means only the HTTP
	// status decides.
	ErrorBody func(body []byte) (failed bool, message string, code *int)

	Settings
}

// Settings are the knobs every provider shares; a provider's own
// configuration embeds them so a program sets them once for both.
type Settings struct {
	// HTTPClient sends the requests; its own Timeout should be zero, since
	// Timeout below bounds each attempt.
	HTTPClient *http.Client
	// Timeout bounds each attempt, from sending to the last byte of the body.
	Timeout time.Duration
	// MaxAttempts caps how many times one request may be sent (1 = no retry).
	MaxAttempts int
	// MaxResponseBytes caps the size of an answer.
	MaxResponseBytes int64
	// Concurrency caps requests in flight to this provider.
	Concurrency int
	// Backoff computes the wait before retry n (1-based); nil means jittered
	// exponential backoff.
	Backoff func(retry int) time.Duration
	// MaxRetryAfter is the longest Retry-After the client will wait for; a
	// longer one is reported to the caller instead.
	MaxRetryAfter time.Duration
	// Logger receives one debug line per attempt; nil discards.
	Logger *slog.Logger
	// Observer learns of every attempt (metrics); nil means none.
	Observer Observer
	// Redactor is the process's one redactor: the client adds its Secrets
	// to it and scrubs every answer with it, so a secret configured anywhere
	// is removed everywhere. Nil gives the client a redactor of its own.
	Redactor *Redactor
}

// Client sends requests to one provider. It is safe for concurrent use.
type Client struct {
	cfg      Config
	base     *url.URL
	redactor *Redactor
	slots    chan struct{}
	log      *slog.Logger
	sleep    func(context.Context, time.Duration) error
}

// New checks cfg and returns a client for it.
func New(cfg Config) (*Client, error) {
	if cfg.Provider == "" {
		return nil, errors.New("upstream: Provider is required")
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("%s base URL %q is not an absolute http(s) URL", cfg.Provider, cfg.BaseURL)
	}
	if base.Scheme != "http" && base.Scheme != "https" {
		return nil, fmt.Errorf("%s base URL %q must use http or https", cfg.Provider, cfg.BaseURL)
	}
	if base.User != nil {
		return nil, fmt.Errorf("%s base URL must not contain credentials; use the provider's credential settings", cfg.Provider)
	}
	// A trailing slash makes relative resolution keep the whole base path
	// (https://api.halosecurity.com/api/v1/ + pci/start.json).
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.HTTPClient == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// Keep an idle connection for every request that may be in flight:
		// with net/http's default of 2, concurrent calls closed connections
		// and dialled (for a real API, handshook TLS) new ones over and over
		// (BENCHMARKS.md).
		t.MaxIdleConnsPerHost = cfg.Concurrency
		cfg.HTTPClient = &http.Client{Transport: t}
	}
	if cfg.Backoff == nil {
		cfg.Backoff = jitteredBackoff(200*time.Millisecond, 5*time.Second)
	}
	if cfg.MaxRetryAfter <= 0 {
		cfg.MaxRetryAfter = 10 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	redactor := cfg.Redactor
	if redactor == nil {
		redactor = &Redactor{}
	}
	redactor.Add(cfg.Secrets...)
	return &Client{
		cfg:      cfg,
		base:     base,
		redactor: redactor,
		slots:    make(chan struct{}, cfg.Concurrency),
		log:      log.With("provider", cfg.Provider),
		sleep:    Sleep,
	}, nil
}

// Redactor returns the redactor that holds the client's secrets.
func (c *Client) Redactor() *Redactor { return c.redactor }

// Effect says what sending a request may do upstream. Every request states
// it, because the HTTP method does not tell: Halo Security changes state
// with GETs (ack/host-add.json), and a GET that changes state must no more
// be sent twice than a POST.
type Effect int

const (
	// Read changes nothing upstream: it may be retried after any failure
	// that is worth a retry.
	Read Effect = iota + 1
	// Write may change state: it is sent again only when it provably never
	// arrived (or the upstream said 429, not processed), and a failure after
	// it may have arrived is reported with OutcomeUnknown.
	Write
)

// String names the effect in errors.
func (e Effect) String() string {
	switch e {
	case Read:
		return "read"
	case Write:
		return "write"
	}
	return fmt.Sprintf("Effect(%d)", int(e))
}

// Request is one API call.
type Request struct {
	// Effect is required: a request without one is refused unsent.
	Effect Effect
	Method string
	// Path is relative to the base URL ("pci/scan/list").
	Path  string
	Query url.Values
	// Body is encoded as JSON when non-nil.
	Body any
}

// Do sends r and decodes the JSON answer into out (which may be nil). Every
// failure to get an answer is an *Error; a request that does not state its
// Effect is a programming error, refused before anything is sent.
func (c *Client) Do(ctx context.Context, r Request, out any) error {
	if r.Effect != Read && r.Effect != Write {
		return fmt.Errorf("%s: %s %s does not say whether it reads or writes (upstream.Request.Effect); nothing was sent", c.cfg.Provider, r.Method, r.Path)
	}
	body, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return c.newError(r, func(e *Error) {
			e.Kind = KindNotJSON
			e.StatusCode = http.StatusOK
			e.Message = "the answer does not have the documented shape: " + describeJSONError(err)
		})
	}
	return nil
}

// send performs the attempts for r and returns the body of a successful
// answer.
func (c *Client) send(ctx context.Context, r Request) ([]byte, error) {
	var payload []byte
	if r.Body != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		// Upstream text (report names, responses) must arrive as typed, not
		// with &, < and > turned into \u0026 escapes.
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r.Body); err != nil {
			return nil, fmt.Errorf("%s: encoding %s %s: %w", c.cfg.Provider, r.Method, r.Path, err)
		}
		payload = bytes.TrimRight(buf.Bytes(), "\n")
	}
	target := c.resolve(r)

	if err := c.acquire(ctx); err != nil {
		return nil, c.canceled(r, err, 0)
	}
	defer c.release()

	for attempt := 1; ; attempt++ {
		res := c.attempt(ctx, r, target, payload)
		noteAnswer(ctx, r, res.status)
		// Checked first: the arguments would be built, and allocated, on
		// every call even with debug logging off.
		if c.log.Enabled(ctx, slog.LevelDebug) {
			c.log.Debug("upstream request",
				"method", r.Method, "path", r.Path, "attempt", attempt,
				"status", res.status, "duration", res.duration, "outcome", res.outcome())
		}
		if res.err == nil {
			c.observe(r, res, false)
			return res.body, nil
		}
		res.err.Attempts = attempt
		wait, retry := c.shouldRetry(r.Effect, res, attempt)
		c.observe(r, res, retry)
		if !retry {
			return nil, res.err
		}
		if err := c.sleep(ctx, wait); err != nil {
			return nil, c.canceled(r, err, attempt)
		}
	}
}

func (c *Client) resolve(r Request) string {
	u := c.base.ResolveReference(&url.URL{Path: strings.TrimPrefix(r.Path, "/")})
	if len(r.Query) > 0 {
		u.RawQuery = r.Query.Encode()
	}
	return u.String()
}

func (c *Client) acquire(ctx context.Context) error {
	select {
	case c.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) release() { <-c.slots }

// newError starts an *Error for r and lets fill complete it; every string is
// redacted on the way out.
func (c *Client) newError(r Request, fill func(*Error)) *Error {
	e := &Error{Provider: c.cfg.Provider, Method: r.Method, Path: "/" + strings.TrimPrefix(r.Path, "/")}
	fill(e)
	e.Message = c.redactor.Redact(e.Message)
	e.ContentType = c.redactor.Redact(e.ContentType)
	if e.Cause != nil {
		e.Cause = errors.New(c.redactor.Redact(e.Cause.Error()))
	}
	return e
}

func (c *Client) canceled(r Request, cause error, attempts int) *Error {
	return c.newError(r, func(e *Error) {
		e.Kind = KindCanceled
		e.Cause = cause
		e.Attempts = attempts
		// A cancelled wait for a slot or a backoff never sent anything new;
		// the last attempt's outcome, if any, was already decided.
	})
}

// Sleep waits for d, or less if ctx ends first, and then returns ctx's
// error, if any: the one cancellable wait of retries and of callers that
// poll (qualys_wait_for_scan).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// readLimited reads at most limit bytes of body and reports whether there was
// more.
func readLimited(body io.Reader, limit int64) ([]byte, bool, error) {
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if int64(len(data)) > limit {
		return data[:limit], true, err
	}
	return data, false, err
}
