package main

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWaitWithProgressOverEveryTransport: the built server in sandbox mode,
// reached over Streamable HTTP (both protocol generations) and SSE, waits
// for a launched scan with qualys_wait_for_scan and the client sees one
// progress notification per read, the last one Finished, before the result;
// the prompts and resources are listed there too. Scans take 2 s queued and
// 2 s running, so the first read, right after the launch, finds one queued
// even on a loaded machine.
func TestWaitWithProgressOverEveryTransport(t *testing.T) {
	for _, kind := range clientKinds {
		t.Run(kind.name, func(t *testing.T) {
			s := startServer(t, env("PCI_MCP_AUTH_TOKEN", markerAuthToken), "--sandbox", "--sandbox-scan-phase", "2s", "--transport", kind.transport)
			c := kind.connect(t, s.url, markerAuthToken)
			var mu sync.Mutex
			var progress []map[string]any
			c.OnNotification(func(n mcp.JSONRPCNotification) {
				if n.Method != string(mcp.MethodNotificationProgress) {
					return
				}
				data, _ := json.Marshal(n.Params.AdditionalFields)
				var fields map[string]any
				_ = json.Unmarshal(data, &fields)
				mu.Lock()
				progress = append(progress, fields)
				mu.Unlock()
			})

			launched := callTool(t, c, "qualys_launch_scan", map[string]any{"title": "Q4", "target_ips": []string{"2001:db8:4c1::80"}})
			require.False(t, launched.IsError, resultText(launched))
			var req mcp.CallToolRequest
			req.Params.Name = "qualys_wait_for_scan"
			req.Params.Arguments = map[string]any{"scan_id": structuredOf(t, launched)["scanId"], "timeout_seconds": 120}
			req.Params.Meta = &mcp.Meta{ProgressToken: "wait-" + kind.name}
			res, err := c.CallTool(context.Background(), req)
			require.NoError(t, err)
			require.False(t, res.IsError, resultText(res))
			out := structuredOf(t, res)
			require.Equal(t, true, out["finished"])

			// One notification per read. The last one is sent just before the
			// result, and mcp-go v1.2.1's Streamable HTTP server (2025-11-25)
			// can drop a notification its forwarder took off the queue while
			// the response was being written; the result itself carries that
			// final status, so every read but the last must have been
			// announced, in order.
			polls := int(out["polls"].(float64))
			mu.Lock()
			got := append([]map[string]any(nil), progress...)
			mu.Unlock()
			require.GreaterOrEqual(t, len(got), polls-1)
			require.LessOrEqual(t, len(got), polls)
			require.GreaterOrEqual(t, polls, 2, "the scan was still queued at the first read")
			for i, n := range got {
				assert.Equal(t, "wait-"+kind.name, n["progressToken"])
				assert.Equal(t, float64(i+1), n["progress"])
			}
			assert.Equal(t, "Launch Requested", got[0]["message"])

			prompts, err := c.ListPrompts(context.Background(), mcp.ListPromptsRequest{})
			require.NoError(t, err)
			assert.Len(t, prompts.Prompts, 3)
			resources, err := c.ListResources(context.Background(), mcp.ListResourcesRequest{})
			require.NoError(t, err)
			var uris []string
			for _, r := range resources.Resources {
				uris = append(uris, r.URI)
			}
			assert.Contains(t, uris, "qualys://scans/10988")
			assert.Contains(t, uris, "pci-mcp://guide/workflow")
		})
	}
}
