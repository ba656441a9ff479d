package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// otherAuthToken is the bearer of a replica that shares the state key but
// not the token.
const otherAuthToken = "other-auth-token-0123456789abcdef0123456789ab"

// initializeWith is a legacy initialize request with these capabilities.
func initializeWith(capabilities string) string {
	return `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":` +
		capabilities + `,"clientInfo":{"name":"raw","version":"1"}}}`
}

// post sends one JSON-RPC message to /mcp, with headers added to the
// bearer's.
func (s *testServer) post(t *testing.T, token, body string, header map[string]string) *http.Response {
	t.Helper()
	h := bearer(token)
	if h == nil {
		h = map[string]string{}
	}
	for k, v := range header {
		h[k] = v
	}
	b, n := jsonBody(body)
	return s.do(t, rawRequest{method: "POST", path: "/mcp", body: b, length: n, header: h})
}

// openSession initializes a Streamable HTTP session with raw requests and
// returns its id.
func (s *testServer) openSession(t *testing.T, token, capabilities string) string {
	t.Helper()
	res := s.post(t, token, initializeWith(capabilities), nil)
	body, _ := io.ReadAll(res.Body)
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	id := res.Header.Get("Mcp-Session-Id")
	require.NotEmpty(t, id)
	res = s.post(t, token, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, map[string]string{"Mcp-Session-Id": id})
	require.Equal(t, http.StatusAccepted, res.StatusCode)
	return id
}

const listToolsBody = `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`

func callBody(name string, args map[string]any) string {
	data, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 3, "method": "tools/call",
		"params": map[string]any{"name": name, "arguments": args}})
	return string(data)
}

// TestHTTPSessionIDsOnlyTheServerMints: over Streamable HTTP, a session id
// this deployment did not issue to this bearer — in mcp-go's own format,
// altered, from a server with another state key, or opened with another
// bearer on a replica sharing the state key — is an unknown session: 404,
// for a call, a listen and a delete, and nothing reaches the upstream.
func TestHTTPSessionIDsOnlyTheServerMints(t *testing.T) {
	fake := newFakeQualys(t)
	s := startServer(t, serverEnv(fake), "--transport", "http")
	otherKey := startServer(t, serverEnv(fake, "PCI_MCP_STATE_KEY", "another-state-key-0123456789abcdef0123456789"), "--transport", "http")
	otherBearer := startServer(t, serverEnv(fake, "PCI_MCP_AUTH_TOKEN", otherAuthToken), "--transport", "http")

	own := s.openSession(t, markerAuthToken, `{}`)
	altered := []byte(own)
	altered[len("pcimcp-s1.")] ^= 1
	foreignKey := otherKey.openSession(t, markerAuthToken, `{}`)
	foreignBearer := otherBearer.openSession(t, otherAuthToken, `{}`)

	// Its own id works, and the same id works on a replica with the same
	// key and bearer.
	res := s.post(t, markerAuthToken, listToolsBody, map[string]string{"Mcp-Session-Id": own})
	require.Equal(t, http.StatusOK, res.StatusCode)

	for name, id := range map[string]string{
		"well-formed but never issued": "mcp-session-6f1c2a3e-6a8e-4f55-9d8c-2f0b3c1d4e5f",
		"altered":                      string(altered),
		"another state key":            foreignKey,
		"opened with another bearer":   foreignBearer,
	} {
		t.Run(name, func(t *testing.T) {
			for _, rr := range []rawRequest{
				{method: "POST", path: "/mcp", body: strings.NewReader(callBody("qualys_remove_hosts", removeHosts)), length: int64(len(callBody("qualys_remove_hosts", removeHosts)))},
				{method: "GET", path: "/mcp"},
				{method: "DELETE", path: "/mcp"},
			} {
				rr.header = bearer(markerAuthToken)
				rr.header["Mcp-Session-Id"] = id
				res := s.do(t, rr)
				body, _ := io.ReadAll(res.Body)
				assert.Equal(t, http.StatusNotFound, res.StatusCode, "%s: %s", rr.method, body)
				assert.Contains(t, string(body), "unknown session", rr.method)
			}
		})
	}
	// The session opened with the other bearer works there, with it.
	res = otherBearer.post(t, otherAuthToken, listToolsBody, map[string]string{"Mcp-Session-Id": foreignBearer})
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Empty(t, fake.requests())

	res = s.post(t, markerAuthToken, listToolsBody, nil)
	assert.Equal(t, http.StatusBadRequest, res.StatusCode, "a request after initialize needs its session")
}

// TestHTTPSSEMessagesOnlyForTheBearersOwnSession: /message takes posts only
// for a session id this deployment opened for the same bearer; a forged id
// and one opened with another bearer get 404, and nothing is sent.
func TestHTTPSSEMessagesOnlyForTheBearersOwnSession(t *testing.T) {
	fake := newFakeQualys(t)
	s := startServer(t, serverEnv(fake), "--transport", "sse")
	other := startServer(t, serverEnv(fake, "PCI_MCP_AUTH_TOKEN", otherAuthToken), "--transport", "sse")

	own := openSSEStream(t, s, markerAuthToken)
	foreign := openSSEStream(t, other, otherAuthToken)
	post := func(id string) (int, string) {
		b, n := jsonBody(callBody("qualys_remove_hosts", removeHosts))
		res := s.do(t, rawRequest{method: "POST", path: "/message?sessionId=" + id, body: b, length: n, header: bearer(markerAuthToken)})
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	b, n := jsonBody(initializeBody)
	res := s.do(t, rawRequest{method: "POST", path: "/message?sessionId=" + own, body: b, length: n, header: bearer(markerAuthToken)})
	assert.Equal(t, http.StatusAccepted, res.StatusCode, "its own session")

	for name, id := range map[string]string{
		"random":                     "8QZ3WJ5BMRXK4N2VHYT6CDAGEF",
		"opened with another bearer": foreign,
		"altered":                    own[:len(own)-2] + "AA",
	} {
		code, body := post(id)
		assert.Equal(t, http.StatusNotFound, code, "%s: %s", name, body)
		assert.Contains(t, body, "unknown session", name)
	}
	assert.Empty(t, fake.requests())
}

// openSSEStream opens an HTTP+SSE event stream and returns its session id,
// read from the endpoint event. The stream stays open until the test ends.
func openSSEStream(t *testing.T, s *testServer, token string) string {
	t.Helper()
	res := s.do(t, rawRequest{method: "GET", path: "/sse", header: bearer(token)})
	require.Equal(t, http.StatusOK, res.StatusCode)
	lines := bufio.NewScanner(res.Body)
	for lines.Scan() {
		if endpoint, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
			_, id, found := strings.Cut(endpoint, "sessionId=")
			require.True(t, found, endpoint)
			return strings.TrimSpace(id)
		}
	}
	t.Fatal("no endpoint event")
	return ""
}

// retarget sends every request to one server, which the test may change:
// the same client, with its session id, talking to a restarted server.
type retarget struct {
	mu   sync.Mutex
	host string
}

func (rt *retarget) to(url string) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.host = strings.TrimPrefix(url, "http://")
}

func (rt *retarget) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.mu.Lock()
	host := rt.host
	rt.mu.Unlock()
	r = r.Clone(r.Context())
	r.URL.Host, r.Host = host, host
	return http.DefaultTransport.RoundTrip(r)
}

// TestHTTPSessionOutlivesARestart: with a fixed PCI_MCP_STATE_KEY, a
// session opened before a restart goes on after it, and one that declared
// elicitation is still asked — not downgraded to a confirmation token,
// though the restarted process never saw its initialize. Without a fixed
// key, the old id is an unknown session.
func TestHTTPSessionOutlivesARestart(t *testing.T) {
	fake := newFakeQualys(t)
	before := startServer(t, serverEnv(fake), "--transport", "http")
	rt := &retarget{}
	rt.to(before.url)
	e := &elicitor{}
	c := connectStreamable(t, before.url, markerAuthToken, mcp.LATEST_LEGACY_PROTOCOL_VERSION, &http.Client{Transport: rt}, client.WithElicitationHandler(e))
	_, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
	require.NoError(t, err)
	require.Equal(t, 0, before.stop())

	after := startServer(t, serverEnv(fake), "--transport", "http")
	rt.to(after.url)
	res := callTool(t, c, "qualys_remove_hosts", removeHosts)
	require.False(t, res.IsError, resultText(res))
	out := structuredOf(t, res)
	assert.Equal(t, "done", out["status"], "asked, not handed a token")
	assert.Equal(t, "elicitation", out["confirmed_by"])
	assert.Empty(t, out["confirmation_token"])
	assert.Equal(t, 1, e.asked)
	assert.Equal(t, 1, fake.count("DELETE /pci/asset/delete"))

	// A server with a random key of its own did not issue that id.
	env := serverEnv(fake)
	random := startServer(t, func(k string) string {
		if k == "PCI_MCP_STATE_KEY" {
			return ""
		}
		return env(k)
	}, "--transport", "http")
	rt.to(random.url)
	var req mcp.CallToolRequest
	req.Params.Name = "qualys_remove_hosts"
	req.Params.Arguments = removeHosts
	_, err = c.CallTool(context.Background(), req)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "404")
	assert.Equal(t, 1, e.asked)
	assert.Equal(t, 1, fake.count("DELETE /pci/asset/delete"))
}

// TestHTTPElicitationSessionIsNeverHandedAToken: a destructive call from a
// session that declared elicitation, on a request that cannot carry the
// question (Accept: application/json only), is refused at once with what to
// do; nothing is sent and no token is issued. A session without
// elicitation gets its token as before on the same kind of request.
func TestHTTPElicitationSessionIsNeverHandedAToken(t *testing.T) {
	fake := newFakeQualys(t)
	s := startServer(t, serverEnv(fake), "--transport", "http")
	jsonOnly := map[string]string{"Accept": "application/json"}

	for _, caps := range []string{`{"elicitation":{}}`, `{"elicitation":{"form":{}}}`} {
		id := s.openSession(t, markerAuthToken, caps)
		jsonOnly["Mcp-Session-Id"] = id
		res := s.post(t, markerAuthToken, callBody("qualys_remove_hosts", removeHosts), jsonOnly)
		require.Equal(t, "application/json", res.Header.Get("Content-Type"), "answered at once, not an event stream waiting for an answer")
		var msg struct {
			Result mcp.CallToolResult `json:"result"`
		}
		body, _ := io.ReadAll(res.Body)
		require.NoError(t, json.Unmarshal(body, &msg), string(body))
		assert.True(t, msg.Result.IsError)
		text := resultText(&msg.Result)
		for _, want := range []string{"qualys_remove_hosts was not executed", "declared that it can show a confirmation form",
			"Accept header does not admit text/event-stream", "no confirmation token", "--confirm", "Nothing was sent to Qualys"} {
			assert.Contains(t, text, want)
		}
		assert.NotContains(t, string(body), "confirmation_token\":\"pcimcp")
	}
	// (A preview may read the account first; no write is ever sent.)
	assert.Zero(t, fake.count("DELETE /pci/asset/delete"))

	id := s.openSession(t, markerAuthToken, `{}`)
	jsonOnly["Mcp-Session-Id"] = id
	res := s.post(t, markerAuthToken, callBody("qualys_remove_hosts", removeHosts), jsonOnly)
	body, _ := io.ReadAll(res.Body)
	assert.Contains(t, string(body), "confirmation_required", "a client that cannot be asked confirms by token")
	assert.Zero(t, fake.count("DELETE /pci/asset/delete"))
}

// TestHTTPKeepsNoOversizedClientValues: an initialize whose clientInfo (or
// capabilities) is 3 MiB is refused with 400 naming the field and the
// limit, on both transports, and opens no session.
func TestHTTPKeepsNoOversizedClientValues(t *testing.T) {
	huge := strings.Repeat("x", 3<<20)
	for _, tt := range []struct{ field, body string }{
		{"clientInfo", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"` + huge + `","version":"1"}}}`},
		{"capabilities", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"experimental":{"x":"` + huge + `"}},"clientInfo":{"name":"raw","version":"1"}}}`},
	} {
		t.Run(tt.field, func(t *testing.T) {
			s := startServer(t, serverEnv(newFakeQualys(t)), "--transport", "http")
			res := s.post(t, markerAuthToken, tt.body, nil)
			body, _ := io.ReadAll(res.Body)
			assert.Equal(t, http.StatusBadRequest, res.StatusCode)
			assert.Empty(t, res.Header.Get("Mcp-Session-Id"))
			assert.Contains(t, string(body), "params."+tt.field)
			assert.Contains(t, string(body), "at most 8192")

			sse := startServer(t, serverEnv(newFakeQualys(t)), "--transport", "sse")
			id := openSSEStream(t, sse, markerAuthToken)
			b, n := jsonBody(tt.body)
			res = sse.do(t, rawRequest{method: "POST", path: "/message?sessionId=" + id, body: b, length: n, header: bearer(markerAuthToken)})
			body, _ = io.ReadAll(res.Body)
			assert.Equal(t, http.StatusBadRequest, res.StatusCode)
			assert.Contains(t, string(body), "params."+tt.field)
		})
	}
}

// TestHTTPSessionLimit: with PCI_MCP_MAX_SESSIONS=2, a third session gets
// 503 with Retry-After until one of the two ends; an ended session's id is
// refused after.
func TestHTTPSessionLimit(t *testing.T) {
	t.Run("http", func(t *testing.T) {
		s := startServer(t, serverEnv(newFakeQualys(t), "PCI_MCP_MAX_SESSIONS", "2"), "--transport", "http")
		first := s.openSession(t, markerAuthToken, `{}`)
		s.openSession(t, markerAuthToken, `{}`)
		res := s.post(t, markerAuthToken, initializeBody, nil)
		body, _ := io.ReadAll(res.Body)
		assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode, string(body))
		assert.Equal(t, "60", res.Header.Get("Retry-After"))
		assert.Contains(t, string(body), "PCI_MCP_MAX_SESSIONS")

		h := bearer(markerAuthToken)
		h["Mcp-Session-Id"] = first
		res = s.do(t, rawRequest{method: "DELETE", path: "/mcp", header: h})
		require.Equal(t, http.StatusOK, res.StatusCode)
		s.openSession(t, markerAuthToken, `{}`)

		// A session its client ended is unknown from then on.
		res = s.post(t, markerAuthToken, listToolsBody, map[string]string{"Mcp-Session-Id": first})
		body, _ = io.ReadAll(res.Body)
		assert.Equal(t, http.StatusNotFound, res.StatusCode, string(body))
		assert.Contains(t, string(body), "ended by its client")
	})
	t.Run("sse", func(t *testing.T) {
		s := startServer(t, serverEnv(newFakeQualys(t), "PCI_MCP_MAX_SESSIONS", "2"), "--transport", "sse")
		openSSEStream(t, s, markerAuthToken)
		ctx, closeSecond := context.WithCancel(context.Background())
		req, err := http.NewRequestWithContext(ctx, "GET", s.url+"/sse", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+markerAuthToken)
		second, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, second.StatusCode)

		res := s.do(t, rawRequest{method: "GET", path: "/sse", header: bearer(markerAuthToken)})
		assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
		assert.Equal(t, "60", res.Header.Get("Retry-After"))

		closeSecond()
		_ = second.Body.Close()
		// The server notices the closed stream on its own schedule.
		require.Eventually(t, func() bool {
			req, _ := http.NewRequest("GET", s.url+"/sse", nil)
			req.Header.Set("Authorization", "Bearer "+markerAuthToken)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			res, err := http.DefaultClient.Do(req.WithContext(ctx))
			if err != nil {
				return false
			}
			defer res.Body.Close()
			return res.StatusCode == http.StatusOK
		}, time.Minute, 50*time.Millisecond)
	})
}

func TestAcceptsEventStream(t *testing.T) {
	for accept, want := range map[string]bool{
		"application/json, text/event-stream":           true,
		"application/json":                              false,
		"application/json;q=1, text/event-stream;q=0.0": false,
		"text/*":    true,
		"*/*":       true,
		"":          true, // no Accept header at all admits anything
		"text/html": false,
	} {
		var values []string
		if accept != "" {
			values = []string{accept}
		}
		assert.Equal(t, want, acceptsEventStream(values), accept)
	}
}
