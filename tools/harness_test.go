package tools

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/providers/qualys"
	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// Marker credentials: tests assert they never show in a result.
const (
	testQualysUser     = "merchant-test"
	testQualysPassword = "marker-qualys-password-7c1d"
)

// upstreamRequest is what a fake upstream received.
type upstreamRequest struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   string
}

// fakeUpstream is a recording HTTP fake: routes map "METHOD /path" to a
// status and body; anything else is a 404.
type fakeUpstream struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	got    []upstreamRequest
	routes map[string]fakeAnswer
}

type fakeAnswer struct {
	status int
	body   string
}

func newFakeUpstream(t *testing.T) *fakeUpstream {
	f := &fakeUpstream{t: t, routes: map[string]fakeAnswer{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeUpstream) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.got = append(f.got, upstreamRequest{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(body)})
	answer, ok := f.routes[r.Method+" "+r.URL.Path]
	f.mu.Unlock()
	if !ok {
		answer = fakeAnswer{http.StatusNotFound, `{"responseApiVersion":"V1","errors":[{"code":404,"message":"Not Found"}]}`}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(answer.status)
	_, _ = io.WriteString(w, answer.body)
}

// on sets the answer for "METHOD /path".
func (f *fakeUpstream) on(route string, status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[route] = fakeAnswer{status, body}
}

// requests returns what reached the fake so far.
func (f *fakeUpstream) requests() []upstreamRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]upstreamRequest(nil), f.got...)
}

// writes returns what reached the fake except reads (GET): a destructive
// tool may read the account before asking, never write.
func (f *fakeUpstream) writes() []upstreamRequest {
	var out []upstreamRequest
	for _, r := range f.requests() {
		if r.Method != http.MethodGet {
			out = append(out, r)
		}
	}
	return out
}

// testEnv is a pci-mcp server wired to fakes, and a real MCP client on it.
type testEnv struct {
	qualys *fakeUpstream
	client *client.Client
	server *server.MCPServer
	audit  *syncWriter
	deps   Options
	// selected is the catalog as NewServer serves it.
	selected []Tool
}

type envOption func(*Options)

// newTestEnv serves the catalog over mcp-go's in-process transport, with
// output-schema validation on so every structured result is checked against
// its tool's outputSchema.
func newTestEnv(t *testing.T, opts ...envOption) *testEnv {
	t.Helper()
	env := &testEnv{qualys: newFakeUpstream(t), audit: &syncWriter{w: &strings.Builder{}}}
	qc, err := qualys.New(qualys.Config{
		BaseURL: env.qualys.srv.URL, Username: testQualysUser, Password: testQualysPassword,
		UserAgent: "pci-mcp/test", Settings: upstream.Settings{MaxAttempts: 1},
	})
	require.NoError(t, err)
	redactor := upstream.NewRedactor(upstream.BasicAuthSecrets(testQualysUser, testQualysPassword)...)
	o := Options{
		Version:       "test",
		Qualys:        qc,
		Redactor:      redactor,
		Audit:         NewAudit(env.audit, nil, redactor),
		ServerOptions: []server.ServerOption{server.WithOutputSchemaValidation()},
	}
	for _, opt := range opts {
		opt(&o)
	}
	srv, selected, err := NewServer(o)
	require.NoError(t, err)
	env.deps, env.selected = o, selected
	env.server = srv
	env.client = connect(t, srv)
	return env
}

// connect starts an in-process MCP client on srv and initializes it.
func connect(t *testing.T, srv *server.MCPServer, options ...client.ClientOption) *client.Client {
	t.Helper()
	c, err := client.NewInProcessClientWithOptions(srv, options...)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, c.Start(ctx))
	t.Cleanup(func() { _ = c.Close() })
	var init mcp.InitializeRequest
	init.Params.ClientInfo = mcp.Implementation{Name: "pci-mcp-test", Version: "1"}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	_, err = c.Initialize(ctx, init)
	require.NoError(t, err)
	return c
}

// call invokes a tool with arguments given as JSON.
func (e *testEnv) call(t *testing.T, name, args string) *mcp.CallToolResult {
	t.Helper()
	return callTool(t, e.client, name, args)
}

func callTool(t *testing.T, c *client.Client, name, args string) *mcp.CallToolResult {
	t.Helper()
	var req mcp.CallToolRequest
	req.Params.Name = name
	if args != "" {
		req.Params.Arguments = json.RawMessage(args)
	}
	res, err := c.CallTool(context.Background(), req)
	require.NoError(t, err, "tools/call %s", name)
	return res
}

// resultText is the text content of a result.
func resultText(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	require.NotEmpty(t, res.Content)
	text, ok := res.Content[0].(mcp.TextContent)
	require.True(t, ok, "first content is %T", res.Content[0])
	return text.Text
}

// structured decodes a result's structured content.
func structured(t *testing.T, res *mcp.CallToolResult) map[string]any {
	t.Helper()
	var data []byte
	switch {
	case len(res.RawStructuredContent) > 0:
		data = res.RawStructuredContent
	default:
		var err error
		data, err = json.Marshal(res.StructuredContent)
		require.NoError(t, err)
	}
	var out map[string]any
	require.NoError(t, json.Unmarshal(data, &out))
	return out
}

// syncWriter serialises writes to a strings.Builder shared with a test.
type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (e *testEnv) auditLines(t *testing.T) []AuditEntry {
	t.Helper()
	e.audit.mu.Lock()
	text := e.audit.w.String()
	e.audit.mu.Unlock()
	var out []AuditEntry
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if line == "" {
			continue
		}
		var entry AuditEntry
		require.NoError(t, json.Unmarshal([]byte(line), &entry), line)
		out = append(out, entry)
	}
	return out
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return string(data)
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
