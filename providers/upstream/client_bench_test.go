package upstream

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Benchmarks of the upstream layer's share of a tool call, run by `make
// bench` (see BENCHMARKS.md). Requests go to an in-memory transport, so they
// time this package's code and not a socket.

// benchAnswer is a finished scan as Qualys answers GET /pci/scan/{id}/details.
const benchAnswer = `{"responseApiVersion":"V1","data":{"title":"Q3 external scan","startedOn":"May 26, 2025 at 06:49 AM GMT",` +
	`"launchedBy":"merchant","duration":"00:12:31","activeHosts":"12","launchType":"On Demand","bandwidth":"Medium",` +
	`"scanStatus":"Finished","target":"203.0.113.10-203.0.113.21, 2001:db8::10","scanType":"IP","compliance":"Pass"}}`

// benchScan is the decoded shape of benchAnswer.
type benchScan struct {
	Data struct {
		Title       String `json:"title"`
		StartedOn   String `json:"startedOn"`
		LaunchedBy  String `json:"launchedBy"`
		Duration    String `json:"duration"`
		ActiveHosts Int    `json:"activeHosts"`
		LaunchType  String `json:"launchType"`
		Bandwidth   String `json:"bandwidth"`
		ScanStatus  String `json:"scanStatus"`
		Target      String `json:"target"`
		ScanType    String `json:"scanType"`
		Compliance  String `json:"compliance"`
	} `json:"data"`
}

// memoryTransport answers every request in memory with one JSON body.
type memoryTransport struct{ body string }

func (m memoryTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return &http.Response{
		StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(m.body)),
		ContentLength: int64(len(m.body)),
		Request:       r,
	}, nil
}

// benchClient is configured as the Qualys client configures it.
func benchClient(b *testing.B, body string) *Client {
	b.Helper()
	c, err := New(Config{
		Provider:  "Qualys",
		BaseURL:   "https://pci-api.qualys.example",
		Header:    http.Header{"Apiversion": {"V1"}, "X-Requested-With": {"pci-mcp"}, "User-Agent": {"pci-mcp/bench"}},
		Authorize: func(r *http.Request) { r.SetBasicAuth("merchant", testSecret) },
		Secrets:   BasicAuthSecrets("merchant", testSecret),
		Settings:  Settings{HTTPClient: &http.Client{Transport: memoryTransport{body}}, MaxAttempts: 1},
	})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkRequestBuilding is the URL, headers and credentials of a GET
// with a query, and of a POST with a JSON body.
func BenchmarkRequestBuilding(b *testing.B) {
	c := benchClient(b, benchAnswer)
	ctx := context.Background()
	b.Run("GET", func(b *testing.B) {
		r := Request{Effect: Read, Method: http.MethodGet, Path: "pci/scan/list", Query: url.Values{"offset": {"1"}, "limit": {"50"}}}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.newHTTPRequest(ctx, r, c.resolve(r), nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("POST", func(b *testing.B) {
		r := Request{Effect: Write, Method: http.MethodPost, Path: "pci/asset/add", Body: map[string]string{"ips": "203.0.113.10, 2001:db8::10"}}
		payload := []byte(`{"ips":"203.0.113.10, 2001:db8::10"}`)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.newHTTPRequest(ctx, r, c.resolve(r), payload); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDo is one whole request: build, send to memory, check the
// answer and decode it into typed fields.
func BenchmarkDo(b *testing.B) {
	c := benchClient(b, benchAnswer)
	ctx := context.Background()
	r := Request{Effect: Read, Method: http.MethodGet, Path: "pci/scan/4242/details"}
	b.SetBytes(int64(len(benchAnswer)))
	b.ReportAllocs()
	for b.Loop() {
		var out benchScan
		if err := c.Do(ctx, r, &out); err != nil {
			b.Fatal(err)
		}
	}
}
