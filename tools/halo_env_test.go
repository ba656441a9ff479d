package tools

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/providers/halo"
	"github.com/pci-mcp/pci-mcp/providers/halo/halosim"
	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// The Halo tests drive pci-mcp through a real MCP client (mcp-go's
// in-process transport) against the Halo simulator on loopback, on a clock
// they move by hand.

// haloT0 is when every test simulator starts; haloScanDelay is when its
// demo scans finish and the attestation blockers clear.
var haloT0 = time.Date(2026, time.May, 12, 14, 30, 0, 0, time.UTC)

const (
	haloScanDelay  = 10 * time.Minute
	haloTestAPIKey = "marker-halo-key-3a91f7"
)

// haloEnv is pci-mcp serving the Halo tools against a simulator, with an
// MCP client connected to it.
type haloEnv struct {
	sim    *halosim.Simulator
	clock  *fakeClock
	halo   *halo.Client
	client *client.Client
}

// haloEnvOptions vary the environment.
type haloEnvOptions struct {
	// empty starts an account with nothing in PCI scope.
	empty bool
	// apiKey is the client's key; empty means the one the simulator accepts.
	apiKey string
	// wrap, when set, sits in front of the simulator, e.g. to fail one call.
	wrap func(http.Handler) http.Handler
	// serve builds the MCP server from the Halo client; nil means NewServer
	// with the Halo toolset only.
	serve func(t *testing.T, c *halo.Client) *server.MCPServer
	// clientOptions configure the MCP client, e.g. an elicitation handler.
	clientOptions []client.ClientOption
}

func newHaloEnv(t *testing.T, o haloEnvOptions) *haloEnv {
	t.Helper()
	clock := &fakeClock{now: haloT0}
	sim := halosim.New(halosim.Options{APIKey: haloTestAPIKey, Now: clock.Now, ScanFinishesAfter: haloScanDelay, Empty: o.empty})
	var h http.Handler = sim
	if o.wrap != nil {
		h = o.wrap(sim)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	key := orDefault(o.apiKey, haloTestAPIKey)
	hc, err := halo.New(halo.Config{BaseURL: srv.URL + "/api/v1", APIKey: key, UserAgent: "pci-mcp/test",
		Settings: upstream.Settings{MaxAttempts: 1}})
	require.NoError(t, err)

	serve := o.serve
	if serve == nil {
		serve = haloServer
	}
	return &haloEnv{sim: sim, clock: clock, halo: hc, client: connect(t, serve(t, hc), o.clientOptions...)}
}

// haloServer is pci-mcp as cmd/pci-mcp builds it with only HALO_API_KEY
// set, output-schema validation on so every structured result is checked
// against its tool's outputSchema.
func haloServer(t *testing.T, hc *halo.Client) *server.MCPServer {
	t.Helper()
	srv, _, err := NewServer(Options{
		Version:       "test",
		Halo:          hc,
		Redactor:      hc.Redactor(),
		ServerOptions: []server.ServerOption{server.WithOutputSchemaValidation()},
	})
	require.NoError(t, err)
	return srv
}

// call invokes a tool with arguments given as JSON ("" for none).
func (e *haloEnv) call(t *testing.T, name, args string) *mcp.CallToolResult {
	t.Helper()
	var req mcp.CallToolRequest
	req.Params.Name = name
	if args != "" {
		req.Params.Arguments = json.RawMessage(args)
	}
	res, err := e.client.CallTool(context.Background(), req)
	require.NoError(t, err, "tools/call %s", name)
	return res
}

// ok calls a tool that must succeed and decodes its structured result into
// out; it returns the result's text.
func (e *haloEnv) ok(t *testing.T, name, args string, out any) string {
	t.Helper()
	res := e.call(t, name, args)
	text := resultText(t, res)
	require.False(t, res.IsError, "%s failed: %s", name, text)
	data, err := json.Marshal(res.StructuredContent)
	require.NoError(t, err)
	require.JSONEq(t, text, string(data), "text and structured content differ")
	require.NoError(t, json.Unmarshal(data, out))
	return text
}

// failed calls a tool that must fail and returns the sentence it shows.
func (e *haloEnv) failed(t *testing.T, name, args string) string {
	t.Helper()
	res := e.call(t, name, args)
	text := resultText(t, res)
	require.True(t, res.IsError, "%s succeeded: %s", name, text)
	require.NotContains(t, text, haloTestAPIKey)
	return text
}

// upstreamCalls lists what reached the simulator as "METHOD path?query",
// the path relative to /api/v1.
func (e *haloEnv) upstreamCalls() []string {
	var out []string
	for _, r := range e.sim.Requests() {
		call := r.Method + " " + strings.TrimPrefix(r.Path, "/api/v1/")
		if r.RawQuery != "" {
			call += "?" + r.RawQuery
		}
		out = append(out, call)
	}
	return out
}
