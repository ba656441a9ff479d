package qualyssim

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// testStart is the fake clock's starting instant, after the demo scan.
var testStart = time.Date(2025, time.July, 1, 9, 0, 0, 0, time.UTC)

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

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// startSim starts a simulator on loopback with a fake clock (unless opts has
// one) and closes it when the test ends.
func startSim(t *testing.T, opts Options) (*Server, *fakeClock) {
	t.Helper()
	clock := &fakeClock{now: testStart}
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	srv, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	return srv, clock
}

// loopbackClient never uses a proxy, so tests reach only the simulator.
var loopbackClient = &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 5 * time.Second}

// reply is what a test sees of an answer.
type reply struct {
	status int
	header http.Header
	body   string
}

// edit changes a request before it is sent.
type edit func(*http.Request)

func withHeader(name, value string) edit { return func(r *http.Request) { r.Header.Set(name, value) } }
func withoutHeader(name string) edit     { return func(r *http.Request) { r.Header.Del(name) } }
func withAuth(user, pass string) edit    { return func(r *http.Request) { r.SetBasicAuth(user, pass) } }

// send makes one request the way the seed's curl samples do: Basic auth with
// the sandbox credentials and the apiVersion, X-Requested-With and
// content-type headers; edits then change it.
func send(t *testing.T, srv *Server, method, path, body string, edits ...edit) reply {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(SandboxUsername, SandboxPassword)
	req.Header.Set("apiVersion", "V1")
	req.Header.Set("X-Requested-With", "test")
	req.Header.Set("Content-Type", "application/json")
	for _, e := range edits {
		e(req)
	}
	resp, err := loopbackClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// data sends a request that must succeed and returns its decoded data member.
func data(t *testing.T, srv *Server, method, path, body string) any {
	t.Helper()
	r := send(t, srv, method, path, body)
	if r.status != http.StatusOK {
		t.Fatalf("%s %s: status %d, want 200; body %s", method, path, r.status, r.body)
	}
	var env struct {
		ResponseAPIVersion string `json:"responseApiVersion"`
		Data               any    `json:"data"`
	}
	if err := json.Unmarshal([]byte(r.body), &env); err != nil {
		t.Fatalf("%s %s: %v in %s", method, path, err, r.body)
	}
	equal(t, method+" "+path+" responseApiVersion", env.ResponseAPIVersion, "LATEST - V1")
	return env.Data
}

// object is data for an answer whose data member is an object.
func object(t *testing.T, srv *Server, method, path, body string) map[string]any {
	t.Helper()
	m, ok := data(t, srv, method, path, body).(map[string]any)
	if !ok {
		t.Fatalf("%s %s: data is not an object", method, path)
	}
	return m
}

// equal reports a mismatch of comparable values.
func equal[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

// deepEqual reports a mismatch of any values.
func deepEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s =\n\t%#v\nwant\n\t%#v", what, got, want)
	}
}

// jsonEqual reports whether two JSON texts hold the same value, ignoring
// white space and member order.
func jsonEqual(t *testing.T, what, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("%s: the answer is not JSON: %v\n%s", what, err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: the expected text is not JSON: %v\n%s", what, err, want)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s: body\n\t%s\nwant\n\t%s", what, got, want)
	}
}

// errorJSON is the error body the simulator sends for status and message.
func errorJSON(status int, message string) string {
	b, _ := json.Marshal(map[string]any{
		"responseApiVersion": "LATEST - V1",
		"errors":             []any{map[string]any{"code": status, "message": message}},
	})
	return string(b)
}

// summaryEntries returns the whole compliance summary as
// "ip|dns|status|assetType" lines.
func summaryEntries(t *testing.T, srv *Server) []string {
	t.Helper()
	d := object(t, srv, "GET", "/pci/compliance/summary?limit=1000", "")
	out := []string{}
	for _, e := range d["complianceSummaryList"].([]any) {
		m := e.(map[string]any)
		out = append(out, m["ip"].(string)+"|"+m["dns"].(string)+"|"+m["status"].(string)+"|"+m["assetType"].(string))
	}
	return out
}

// launch starts a scan and returns its id.
func launch(t *testing.T, srv *Server, body string) int {
	t.Helper()
	d := object(t, srv, "POST", "/pci/scan/launch", body)
	equal(t, "launch status", d["status"], any("Launched scan successfully"))
	id, _ := d["id"].(float64)
	return int(id)
}
