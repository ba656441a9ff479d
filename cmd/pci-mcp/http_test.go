package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/tools"
)

// Marker secrets: they must never reach the upstream, a result or a log.
const (
	markerAuthToken = "marker-auth-token-0123456789abcdef0123456789"
	markerStateKey  = "marker-state-key-0123456789abcdef0123456789"
)

// removeHosts are the arguments of the guarded call the tests confirm.
var removeHosts = map[string]any{"hosts": []string{"203.0.113.5", "2001:db8::5"}}

// fakeQualys answers the Qualys PCI paths the tests call and records every
// request. hold makes the next GET /pci/scan/list wait until released.
type fakeQualys struct {
	srv *httptest.Server

	mu      sync.Mutex
	seen    []*http.Request
	arrived chan struct{} // closed by the first held request
	release chan struct{}
}

func newFakeQualys(t *testing.T) *fakeQualys {
	f := &fakeQualys{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeQualys) serve(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	f.mu.Lock()
	f.seen = append(f.seen, r.Clone(context.Background()))
	route := r.Method + " " + r.URL.Path
	arrived, release := f.arrived, f.release
	if route == "GET /pci/scan/list" {
		f.arrived, f.release = nil, nil // hold one request only
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch route {
	case "GET /pci/scan/list":
		if release != nil {
			close(arrived)
			<-release
		}
		_, _ = io.WriteString(w, `{"responseApiVersion":"V1","data":{"totalCount":0,"fetchRange":"0-0","scanInfoList":[]}}`)
	case "DELETE /pci/asset/delete":
		_, _ = io.WriteString(w, `{"responseApiVersion":"V1","data":"2 IP removed successfully"}`)
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"responseApiVersion":"V1","errors":[{"code":404,"message":"Not Found"}]}`)
	}
}

// hold makes the next GET /pci/scan/list wait: arrived closes when it has
// reached the fake, and it answers once release is closed.
func (f *fakeQualys) hold() (arrived <-chan struct{}, release chan<- struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.arrived, f.release = make(chan struct{}), make(chan struct{})
	return f.arrived, f.release
}

// requests returns "METHOD /path" for each request received.
func (f *fakeQualys) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.seen))
	for i, r := range f.seen {
		out[i] = r.Method + " " + r.URL.Path
	}
	return out
}

// writes returns "METHOD /path" for each request but reads (GET): a
// destructive tool may read the account before asking, never write.
func (f *fakeQualys) writes() []string {
	var out []string
	for _, r := range f.requests() {
		if !strings.HasPrefix(r, http.MethodGet+" ") {
			out = append(out, r)
		}
	}
	return out
}

// count is how many requests "METHOD /path" received.
func (f *fakeQualys) count(route string) int {
	n := 0
	for _, r := range f.requests() {
		if r == route {
			n++
		}
	}
	return n
}

// headers returns every header value every request carried.
func (f *fakeQualys) headers() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	for _, r := range f.seen {
		for k, vs := range r.Header {
			fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(vs, ","))
		}
	}
	return b.String()
}

// testServer is pci-mcp run in-process through run(), serving on a
// listener the test opened on 127.0.0.1.
type testServer struct {
	url    string
	hooks  *httpTestHooks
	stderr *lockedBuffer
	cancel context.CancelFunc
	exit   chan int

	once sync.Once
	code int
}

// serverEnv is the environment of a server that talks to fake and requires
// markerAuthToken; extra pairs are added or override.
func serverEnv(fake *fakeQualys, extra ...string) func(string) string {
	pairs := []string{
		"QUALYS_USERNAME", "merchant", "QUALYS_PASSWORD", markerPassword, "QUALYS_PCI_URL", fake.srv.URL,
		"PCI_MCP_AUTH_TOKEN", markerAuthToken, "PCI_MCP_STATE_KEY", markerStateKey, "PCI_MCP_LOG_LEVEL", "debug",
	}
	return env(append(pairs, extra...)...)
}

func startServer(t *testing.T, getenv func(string) string, args ...string) *testServer {
	t.Helper()
	return startServerWithTimeouts(t, nil, getenv, args...)
}

func startServerWithTimeouts(t *testing.T, timeouts *httpTimeouts, getenv func(string) string, args ...string) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hooks := &httpTestHooks{listener: ln, timeouts: timeouts, draining: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), httpTestHooksKey{}, hooks))
	s := &testServer{url: "http://" + ln.Addr().String(), hooks: hooks, stderr: &lockedBuffer{}, cancel: cancel, exit: make(chan int, 1)}
	go func() {
		s.exit <- run(ctx, append([]string{"pci-mcp"}, args...), getenv, strings.NewReader(""), io.Discard, s.stderr)
	}()
	t.Cleanup(func() {
		s.stop()
		_ = ln.Close()
	})
	return s
}

// stop cancels run's context, as SIGTERM does, and returns its exit status.
func (s *testServer) stop() int {
	s.once.Do(func() {
		s.cancel()
		s.code = <-s.exit
	})
	return s.code
}

func bearer(token string) map[string]string {
	if token == "" {
		return nil
	}
	return map[string]string{"Authorization": "Bearer " + token}
}

// The clients the tests speak through: mcp-go's own, on each transport and
// each protocol generation.
type clientKind struct {
	name      string
	transport string // pci-mcp's --transport
	connect   func(t *testing.T, url, token string, opts ...client.ClientOption) *client.Client
}

var clientKinds = []clientKind{
	{"http/2025-11-25", "http", func(t *testing.T, url, token string, opts ...client.ClientOption) *client.Client {
		return connectStreamable(t, url, token, mcp.LATEST_LEGACY_PROTOCOL_VERSION, nil, opts...)
	}},
	{"http/2026-07-28", "http", func(t *testing.T, url, token string, opts ...client.ClientOption) *client.Client {
		return connectStreamable(t, url, token, mcp.LATEST_PROTOCOL_VERSION, nil, opts...)
	}},
	{"sse", "sse", connectSSE},
}

func connectStreamable(t *testing.T, url, token, version string, httpClient *http.Client, opts ...client.ClientOption) *client.Client {
	t.Helper()
	topts := []transport.StreamableHTTPCOption{transport.WithHTTPHeaders(bearer(token)),
		transport.WithHTTPLogger(slog.New(slog.DiscardHandler))} // it logs a DELETE to a stopped server as an error
	if httpClient != nil {
		topts = append(topts, transport.WithHTTPBasicClient(httpClient))
	}
	tr, err := transport.NewStreamableHTTP(url+"/mcp", topts...)
	require.NoError(t, err)
	return initialize(t, client.NewClient(tr, opts...), version)
}

func connectSSE(t *testing.T, url, token string, opts ...client.ClientOption) *client.Client {
	t.Helper()
	tr, err := transport.NewSSE(url+"/sse", transport.WithHeaders(bearer(token)),
		transport.WithSSELogger(slog.New(slog.DiscardHandler))) // it logs the end of the stream at shutdown as an error
	require.NoError(t, err)
	return initialize(t, client.NewClient(tr, opts...), mcp.LATEST_LEGACY_PROTOCOL_VERSION)
}

func initialize(t *testing.T, c *client.Client, version string) *client.Client {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, c.Start(ctx))
	t.Cleanup(func() { _ = c.Close() })
	var init mcp.InitializeRequest
	init.Params.ClientInfo = mcp.Implementation{Name: "http-test", Version: "1"}
	init.Params.ProtocolVersion = version
	res, err := c.Initialize(ctx, init)
	require.NoError(t, err)
	require.Equal(t, tools.ServerName, res.ServerInfo.Name)
	return c
}

func callTool(t *testing.T, c *client.Client, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	var req mcp.CallToolRequest
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := c.CallTool(context.Background(), req)
	require.NoError(t, err, "tools/call %s", name)
	return res
}

// structuredOf decodes a result's structured content.
func structuredOf(t *testing.T, res *mcp.CallToolResult) map[string]any {
	t.Helper()
	data, err := json.Marshal(res.StructuredContent)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(data, &out))
	return out
}

func resultText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if text, ok := c.(mcp.TextContent); ok {
			b.WriteString(text.Text)
		}
	}
	return b.String()
}

// withArgument returns a copy of args with name set to value.
func withArgument(args map[string]any, name string, value any) map[string]any {
	out := maps.Clone(args)
	if out == nil {
		out = map[string]any{}
	}
	out[name] = value
	return out
}

func withToken(args map[string]any, token string) map[string]any {
	return withArgument(args, "confirmation_token", token)
}

// TestHTTPTransportsServeTheCatalogAndTheGuard speaks to pci-mcp over
// Streamable HTTP (both protocol generations) and HTTP+SSE with mcp-go's
// clients: the whole catalog, a read reaching the fake Qualys, and a removal
// confirmed through the token route — nothing sent on the first call, one
// DELETE on the second. The bearer token never leaves pci-mcp.
func TestHTTPTransportsServeTheCatalogAndTheGuard(t *testing.T) {
	want, err := tools.Select(tools.Catalog(), map[tools.Toolset]bool{tools.ToolsetQualys: true}, tools.Policy{})
	require.NoError(t, err)
	var wantNames []string
	for _, tool := range want {
		wantNames = append(wantNames, tool.Name)
	}

	for _, kind := range clientKinds {
		t.Run(kind.name, func(t *testing.T) {
			fake := newFakeQualys(t)
			s := startServer(t, serverEnv(fake), "--transport", kind.transport)
			c := kind.connect(t, s.url, markerAuthToken)

			list, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
			require.NoError(t, err)
			var names []string
			for _, tool := range list.Tools {
				names = append(names, tool.Name)
			}
			assert.ElementsMatch(t, wantNames, names, "the same catalog as over stdio")

			res := callTool(t, c, "qualys_list_scans", map[string]any{"limit": 5})
			require.False(t, res.IsError, resultText(res))
			assert.Contains(t, resultText(res), "scanInfoList")

			first := callTool(t, c, "qualys_remove_hosts", removeHosts)
			require.False(t, first.IsError, resultText(first))
			out := structuredOf(t, first)
			require.Equal(t, "confirmation_required", out["status"])
			token, _ := out["confirmation_token"].(string)
			require.NotEmpty(t, token)
			assert.Zero(t, fake.count("DELETE /pci/asset/delete"), "the first call sends nothing")

			second := callTool(t, c, "qualys_remove_hosts", withToken(removeHosts, token))
			require.False(t, second.IsError, resultText(second))
			assert.Equal(t, "done", structuredOf(t, second)["status"])
			assert.Equal(t, 1, fake.count("DELETE /pci/asset/delete"))

			assert.NotContains(t, fake.headers(), markerAuthToken, "the bearer token is for pci-mcp alone")
			assert.Equal(t, 0, s.stop())
			logs := s.stderr.String()
			for _, secret := range []string{markerAuthToken, markerStateKey, markerPassword} {
				assert.NotContains(t, logs, secret)
			}
			assert.Contains(t, logs, "pci-mcp stopped")
		})
	}
}

// TestHTTPTokenIsBoundToItsSession: on the transports with sessions, a
// token issued to one session is refused in another, and nothing is sent.
func TestHTTPTokenIsBoundToItsSession(t *testing.T) {
	for _, kind := range []clientKind{clientKinds[0], clientKinds[2]} {
		t.Run(kind.name, func(t *testing.T) {
			fake := newFakeQualys(t)
			s := startServer(t, serverEnv(fake), "--transport", kind.transport)
			alice := kind.connect(t, s.url, markerAuthToken)
			mallory := kind.connect(t, s.url, markerAuthToken)

			first := callTool(t, alice, "qualys_remove_hosts", removeHosts)
			token, _ := structuredOf(t, first)["confirmation_token"].(string)
			require.NotEmpty(t, token)
			res := callTool(t, mallory, "qualys_remove_hosts", withToken(removeHosts, token))
			assert.True(t, res.IsError)
			assert.Contains(t, resultText(res), "another session")
			assert.Empty(t, fake.writes())
		})
	}
}

// elicitor answers every elicitation with confirm: true, and counts them.
type elicitor struct {
	mu    sync.Mutex
	asked int
}

func (e *elicitor) Elicit(context.Context, mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.asked++
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{
		Action: mcp.ElicitationResponseActionAccept, Content: map[string]any{"confirm": true},
	}}, nil
}

// TestHTTPConfirmationByElicitation: a client that can show a form is asked
// over Streamable HTTP — by elicitation/create on the call's own event
// stream (2025-11-25), or by an input request it answers in a second round
// trip (2026-07-28) — and the removal runs once.
func TestHTTPConfirmationByElicitation(t *testing.T) {
	for _, kind := range clientKinds[:2] {
		t.Run(kind.name, func(t *testing.T) {
			fake := newFakeQualys(t)
			s := startServer(t, serverEnv(fake), "--transport", kind.transport)
			e := &elicitor{}
			c := kind.connect(t, s.url, markerAuthToken, client.WithElicitationHandler(e))

			res := callTool(t, c, "qualys_remove_hosts", removeHosts)
			require.False(t, res.IsError, resultText(res))
			out := structuredOf(t, res)
			assert.Equal(t, "done", out["status"])
			assert.Equal(t, "elicitation", out["confirmed_by"])
			assert.Equal(t, 1, e.asked)
			assert.Equal(t, []string{"DELETE /pci/asset/delete"}, fake.writes())
		})
	}
}

// alternate is a load balancer without affinity: each request goes to the
// next replica in turn.
type alternate struct {
	mu       sync.Mutex
	replicas []string // host:port
	next     int
	served   map[string]int
}

func (a *alternate) RoundTrip(r *http.Request) (*http.Response, error) {
	a.mu.Lock()
	host := a.replicas[a.next%len(a.replicas)]
	a.next++
	a.served[host]++
	a.mu.Unlock()
	r = r.Clone(r.Context())
	r.URL.Host, r.Host = host, host
	return http.DefaultTransport.RoundTrip(r)
}

// TestHTTPReplicasShareTrafficWithoutAffinity runs two replicas sharing
// PCI_MCP_STATE_KEY behind a balancer that alternates every request: both
// protocol generations list, read and confirm a removal by token. Without a
// shared store each replica keeps its own used marks, so it honours only
// the tokens it issued: the same confirmed call sent twice in a row reaches
// each replica once, and executes exactly once, on the replica that issued
// the token; the other refuses it and sends nothing.
func TestHTTPReplicasShareTrafficWithoutAffinity(t *testing.T) {
	for _, version := range []string{mcp.LATEST_LEGACY_PROTOCOL_VERSION, mcp.LATEST_PROTOCOL_VERSION} {
		t.Run(version, func(t *testing.T) {
			fake := newFakeQualys(t)
			a := startServer(t, serverEnv(fake), "--transport", "http")
			b := startServer(t, serverEnv(fake), "--transport", "http")
			lb := &alternate{replicas: []string{strings.TrimPrefix(a.url, "http://"), strings.TrimPrefix(b.url, "http://")}, served: map[string]int{}}
			c := connectStreamable(t, a.url, markerAuthToken, version, &http.Client{Transport: lb})

			_, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
			require.NoError(t, err)
			first := callTool(t, c, "qualys_remove_hosts", removeHosts)
			token, _ := structuredOf(t, first)["confirmation_token"].(string)
			require.NotEmpty(t, token, resultText(first))
			var done, refused int
			for range 2 {
				res := callTool(t, c, "qualys_remove_hosts", withToken(removeHosts, token))
				if !res.IsError {
					assert.Equal(t, "done", structuredOf(t, res)["status"])
					done++
					continue
				}
				assert.Contains(t, resultText(res), "issued before the server restarted; call the tool again for a new one")
				refused++
			}
			assert.Equal(t, 1, done, "the issuing replica executes the confirmed call")
			assert.Equal(t, 1, refused, "the other replica, which cannot know whether it was used, refuses it")
			assert.Equal(t, 1, fake.count("DELETE /pci/asset/delete"))
			for _, replica := range lb.replicas {
				assert.Positive(t, lb.served[replica], "both replicas served")
			}
		})
	}
}

// initializeBody is a legacy initialize request.
const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`

// rawRequest is one HTTP request to the front door.
type rawRequest struct {
	method, path string
	header       map[string]string
	host         string // Host header; default the listener's address
	body         io.Reader
	length       int64 // Content-Length; -1 for a chunked body
}

func (s *testServer) do(t *testing.T, rr rawRequest) *http.Response {
	t.Helper()
	req, err := http.NewRequest(rr.method, s.url+rr.path, rr.body)
	require.NoError(t, err)
	req.ContentLength = rr.length
	if rr.body == nil {
		req.ContentLength = 0
	}
	if rr.host != "" {
		req.Host = rr.host
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range rr.header {
		req.Header.Set(k, v)
	}
	// A client that waits for 100 Continue before sending a body sees the
	// 413 without having to push 4 MiB into a closing connection.
	req.Header.Set("Expect", "100-continue")
	tr := &http.Transport{ExpectContinueTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	// An event stream never ends: read only the status and headers.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	res, err := tr.RoundTrip(req.WithContext(ctx))
	require.NoError(t, err)
	if res.Header.Get("Content-Type") != "text/event-stream" {
		body, _ := io.ReadAll(res.Body)
		res.Body = io.NopCloser(strings.NewReader(string(body)))
	}
	t.Cleanup(func() { _ = res.Body.Close() })
	return res
}

func jsonBody(s string) (io.Reader, int64) { return strings.NewReader(s), int64(len(s)) }

// TestHTTPFrontDoor sends raw requests past each transport's front door:
// the token, the browser origin, the Host name and the body size, each
// refused with the status a client can act on; /healthz stays open.
func TestHTTPFrontDoor(t *testing.T) {
	big := strings.Repeat(" ", maxBodyBytes) + initializeBody
	type want struct {
		status    int
		header    string // a response header that must be present ...
		headerHas string // ... and contain this
	}
	tests := []struct {
		name string
		req  func(post, stream string) rawRequest
		want want
	}{
		{"no token", func(ep, _ string) rawRequest {
			b, n := jsonBody(initializeBody)
			return rawRequest{method: "POST", path: ep, body: b, length: n}
		}, want{http.StatusUnauthorized, "WWW-Authenticate", "Bearer"}},
		{"wrong token", func(ep, _ string) rawRequest {
			b, n := jsonBody(initializeBody)
			return rawRequest{method: "POST", path: ep, body: b, length: n, header: bearer(strings.Repeat("x", 48))}
		}, want{http.StatusUnauthorized, "WWW-Authenticate", `Bearer realm="pci-mcp", error="invalid_token"`}},
		{"basic instead of bearer", func(_, stream string) rawRequest {
			return rawRequest{method: "GET", path: stream, header: map[string]string{"Authorization": "Basic " + markerAuthToken}}
		}, want{http.StatusUnauthorized, "WWW-Authenticate", "Bearer"}},
		{"foreign origin", func(ep, _ string) rawRequest {
			b, n := jsonBody(initializeBody)
			h := bearer(markerAuthToken)
			h["Origin"] = "https://evil.example"
			return rawRequest{method: "POST", path: ep, body: b, length: n, header: h}
		}, want{http.StatusForbidden, "", ""}},
		{"localhost origin", func(ep, _ string) rawRequest {
			// The loopback default has no bearer token: a page on any local
			// port must not be able to drive the server.
			b, n := jsonBody(initializeBody)
			h := bearer(markerAuthToken)
			h["Origin"] = "http://localhost:3000"
			return rawRequest{method: "POST", path: ep, body: b, length: n, header: h}
		}, want{http.StatusForbidden, "", ""}},
		{"loopback IP origin", func(_, stream string) rawRequest {
			h := bearer(markerAuthToken)
			h["Origin"] = "http://127.0.0.1:8080"
			return rawRequest{method: "GET", path: stream, header: h}
		}, want{http.StatusForbidden, "", ""}},
		{"preflight from a localhost origin", func(ep, _ string) rawRequest {
			return rawRequest{method: "OPTIONS", path: ep, header: map[string]string{
				"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type",
			}}
		}, want{http.StatusForbidden, "", ""}},
		{"listed origin with another port", func(ep, _ string) rawRequest {
			b, n := jsonBody(initializeBody)
			h := bearer(markerAuthToken)
			h["Origin"] = "https://chat.example.com:8443"
			return rawRequest{method: "POST", path: ep, body: b, length: n, header: h}
		}, want{http.StatusForbidden, "", ""}},
		{"rebinding host", func(ep, _ string) rawRequest {
			b, n := jsonBody(initializeBody)
			return rawRequest{method: "POST", path: ep, body: b, length: n, header: bearer(markerAuthToken), host: "evil.example:8080"}
		}, want{http.StatusForbidden, "", ""}},
		{"rebinding host without token", func(_, _ string) rawRequest {
			return rawRequest{method: "GET", path: "/healthz", host: "evil.example"}
		}, want{http.StatusForbidden, "", ""}},
		{"body over 4 MiB", func(ep, _ string) rawRequest {
			return rawRequest{method: "POST", path: ep, body: strings.NewReader(big), length: int64(len(big)), header: bearer(markerAuthToken)}
		}, want{http.StatusRequestEntityTooLarge, "", ""}},
		{"chunked body over 4 MiB", func(ep, _ string) rawRequest {
			return rawRequest{method: "POST", path: ep, body: strings.NewReader(big), length: -1, header: bearer(markerAuthToken)}
		}, want{http.StatusRequestEntityTooLarge, "", ""}},
		{"preflight from an allowed origin", func(ep, _ string) rawRequest {
			return rawRequest{method: "OPTIONS", path: ep, header: map[string]string{
				"Origin": "https://chat.example.com", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type",
			}}
		}, want{http.StatusNoContent, "Access-Control-Allow-Headers", "Authorization"}},
		{"health without a token", func(_, _ string) rawRequest {
			return rawRequest{method: "GET", path: "/healthz"}
		}, want{http.StatusOK, "Content-Type", "application/json"}},
	}
	for _, tr := range []struct{ transport, post, stream string }{{"http", "/mcp", "/mcp"}, {"sse", "/message?sessionId=x", "/sse"}} {
		t.Run(tr.transport, func(t *testing.T) {
			fake := newFakeQualys(t)
			s := startServer(t, serverEnv(fake), "--transport", tr.transport, "--allowed-origins", "https://chat.example.com")
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					res := s.do(t, tt.req(tr.post, tr.stream))
					body, _ := io.ReadAll(res.Body)
					assert.Equal(t, tt.want.status, res.StatusCode, string(body))
					if tt.want.header != "" {
						assert.Contains(t, res.Header.Get(tt.want.header), tt.want.headerHas)
					}
					assert.NotContains(t, string(body), markerAuthToken)
					if tt.want.status == http.StatusForbidden {
						for k := range res.Header {
							assert.NotContains(t, k, "Access-Control-", "a refused origin gets no CORS headers")
						}
					}
				})
			}
			assert.Empty(t, fake.requests())
		})
	}

	t.Run("accepted", func(t *testing.T) {
		fake := newFakeQualys(t)
		s := startServer(t, serverEnv(fake), "--transport", "http", "--allowed-origins", "https://chat.example.com,http://localhost:6274")
		for _, h := range []struct{ name, host, origin string }{
			{"localhost", "localhost:1234", ""},
			{"ipv6 loopback", "[::1]:1234", ""},
			{"listed loopback origin", "", "http://localhost:6274"},
			{"listed origin", "", "https://chat.example.com"},
			{"its own origin", "", s.url},
		} {
			t.Run(h.name, func(t *testing.T) {
				b, n := jsonBody(initializeBody)
				header := bearer(markerAuthToken)
				if h.origin != "" {
					header["Origin"] = h.origin
				}
				res := s.do(t, rawRequest{method: "POST", path: "/mcp", body: b, length: n, host: h.host, header: header})
				body, _ := io.ReadAll(res.Body)
				assert.Equal(t, http.StatusOK, res.StatusCode, string(body))
				assert.Contains(t, string(body), `"serverInfo"`)
				if h.origin != "" && h.origin != s.url {
					assert.Equal(t, h.origin, res.Header.Get("Access-Control-Allow-Origin"))
				}
			})
		}
		res := s.do(t, rawRequest{method: "GET", path: "/healthz"})
		var health map[string]any
		require.NoError(t, json.NewDecoder(res.Body).Decode(&health))
		assert.Equal(t, "ok", health["status"])
		assert.Equal(t, []any{"qualys"}, health["providers"])
		assert.Contains(t, health, "version")
	})

	t.Run("event stream", func(t *testing.T) {
		for _, listed := range []string{"", "http://localhost:6274"} {
			args := []string{"--transport", "sse"}
			if listed != "" {
				args = append(args, "--allowed-origins", listed)
			}
			s := startServer(t, serverEnv(newFakeQualys(t)), args...)
			res := s.do(t, rawRequest{method: "GET", path: "/sse", header: bearer(markerAuthToken)})
			assert.Equal(t, http.StatusOK, res.StatusCode)
			assert.Empty(t, res.Header.Get("Access-Control-Allow-Origin"), "no CORS for a client without an Origin, and never *")
			header := bearer(markerAuthToken)
			header["Origin"] = "http://localhost:6274"
			res = s.do(t, rawRequest{method: "GET", path: "/sse", header: header})
			if listed == "" {
				assert.Equal(t, http.StatusForbidden, res.StatusCode, "a loopback origin is refused unless listed")
				assert.Empty(t, res.Header.Get("Access-Control-Allow-Origin"))
				continue
			}
			assert.Equal(t, http.StatusOK, res.StatusCode)
			assert.Equal(t, []string{"http://localhost:6274"}, res.Header.Values("Access-Control-Allow-Origin"))
		}
	})
}

// TestHTTPGracefulShutdown cancels run's context (as SIGTERM does) while a
// call waits on the upstream: the server stops accepting connections, the
// call still completes with its result, and run returns 0.
func TestHTTPGracefulShutdown(t *testing.T) {
	for _, kind := range clientKinds {
		t.Run(kind.name, func(t *testing.T) {
			fake := newFakeQualys(t)
			s := startServer(t, serverEnv(fake), "--transport", kind.transport)
			c := kind.connect(t, s.url, markerAuthToken)
			arrived, release := fake.hold()

			results := make(chan *mcp.CallToolResult, 1)
			errs := make(chan error, 1)
			go func() {
				var req mcp.CallToolRequest
				req.Params.Name = "qualys_list_scans"
				// Only so that a lost response fails the test instead of
				// hanging it: a working server answers long before.
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				res, err := c.CallTool(ctx, req)
				results <- res
				errs <- err
			}()
			<-arrived

			exit := make(chan int, 1)
			go func() { exit <- s.stop() }()
			<-s.hooks.draining
			_, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
			assert.Error(t, err, "no new connections once the shutdown has begun")
			close(release)

			res := <-results
			require.NoError(t, <-errs)
			require.False(t, res.IsError, resultText(res))
			assert.Contains(t, resultText(res), "scanInfoList")
			assert.Equal(t, 0, <-exit)
			logs := s.stderr.String()
			assert.Contains(t, logs, "in_flight=1")
			assert.NotContains(t, logs, "shutdown timeout passed")
		})
	}
}

// TestHTTPRefusesToListenBeyondLoopbackWithoutToken: pci-mcp changes what
// a merchant's scans cover, so it never listens on a public address
// without PCI_MCP_AUTH_TOKEN; the message says what to do.
func TestHTTPRefusesToListenBeyondLoopbackWithoutToken(t *testing.T) {
	creds := []string{"QUALYS_USERNAME", "u", "QUALYS_PASSWORD", markerPassword}
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"every interface", creds, []string{"--transport", "http", "--addr", "0.0.0.0:0"}, "PCI_MCP_AUTH_TOKEN"},
		{"empty host", creds, []string{"--transport", "sse", "--addr", ":0"}, "PCI_MCP_AUTH_TOKEN"},
		{"ipv6 any", creds, []string{"--transport", "http", "--addr", "[::]:0"}, "or listen on 127.0.0.1"},
		{"from the environment", append(creds, "PCI_MCP_TRANSPORT", "http", "PCI_MCP_ADDR", "192.0.2.1:8080"), nil, "PCI_MCP_AUTH_TOKEN"},
		{"short token", append(creds, "PCI_MCP_AUTH_TOKEN", "short"), []string{"--transport", "http"}, "at least 32 bytes"},
		{"wildcard origin", creds, []string{"--transport", "http", "--allowed-origins", "*"}, "list origins explicitly"},
		{"origin with a path", creds, []string{"--transport", "http", "--allowed-origins", "https://chat.example.com/app"}, "scheme://host[:port]"},
		{"address without port", creds, []string{"--transport", "http", "--addr", "127.0.0.1"}, "want host:port"},
		{"no sessions", creds, []string{"--transport", "http", "--max-sessions", "0"}, "--max-sessions must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runMain(t, env(tt.env...), tt.args...)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Contains(t, stderr, tt.want)
			assert.NotContains(t, stderr, markerPassword)
		})
	}

	t.Run("a listener beyond loopback", func(t *testing.T) {
		// The socket is what counts, whatever --addr said.
		ln, err := net.Listen("tcp", "0.0.0.0:0")
		require.NoError(t, err)
		defer ln.Close()
		ctx := context.WithValue(context.Background(), httpTestHooksKey{}, &httpTestHooks{listener: ln})
		var stderr lockedBuffer
		code := run(ctx, []string{"pci-mcp", "--transport", "http"}, env(creds...), strings.NewReader(""), io.Discard, &stderr)
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, stderr.String(), "would accept connections from other machines")
	})
}

// TestHTTPCallsOutliveTheServerTimeouts: the read and write timeouts bound
// reading a request and each write, not a call or a stream. With both at
// 250ms (long enough that a loaded machine still reads a loopback request
// in time), a call the upstream answers after 1s still gets its result, on
// the same session, and the next call works.
func TestHTTPCallsOutliveTheServerTimeouts(t *testing.T) {
	short := &httpTimeouts{readHeader: 250 * time.Millisecond, read: 250 * time.Millisecond, write: 250 * time.Millisecond, idle: time.Minute}
	for _, kind := range clientKinds {
		t.Run(kind.name, func(t *testing.T) {
			fake := newFakeQualys(t)
			s := startServerWithTimeouts(t, short, serverEnv(fake), "--transport", kind.transport)
			c := kind.connect(t, s.url, markerAuthToken)
			arrived, release := fake.hold()
			go func() {
				<-arrived
				time.Sleep(4 * short.read) // past both deadlines, whatever the scheduler does
				close(release)
			}()
			res := callTool(t, c, "qualys_list_scans", nil)
			require.False(t, res.IsError, resultText(res))
			res = callTool(t, c, "qualys_list_scans", nil)
			require.False(t, res.IsError, resultText(res))
		})
	}
}

func TestHelpListsTheHTTPSettings(t *testing.T) {
	code, stdout, _ := runMain(t, env(), "--help")
	assert.Equal(t, exitOK, code)
	for _, want := range []string{"--addr string", "PCI_MCP_ADDR", "--allowed-origins strings", "PCI_MCP_ALLOWED_ORIGINS",
		"--shutdown-timeout duration", "PCI_MCP_SHUTDOWN_TIMEOUT", "--max-sessions int", "PCI_MCP_MAX_SESSIONS", "PCI_MCP_AUTH_TOKEN"} {
		assert.Contains(t, stdout, want)
	}
}

// TestCallThroughTheHTTPTransport: `pci-mcp call --url` sends
// PCI_MCP_AUTH_TOKEN to a pci-mcp serving Streamable HTTP; without it the
// server turns the call away.
func TestCallThroughTheHTTPTransport(t *testing.T) {
	fake := newFakeQualys(t)
	s := startServer(t, serverEnv(fake), "--transport", "http")
	code, stdout, stderr := runMain(t, env("PCI_MCP_AUTH_TOKEN", markerAuthToken), "call", "--url", s.url+"/mcp", "qualys_list_scans")
	assert.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "scanInfoList")
	assert.Equal(t, []string{"GET /pci/scan/list"}, fake.requests())

	code, _, stderr = runMain(t, env(), "call", "--url", s.url+"/mcp", "qualys_list_scans")
	assert.NotEqual(t, exitOK, code)
	assert.Contains(t, stderr, "authorization required")
	assert.Len(t, fake.requests(), 1)
}
