package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/tools/guard/redisstore/redistest"
)

// scrape GETs a /metrics page with an optional bearer token.
func scrape(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestMetricsCountWhatHappened: after a read and a confirmed removal, the
// page shows the tool calls by outcome, the upstream requests by operation
// and status, the confirmations by route, and a live legacy session; on
// the MCP listener it needs the bearer token.
func TestMetricsCountWhatHappened(t *testing.T) {
	fake := newFakeQualys(t)
	s := startServer(t, serverEnv(fake), "--transport", "http", "--confirm", "token")
	c := connectStreamable(t, s.url, markerAuthToken, mcp.LATEST_LEGACY_PROTOCOL_VERSION, nil)
	callTool(t, c, "qualys_list_scans", map[string]any{"limit": 5})
	first := callTool(t, c, "qualys_remove_hosts", removeHosts)
	token, _ := structuredOf(t, first)["confirmation_token"].(string)
	require.NotEmpty(t, token)
	done := callTool(t, c, "qualys_remove_hosts", withToken(removeHosts, token))
	require.False(t, done.IsError, resultText(done))

	code, _ := scrape(t, s.url+"/metrics", "")
	assert.Equal(t, http.StatusUnauthorized, code, "the MCP listener's /metrics needs the token")
	code, page := scrape(t, s.url+"/metrics", markerAuthToken)
	require.Equal(t, http.StatusOK, code)
	for _, want := range []string{
		`pci_mcp_tool_calls_total{outcome="ok",tool="qualys_list_scans"} 1`,
		`pci_mcp_tool_calls_total{outcome="confirmation_required",tool="qualys_remove_hosts"} 1`,
		`pci_mcp_tool_calls_total{outcome="done",tool="qualys_remove_hosts"} 1`,
		`pci_mcp_tool_call_duration_seconds_count{tool="qualys_remove_hosts"} 2`,
		`pci_mcp_upstream_requests_total{operation="GET pci/scan/list",provider="Qualys",status="200"} 1`,
		`pci_mcp_upstream_requests_total{operation="DELETE pci/asset/delete",provider="Qualys",status="200"} 1`,
		`pci_mcp_upstream_request_duration_seconds_count{operation="DELETE pci/asset/delete",provider="Qualys"} 1`,
		`pci_mcp_confirmations_total{outcome="confirmation_required",route="none"} 1`,
		`pci_mcp_confirmations_total{outcome="done",route="token"} 1`,
		`pci_mcp_live_sessions 1`,
	} {
		assert.Contains(t, page, want)
	}
	assert.NotContains(t, page, markerAuthToken)
	assert.NotContains(t, page, markerPassword)
}

// With PCI_MCP_METRICS_ADDR the page has its own listener, without a
// token, and is not on the MCP listener; store failures are counted.
func TestMetricsOnTheirOwnAddress(t *testing.T) {
	redis := redistest.Start(t)
	fake := newFakeQualys(t)
	s := startServer(t, serverEnv(fake, envMetricsAddr, "127.0.0.1:0", envStoreURL, redis.URL(0)), "--transport", "http", "--confirm", "token")
	var metricsURL string
	require.Eventually(t, func() bool {
		m := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+/metrics)`).FindStringSubmatch(s.stderr.String())
		if m != nil {
			metricsURL = m[1]
		}
		return m != nil
	}, 30*time.Second, 20*time.Millisecond)

	code, _ := scrape(t, s.url+"/metrics", markerAuthToken)
	assert.Equal(t, http.StatusNotFound, code, "not on the MCP listener")

	c := connectStreamable(t, s.url, markerAuthToken, mcp.LATEST_PROTOCOL_VERSION, nil)
	first := callTool(t, c, "qualys_remove_hosts", removeHosts)
	token, _ := structuredOf(t, first)["confirmation_token"].(string)
	redis.Stop()
	refused := callTool(t, c, "qualys_remove_hosts", withToken(removeHosts, token))
	require.True(t, refused.IsError)

	code, page := scrape(t, metricsURL, "")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, page, `pci_mcp_store_errors_total{operation="claim"} 1`)
	assert.Contains(t, page, `pci_mcp_confirmations_total{outcome="refused",route="token"} 1`)
	assert.True(t, strings.Contains(page, "go_goroutines"), "the runtime's own metrics too")
}

// TestMetricsOverStdio: a stdio server has no MCP listener, so its metrics
// are only on PCI_MCP_METRICS_ADDR: a call over stdio is counted there, with
// the runtime's and the process's own metrics, which are registered when
// the page is first served.
func TestMetricsOverStdio(t *testing.T) {
	fake := newFakeQualys(t)
	c, stderr := connectStdioInProcess(t, serverEnv(fake, envMetricsAddr, "127.0.0.1:0"))
	callTool(t, c, "qualys_list_scans", map[string]any{"limit": 5})
	m := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+/metrics)`).FindStringSubmatch(stderr())
	require.NotNil(t, m, "the metrics listener is announced: %s", stderr())

	code, page := scrape(t, m[1], "")
	require.Equal(t, http.StatusOK, code)
	for _, want := range []string{
		`pci_mcp_tool_calls_total{outcome="ok",tool="qualys_list_scans"} 1`,
		`pci_mcp_upstream_requests_total{operation="GET pci/scan/list",provider="Qualys",status="200"} 1`,
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		assert.Contains(t, page, want)
	}
	assert.NotContains(t, page, markerPassword)
	code, again := scrape(t, m[1], "")
	require.Equal(t, http.StatusOK, code, "the runtime's collectors are registered once")
	assert.Contains(t, again, "go_goroutines ")
}
