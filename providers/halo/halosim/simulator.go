package halosim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// SandboxAPIKey is the x-apikey the simulator accepts unless Options.APIKey says otherwise;
// `pci-mcp --sandbox` configures its Halo client with it.
const SandboxAPIKey = "sandbox-api-key"

// DefaultScanFinishesAfter is how long after the simulator starts the demo's pending scans
// finish when Options.ScanFinishesAfter is zero: long enough for a sandbox user to see the
// blockers, short enough to wait out.
const DefaultScanFinishesAfter = 5 * time.Second

// basePath is the path prefix every endpoint lives under, as in https://api.halosecurity.com/api/v1.
const basePath = "/api/v1/"

// maxBodyBytes bounds request bodies; an attestation is a few kilobytes.
const maxBodyBytes = 1 << 20

// Options configures a Simulator. The zero value is a demo sandbox on the real clock.
type Options struct {
	// APIKey is the only x-apikey accepted; empty means SandboxAPIKey.
	APIKey string
	// Now is the clock; nil means time.Now. Tests inject a fake clock to move past
	// ScanFinishesAfter without sleeping.
	Now func() time.Time
	// ScanFinishesAfter is how long after New the demo's two pending scans finish, clearing
	// the PCI blockers. Zero means DefaultScanFinishesAfter; a negative value means they are
	// finished from the start.
	ScanFinishesAfter time.Duration
	// Empty starts an account with no targets, scans or reports, so nothing is in PCI scope
	// and pci/start answers 400 "no targets in pci scope".
	Empty bool
	// ReportReviewedAfter is how long after an attestation its report is reviewed: approved,
	// or rejected when a note was answered not secure. Zero means
	// DefaultScanFinishesAfter; a negative value means at once.
	ReportReviewedAfter time.Duration
}

// Request is one HTTP request as the simulator received it, for tests to prove what did or
// did not reach "upstream".
type Request struct {
	Method   string
	Path     string // the URL path, including /api/v1
	RawQuery string
	Header   http.Header // every header but x-apikey, so recordings never hold the key
	Body     []byte
}

// Simulator is a stateful fake of the Halo Security API. It implements http.Handler and is
// safe for concurrent use.
type Simulator struct {
	apiKey      string
	now         func() time.Time
	routes      map[string]route
	reviewAfter time.Duration

	// mu guards everything below. One lock is plenty: requests are few and each is short.
	mu           sync.Mutex
	requests     []Request
	account      *account
	attestations map[string]*attestation
	issuedIDs    int // attestation ids issued so far, the input of the next id
	nextReportID int
}

// route is one endpoint: the method it accepts and the handler that answers it.
type route struct {
	method string
	handle func(r *http.Request, body []byte, now time.Time) response
}

// New returns a Simulator seeded as opts says. The clock is read once here to place the demo
// data in time.
func New(opts Options) *Simulator {
	s := &Simulator{apiKey: opts.APIKey, now: opts.Now, attestations: map[string]*attestation{}}
	if s.apiKey == "" {
		s.apiKey = SandboxAPIKey
	}
	if s.now == nil {
		s.now = time.Now
	}
	finishAfter := opts.ScanFinishesAfter
	switch {
	case finishAfter == 0:
		finishAfter = DefaultScanFinishesAfter
	case finishAfter < 0:
		finishAfter = 0
	}
	s.reviewAfter = opts.ReportReviewedAfter
	switch {
	case s.reviewAfter == 0:
		s.reviewAfter = DefaultScanFinishesAfter
	case s.reviewAfter < 0:
		s.reviewAfter = 0
	}
	if opts.Empty {
		s.account = baseAccount()
		s.nextReportID = demoLastReportID + 1
	} else {
		s.account = demoAccount(s.now(), finishAfter)
		s.nextReportID = s.account.lastReport().id + 1
	}
	s.routes = map[string]route{
		"pci/summary.json":     {http.MethodGet, s.pciSummary},
		"pci/start.json":       {http.MethodGet, s.pciStart},
		"pci/attest.json":      {http.MethodPost, s.pciAttest},
		"pci/report-list.json": {http.MethodGet, s.pciReportList},
		"pci/report-get.json":  {http.MethodGet, s.pciReportGet},
		"target/list.json":     {http.MethodGet, s.targetList},
		"target/get.json":      {http.MethodGet, s.targetGet},
		"scan/list.json":       {http.MethodGet, s.scanList},
		"scan/get.json":        {http.MethodGet, s.scanGet},
		"user/me.json":         {http.MethodGet, s.userMe},
		"event/list.json":      {http.MethodGet, s.eventList},
		"event/get.json":       {http.MethodGet, s.eventGet},
		"ack/host-list.json":   {http.MethodGet, s.ackHostList},
		"ack/host-add.json":    {http.MethodGet, s.ackHostAdd},
		"ack/host-delete.json": {http.MethodGet, s.ackHostDelete},
	}
	return s
}

// Requests returns every request received so far, oldest first.
func (s *Simulator) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = Request{Method: r.Method, Path: r.Path, RawQuery: r.RawQuery,
			Header: r.Header.Clone(), Body: slices.Clone(r.Body)}
	}
	return out
}

// ServeHTTP records the request, then checks the key, the path, the method and, for POST, the
// content type, in that order, before the endpoint's handler answers.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, tooLarge := readBody(r)
	header := r.Header.Clone()
	header.Del("x-apikey")

	s.mu.Lock()
	s.requests = append(s.requests, Request{
		Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: header, Body: body,
	})
	resp, allow := s.dispatch(r, body, tooLarge)
	// Encode under the lock: resp may share slices with the state.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(resp.body)
	s.mu.Unlock()

	if err != nil {
		// Only a programming error in a handler's answer type gets here.
		http.Error(w, "halosim: encoding the answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if allow != "" {
		w.Header().Set("Allow", allow)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.status)
	_, _ = w.Write(buf.Bytes())
}

// dispatch runs the checks every request goes through and then the endpoint's handler. It
// returns the method to put in an Allow header when the answer is 405.
func (s *Simulator) dispatch(r *http.Request, body []byte, tooLarge bool) (resp response, allow string) {
	if r.Header.Get("x-apikey") != s.apiKey {
		return fail(http.StatusUnauthorized, http.StatusUnauthorized, msgInvalidAPIKey), ""
	}
	rt, found := s.routes[strings.TrimPrefix(r.URL.Path, basePath)]
	if !found || !strings.HasPrefix(r.URL.Path, basePath) {
		return fail(http.StatusNotFound, codeNotFound, msgUnknownEndpoint), ""
	}
	if r.Method != rt.method {
		return fail(http.StatusMethodNotAllowed, http.StatusMethodNotAllowed, msgMethodNotAllowed), rt.method
	}
	if tooLarge {
		return fail(http.StatusRequestEntityTooLarge, http.StatusRequestEntityTooLarge, msgBodyTooLarge), ""
	}
	if rt.method == http.MethodPost && !isJSON(r.Header.Get("Content-Type")) {
		return fail(http.StatusUnsupportedMediaType, http.StatusUnsupportedMediaType, msgUnsupportedMediaType), ""
	}
	return rt.handle(r, body, s.now()), ""
}

// readBody reads at most maxBodyBytes of the body and says whether there was more.
func readBody(r *http.Request) (body []byte, tooLarge bool) {
	if r.Body == nil {
		return nil, false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		// A broken connection: record what arrived; the client will not read the answer.
		return body, false
	}
	if len(body) > maxBodyBytes {
		return body[:maxBodyBytes], true
	}
	return body, false
}

// isJSON reports whether a Content-Type header names JSON, with or without parameters.
func isJSON(contentType string) bool {
	mediaType, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mediaType), "application/json")
}
