package qualyssim

import (
	"net/http"
	"slices"
	"sync"
	"time"
)

// Sandbox credentials: the Basic-auth username and password `pci-mcp
// --sandbox` uses, and the simulator's defaults. They guard nothing real.
const (
	SandboxUsername = "sandbox-merchant"
	SandboxPassword = "sandbox-password"
)

// defaultPhase is how long a launched scan stays in each of "Launch
// Requested" and "Running" when Options leave the duration at zero: long
// enough to watch in the sandbox, short enough not to wait for.
const defaultPhase = 2 * time.Second

// Options configure a Simulator. The zero value is the sandbox: demo merchant
// data, sandbox credentials, the real clock and two-second scan phases.
type Options struct {
	// Username and Password are the Basic-auth credentials the simulator
	// accepts; empty means SandboxUsername and SandboxPassword.
	Username, Password string
	// Now is the clock; nil means time.Now. Scan progress is computed from it
	// when a request is read, so a test advances a fake clock instead of sleeping.
	Now func() time.Time
	// QueuedFor is how long a launched scan stays "Launch Requested" and
	// RunningFor how long it is then "Running" before it is "Finished".
	// Zero means two seconds; a negative duration means no wait at all.
	QueuedFor, RunningFor time.Duration
	// Empty starts the account with no hosts, virtual hosts or scans instead
	// of the demo merchant.
	Empty bool
	// Hosts, with Empty, start the account with these IPs, ranges or CIDR
	// blocks in scope and nothing scanned: another merchant than the demo's.
	Hosts []string
}

// withDefaults fills the zero fields of o.
func (o Options) withDefaults() Options {
	if o.Username == "" {
		o.Username = SandboxUsername
	}
	if o.Password == "" {
		o.Password = SandboxPassword
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.QueuedFor = phase(o.QueuedFor)
	o.RunningFor = phase(o.RunningFor)
	return o
}

// phase applies the zero-means-default, negative-means-none rule.
func phase(d time.Duration) time.Duration {
	switch {
	case d == 0:
		return defaultPhase
	case d < 0:
		return 0
	}
	return d
}

// Request is one request as the simulator received it.
type Request struct {
	// Method is the HTTP method, such as "POST".
	Method string
	// Path is the URL path, such as "/pci/scan/10988/details".
	Path string
	// RawQuery is the query string without the '?'.
	RawQuery string
	// Header holds the request headers with Authorization removed, so
	// recorded requests can be logged or compared without the password.
	Header http.Header
	// Body is the request body as sent.
	Body []byte
}

// Simulator is the Qualys PCI API as an http.Handler. It is safe for
// concurrent use; every request is served under one lock, which keeps each
// answer consistent with a single moment of the account's state.
type Simulator struct {
	opts Options

	mu       sync.Mutex
	requests []Request
	account  account
}

// New returns a simulator configured by opts; see Options for the defaults.
func New(opts Options) *Simulator {
	s := &Simulator{opts: opts.withDefaults()}
	s.account = newAccount(s.opts)
	return s
}

// Reset returns the account to its starting state (demo merchant unless
// Options.Empty) and forgets the recorded requests.
func (s *Simulator) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
	s.account = newAccount(s.opts)
}

// Requests returns a copy of every request received so far, in order,
// including those the simulator rejected.
func (s *Simulator) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		r.Header = r.Header.Clone()
		r.Body = slices.Clone(r.Body)
		out[i] = r
	}
	return out
}

// ClearRequests forgets the recorded requests and keeps the account as is.
func (s *Simulator) ClearRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// record keeps r for Requests; the caller holds s.mu.
func (s *Simulator) record(r *http.Request, body []byte) {
	header := r.Header.Clone()
	header.Del("Authorization")
	s.requests = append(s.requests, Request{
		Method:   r.Method,
		Path:     r.URL.Path,
		RawQuery: r.URL.RawQuery,
		Header:   header,
		Body:     slices.Clone(body),
	})
}
