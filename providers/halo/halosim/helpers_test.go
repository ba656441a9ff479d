package halosim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The standard library carries these tests: testify's assert package needs a go.sum entry
// for go.yaml.in/yaml/v3 that the module does not have yet.

// t0 is when every test simulator starts.
var t0 = time.Date(2026, time.May, 12, 14, 30, 0, 0, time.UTC)

// testScanDelay is the tests' Options.ScanFinishesAfter.
const testScanDelay = 10 * time.Minute

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// harness is a simulator served on loopback with a fake clock.
type harness struct {
	t     *testing.T
	srv   *Server
	clock *fakeClock
}

// newHarness starts a simulator at t0 with testScanDelay; opts may override Empty and APIKey.
func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	clock := &fakeClock{now: t0}
	opts.Now = clock.Now
	if opts.ScanFinishesAfter == 0 {
		opts.ScanFinishesAfter = testScanDelay
	}
	srv, err := Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &harness{t: t, srv: srv, clock: clock}
}

// answer is a response as a test sees it.
type answer struct {
	status      int
	contentType string
	header      http.Header
	body        string
}

// do sends a request to path (relative to the API base) with the sandbox key unless header
// sets x-apikey itself.
func (h *harness) do(method, path, contentType, body string, header http.Header) answer {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+"/"+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatalf("NewRequest: %v", err)
	}
	req.Header.Set("x-apikey", SandboxAPIKey)
	for k, v := range header {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("reading %s %s: %v", method, path, err)
	}
	return answer{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), header: resp.Header, body: string(b)}
}

func (h *harness) get(path string) answer {
	h.t.Helper()
	return h.do(http.MethodGet, path, "", "", nil)
}

func (h *harness) attest(body string) answer {
	h.t.Helper()
	return h.do(http.MethodPost, "pci/attest.json", "application/json", body, nil)
}

// startID calls pci/start and returns the attestation id.
func (h *harness) startID() string {
	h.t.Helper()
	a := h.get("pci/start.json")
	var body struct{ ID string }
	if a.status != http.StatusOK || json.Unmarshal([]byte(a.body), &body) != nil || body.ID == "" {
		h.t.Fatalf("pci/start: %d %s", a.status, a.body)
	}
	return body.ID
}

// assertAnswer checks status, content type and body; want is JSON, compared byte for byte
// after compacting, so key order and every value count.
func assertAnswer(t *testing.T, got answer, status int, want string) {
	t.Helper()
	if got.status != status {
		t.Errorf("status = %d, want %d (body %s)", got.status, status, got.body)
	}
	if got.contentType != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got.contentType)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(want)); err != nil {
		t.Fatalf("bad expected JSON %q: %v", want, err)
	}
	if strings.TrimSuffix(got.body, "\n") != compact.String() {
		t.Errorf("body =\n%s\nwant\n%s", got.body, compact.String())
	}
}

// golden reads an expected body from testdata/halosim.
func golden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "halosim", name))
	if err != nil {
		t.Fatalf("reading golden file: %v", err)
	}
	return string(b)
}
