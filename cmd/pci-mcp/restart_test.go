package main

import (
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTokenFromBeforeARestartIsRefused: with a fixed PCI_MCP_STATE_KEY and
// no shared store, a confirmation token used before a restart (and one
// never used) is refused by the restarted server, over Streamable HTTP;
// the fake Qualys saw one removal only.
func TestTokenFromBeforeARestartIsRefused(t *testing.T) {
	fake := newFakeQualys(t)
	before := startServer(t, serverEnv(fake), "--transport", "http")
	c := connectStreamable(t, before.url, markerAuthToken, mcp.LATEST_LEGACY_PROTOCOL_VERSION, nil)
	used, _ := structuredOf(t, callTool(t, c, "qualys_remove_hosts", removeHosts))["confirmation_token"].(string)
	unused, _ := structuredOf(t, callTool(t, c, "qualys_remove_hosts", removeHosts))["confirmation_token"].(string)
	require.NotEmpty(t, used)
	done := callTool(t, c, "qualys_remove_hosts", withToken(removeHosts, used))
	require.False(t, done.IsError, resultText(done))
	require.Equal(t, 0, before.stop())
	require.Equal(t, 1, fake.count("DELETE /pci/asset/delete"))

	after := startServer(t, serverEnv(fake), "--transport", "http")
	c = connectStreamable(t, after.url, markerAuthToken, mcp.LATEST_LEGACY_PROTOCOL_VERSION, nil)
	for _, token := range []string{used, unused} {
		res := callTool(t, c, "qualys_remove_hosts", withToken(removeHosts, token))
		assert.True(t, res.IsError)
		assert.Contains(t, resultText(res), "issued before the server restarted; call the tool again for a new one")
	}
	assert.Equal(t, 1, fake.count("DELETE /pci/asset/delete"), "nothing from before the restart ran again")
}
