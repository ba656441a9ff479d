package qualyssim

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// TestRequestsRecording checks that every request, rejected or not, is
// recorded as sent, without its credentials.
func TestRequestsRecording(t *testing.T) {
	srv, _ := startSim(t, Options{Empty: true})
	add := `{"assetType":"IP","assets":"198.51.100.7"}`
	send(t, srv, "POST", "/pci/asset/add", add)
	send(t, srv, "GET", "/pci/scan/list", "", withoutHeader("Authorization"))
	send(t, srv, "GET", "/pci/compliance/summary?sortBy=status&offset=1&limit=5", "", withHeader("X-Requested-With", "pci-mcp"))
	send(t, srv, "DELETE", "/pci/asset/delete", add)

	got := srv.Requests()
	want := []struct{ method, path, query, body, requestedWith string }{
		{"POST", "/pci/asset/add", "", add, "test"},
		{"GET", "/pci/scan/list", "", "", "test"},
		{"GET", "/pci/compliance/summary", "sortBy=status&offset=1&limit=5", "", "pci-mcp"},
		{"DELETE", "/pci/asset/delete", "", add, "test"},
	}
	if len(got) != len(want) {
		t.Fatalf("recorded %d requests, want %d", len(got), len(want))
	}
	for i, w := range want {
		r := got[i]
		what := fmt.Sprintf("request %d", i)
		equal(t, what+" method", r.Method, w.method)
		equal(t, what+" path", r.Path, w.path)
		equal(t, what+" query", r.RawQuery, w.query)
		equal(t, what+" body", string(r.Body), w.body)
		equal(t, what+" X-Requested-With", r.Header.Get("X-Requested-With"), w.requestedWith)
		equal(t, what+" apiVersion", r.Header.Get("apiVersion"), "V1")
		equal(t, what+" content type", r.Header.Get("Content-Type"), "application/json")
		if _, ok := r.Header["Authorization"]; ok {
			t.Errorf("%s keeps the Authorization header", what)
		}
	}

	// The copy is the caller's: changing it changes nothing recorded.
	got[0].Body[0] = 'X'
	got[0].Header.Set("apiVersion", "changed")
	again := srv.Requests()
	equal(t, "body after the caller's change", string(again[0].Body), add)
	equal(t, "header after the caller's change", again[0].Header.Get("apiVersion"), "V1")

	srv.ClearRequests()
	equal(t, "after ClearRequests", len(srv.Requests()), 0)
	deepEqual(t, "ClearRequests keeps the account", summaryEntries(t, srv), []string{})
	equal(t, "the summary request was recorded", len(srv.Requests()), 1)
}

// TestReset returns a changed account to the demo merchant.
func TestReset(t *testing.T) {
	srv, _ := startSim(t, Options{})
	before := summaryEntries(t, srv)
	data(t, srv, "DELETE", "/pci/asset/delete", assetBody("IP", "203.0.113.10-203.0.113.12"))
	equal(t, "launch", launch(t, srv, `{"title":"t","targetIps":"198.51.100.1"}`), 10988)

	srv.Reset()
	equal(t, "requests after Reset", len(srv.Requests()), 0)
	deepEqual(t, "summary after Reset", summaryEntries(t, srv), before)
	equal(t, "ids start again", launch(t, srv, `{"title":"t","targetIps":"198.51.100.1"}`), 10988)
}

// TestConcurrentClients drives one simulator from several goroutines; run
// with -race it proves the locking, and the counts prove nothing was lost.
func TestConcurrentClients(t *testing.T) {
	srv, _ := startSim(t, Options{Empty: true})
	const clients, rounds = 6, 5
	call := func(method, path, body string) error {
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			return err
		}
		req.SetBasicAuth(SandboxUsername, SandboxPassword)
		req.Header.Set("apiVersion", "V1")
		req.Header.Set("X-Requested-With", "test")
		req.Header.Set("Content-Type", "application/json")
		resp, err := loopbackClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, clients*rounds*3)
	for c := range clients {
		wg.Go(func() {
			for r := range rounds {
				ip := fmt.Sprintf("198.51.100.%d", c*rounds+r+1)
				errs <- call("POST", "/pci/asset/add", assetBody("IP", ip))
				errs <- call("POST", "/pci/scan/launch", fmt.Sprintf(`{"title":"c%d","targetIps":%q}`, c, ip))
				errs <- call("GET", "/pci/compliance/summary", "")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	equal(t, "requests", len(srv.Requests()), clients*rounds*3)
	equal(t, "hosts", len(summaryEntries(t, srv)), clients*rounds)
	equal(t, "scans", object(t, srv, "GET", "/pci/scan/list", "")["totalCount"], any(float64(clients*rounds)))
}

// TestServerClose stops the listener, and closing twice is harmless.
func TestServerClose(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Errorf("URL = %q, want a loopback address", srv.URL)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if resp, err := loopbackClient.Get(srv.URL + "/pci/scan/list"); err == nil {
		resp.Body.Close()
		t.Error("the server still answers after Close")
	}
}
