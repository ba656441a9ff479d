package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/providers/halo/halosim"
	"github.com/pci-mcp/pci-mcp/tools"
)

const markerHaloKey = "marker-halo-key-for-cmd-tests"

// haloApp builds pci-mcp from the given environment, as serving would.
func haloApp(t *testing.T, getenv func(string) string, args ...string) (*app, *bytes.Buffer) {
	t.Helper()
	var stderr bytes.Buffer
	cfg, err := serveCommand(args, getenv, &stderr)
	require.NoError(t, err)
	a, err := newApp(cfg, &stderr)
	require.NoError(t, err, stderr.String())
	t.Cleanup(func() { _ = a.Close() })
	return a, &stderr
}

// haloCatalogSize counts the catalog's Halo tools.
func haloCatalogSize() int {
	n := 0
	for _, tool := range tools.Catalog() {
		if tool.Toolset == tools.ToolsetHalo {
			n++
		}
	}
	return n
}

func toolNames(a *app) []string {
	names := make([]string, len(a.tools))
	for i, tool := range a.tools {
		names[i] = tool.Name
	}
	return names
}

// TestHaloKeyAloneServesHalo: HALO_API_KEY and HALO_API_URL configure the
// Halo tools, which reach the API they name; the key shows in no log line.
func TestHaloKeyAloneServesHalo(t *testing.T) {
	sim, err := halosim.Start(halosim.Options{APIKey: markerHaloKey})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })

	a, stderr := haloApp(t, env("HALO_API_KEY", markerHaloKey, "HALO_API_URL", sim.URL, "PCI_MCP_LOG_LEVEL", "debug"))
	for _, name := range toolNames(a) {
		assert.True(t, strings.HasPrefix(name, "halo_"), name)
	}
	assert.Len(t, toolNames(a), haloCatalogSize(), "every Halo tool of the catalog")

	c, err := client.NewInProcessClient(a.server)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, c.Start(ctx))
	t.Cleanup(func() { _ = c.Close() })
	var init mcp.InitializeRequest
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	_, err = c.Initialize(ctx, init)
	require.NoError(t, err)
	var req mcp.CallToolRequest
	req.Params.Name = "halo_pci_summary"
	res, err := c.CallTool(ctx, req)
	require.NoError(t, err)
	require.False(t, res.IsError, "%v", res.Content)

	reqs := sim.Simulator.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "/api/v1/pci/summary.json", reqs[0].Path)
	assert.NotContains(t, stderr.String(), markerHaloKey)
}

func TestBothProvidersServeBothToolsets(t *testing.T) {
	a, _ := haloApp(t, env("HALO_API_KEY", markerHaloKey, "QUALYS_USERNAME", "u", "QUALYS_PASSWORD", markerPassword))
	sets := map[string]int{}
	for _, tool := range a.tools {
		sets[string(tool.Toolset)]++
	}
	assert.Equal(t, haloCatalogSize(), sets["halo"])
	assert.NotZero(t, sets["qualys"])
	assert.Equal(t, []string{"qualys", "halo"}, a.providers())
}

func TestHaloConfigurationErrors(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want []string
	}{
		{"no provider names both", nil, []string{"QUALYS_USERNAME", "QUALYS_PASSWORD", "HALO_API_KEY"}},
		{"bad Halo URL", []string{"HALO_API_KEY", markerHaloKey, "HALO_API_URL", "ftp://api.example.com"}, []string{"HALO_API_URL"}},
		{"Halo toolset without its key", []string{"QUALYS_USERNAME", "u", "QUALYS_PASSWORD", markerPassword, "PCI_MCP_TOOLSETS", "halo"}, []string{"HALO_API_KEY"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runMain(t, env(tt.env...))
			assert.Equal(t, exitUsage, code, stderr)
			for _, want := range tt.want {
				assert.Contains(t, stderr, want)
			}
			assert.NotContains(t, stderr, markerHaloKey)
		})
	}
}

func TestHelpListsHaloVariables(t *testing.T) {
	_, stdout, _ := runMain(t, env(), "--help")
	assert.Contains(t, stdout, "HALO_API_KEY")
	assert.Contains(t, stdout, "HALO_API_URL")
}
