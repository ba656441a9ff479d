package halosim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestStartServesOnLoopbackUnderAPIBase(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") || !strings.HasSuffix(srv.URL, "/api/v1") {
		t.Errorf("URL = %q, want http://127.0.0.1:PORT/api/v1", srv.URL)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := http.Get(srv.URL + "/user/me.json"); err == nil {
		t.Error("server still answers after Close")
	}
}

func TestEveryRequestPassesTheCommonChecks(t *testing.T) {
	h := newHarness(t, Options{})
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		header      http.Header
		status      int
		want        string
		allow       string
	}{
		{name: "missing key", method: "GET", path: "pci/summary.json",
			header: http.Header{"X-Apikey": nil},
			status: 401, want: `{"code":401,"message":"invalid api key"}`},
		{name: "wrong key", method: "GET", path: "pci/summary.json",
			header: http.Header{"X-Apikey": {"not-the-key"}},
			status: 401, want: `{"code":401,"message":"invalid api key"}`},
		{name: "key checked before the path", method: "GET", path: "pci/nowhere.json",
			header: http.Header{"X-Apikey": {""}},
			status: 401, want: `{"code":401,"message":"invalid api key"}`},
		{name: "unknown path", method: "GET", path: "pci/nowhere.json",
			status: 404, want: `{"code":404,"message":"endpoint not found"}`},
		{name: "path without .json", method: "GET", path: "pci/summary",
			status: 404, want: `{"code":404,"message":"endpoint not found"}`},
		{name: "GET on a POST endpoint", method: "GET", path: "pci/attest.json",
			status: 405, want: `{"code":405,"message":"method not allowed"}`, allow: "POST"},
		{name: "POST on a GET endpoint", method: "POST", path: "pci/start.json", contentType: "application/json",
			status: 405, want: `{"code":405,"message":"method not allowed"}`, allow: "GET"},
		{name: "form-encoded attest", method: "POST", path: "pci/attest.json",
			contentType: "application/x-www-form-urlencoded", body: "id=x",
			status: 415, want: `{"code":415,"message":"content type must be application/json"}`},
		{name: "attest without content type", method: "POST", path: "pci/attest.json", body: "{}",
			status: 415, want: `{"code":415,"message":"content type must be application/json"}`},
		{name: "JSON with charset passes to validation", method: "POST", path: "pci/attest.json",
			contentType: "application/json; charset=utf-8", body: "{}",
			status: 400, want: `{"code":0,"message":"missing required fields: id, report_name, attest_person_name, attest_person_title, questions, notes"}`},
		{name: "body over 1 MiB", method: "POST", path: "pci/attest.json", contentType: "application/json",
			body:   `{"id":"` + strings.Repeat("x", maxBodyBytes) + `"}`,
			status: 413, want: `{"code":413,"message":"request body is larger than 1 MiB"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := h.do(tt.method, tt.path, tt.contentType, tt.body, tt.header)
			assertAnswer(t, got, tt.status, tt.want)
			if allow := got.header.Get("Allow"); allow != tt.allow {
				t.Errorf("Allow = %q, want %q", allow, tt.allow)
			}
		})
	}
}

func TestPathsOutsideTheAPIBaseAreNotFound(t *testing.T) {
	h := newHarness(t, Options{})
	root := strings.TrimSuffix(h.srv.URL, "/api/v1")
	req, _ := http.NewRequest(http.MethodGet, root+"/pci/summary.json", nil)
	req.Header.Set("x-apikey", SandboxAPIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("status = %d, want 404", resp.StatusCode)
	}
}

func TestOptionsAPIKeyReplacesTheSandboxKey(t *testing.T) {
	h := newHarness(t, Options{APIKey: "merchant-key"})
	assertAnswer(t, h.get("user/me.json"), 401, `{"code":401,"message":"invalid api key"}`)
	got := h.do("GET", "user/me.json", "", "", http.Header{"X-Apikey": {"merchant-key"}})
	if got.status != http.StatusOK {
		t.Errorf("status with the configured key = %d, want 200 (%s)", got.status, got.body)
	}
}

func TestRequestsRecordsEveryRequestWithoutTheKey(t *testing.T) {
	h := newHarness(t, Options{})
	h.do("GET", "pci/report-list.json?start=0&limit=5", "", "", http.Header{"X-Trace": {"t-1"}})
	h.do("GET", "user/me.json", "", "", http.Header{"X-Apikey": {"wrong"}})
	h.attest(`{"id":"nope"}`)

	got := h.srv.Simulator.Requests()
	want := []Request{
		{Method: "GET", Path: "/api/v1/pci/report-list.json", RawQuery: "start=0&limit=5"},
		{Method: "GET", Path: "/api/v1/user/me.json"},
		{Method: "POST", Path: "/api/v1/pci/attest.json", Body: []byte(`{"id":"nope"}`)},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d requests, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Method != w.Method || g.Path != w.Path || g.RawQuery != w.RawQuery || !bytes.Equal(g.Body, w.Body) {
			t.Errorf("request %d = %s %s?%s %q, want %s %s?%s %q", i,
				g.Method, g.Path, g.RawQuery, g.Body, w.Method, w.Path, w.RawQuery, w.Body)
		}
		if _, found := g.Header["X-Apikey"]; found {
			t.Errorf("request %d kept the x-apikey header", i)
		}
	}
	if trace := got[0].Header.Get("X-Trace"); trace != "t-1" {
		t.Errorf("X-Trace = %q, want the header the client sent", trace)
	}
	if ct := got[2].Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("recorded Content-Type = %q, want application/json", ct)
	}

	// The recording is a copy: changing it changes nothing the next caller sees.
	got[2].Body[0] = 'X'
	got[0].Header.Set("X-Trace", "changed")
	again := h.srv.Simulator.Requests()
	if string(again[2].Body) != `{"id":"nope"}` || again[0].Header.Get("X-Trace") != "t-1" {
		t.Error("Requests shares memory with the simulator's recording")
	}
}

func TestConcurrentClientsGetDistinctAttestations(t *testing.T) {
	h := newHarness(t, Options{})
	h.clock.Advance(testScanDelay)
	const clients = 8
	reports := make(chan string, clients)
	var wg sync.WaitGroup
	for range clients {
		// Plain requests, not the harness's helpers: t.Fatal must not run off the test goroutine.
		wg.Go(func() {
			report, err := startAndAttest(h.srv.URL)
			if err != nil {
				t.Error(err)
			}
			reports <- report
		})
	}
	wg.Wait()
	close(reports)
	seen := map[string]bool{}
	for body := range reports {
		seen[body] = true
	}
	if len(seen) != clients {
		t.Errorf("%d distinct attest answers from %d clients, want one report each", len(seen), clients)
	}
	assertAnswer(t, h.get("pci/summary.json"), 200, `{"report_count":10,"last_report_id":127353,"status":"draft"}`)
	if got := len(h.srv.Simulator.Requests()); got != 2*clients+1 {
		t.Errorf("recorded %d requests, want %d", got, 2*clients+1)
	}
}

// startAndAttest runs pci/start and a correct pci/attest against base and returns the attest
// answer's body.
func startAndAttest(base string) (string, error) {
	call := func(method, path string, body io.Reader) (string, error) {
		req, err := http.NewRequest(method, base+"/"+path, body)
		if err != nil {
			return "", err
		}
		req.Header.Set("x-apikey", SandboxAPIKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return string(b), err
	}
	started, err := call(http.MethodGet, "pci/start.json", nil)
	if err != nil {
		return "", err
	}
	var start struct{ ID string }
	if err := json.Unmarshal([]byte(started), &start); err != nil {
		return "", err
	}
	body, err := json.Marshal(attestBody(start.ID))
	if err != nil {
		return "", err
	}
	return call(http.MethodPost, "pci/attest.json", bytes.NewReader(body))
}
