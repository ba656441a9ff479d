package tools

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/tools/guard"
)

// callAs calls a tool with what the HTTP transport would have put in the
// request's context.
func callAs(t *testing.T, c *client.Client, r guard.Request, name, args string) *mcp.CallToolResult {
	t.Helper()
	var req mcp.CallToolRequest
	req.Params.Name = name
	req.Params.Arguments = json.RawMessage(args)
	res, err := c.CallTool(guard.WithRequest(context.Background(), r), req)
	require.NoError(t, err)
	return res
}

func deletes(env *testEnv) int {
	n := 0
	for _, r := range env.qualys.requests() {
		if r.Method == http.MethodDelete {
			n++
		}
	}
	return n
}

// TestConfirmationTokensAreBoundToTheCaller: a token issued to one bearer's
// call is refused on another's, even with no session to tell them apart
// (2026-07-28), and nothing is sent.
func TestConfirmationTokensAreBoundToTheCaller(t *testing.T) {
	env := newTestEnv(t)
	env.qualys.on("DELETE /pci/asset/delete", http.StatusOK, `{"responseApiVersion":"V1","data":"2 IP removed successfully"}`)
	alice, mallory := guard.Request{Caller: "alice-tag"}, guard.Request{Caller: "mallory-tag"}

	first := callAs(t, env.client, alice, "qualys_remove_hosts", removeArgs)
	token, _ := structured(t, first)["confirmation_token"].(string)
	require.NotEmpty(t, token, resultText(t, first))
	withToken := `{"hosts":["203.0.113.5","2001:db8::5"],"confirmation_token":"` + token + `"}`

	res := callAs(t, env.client, mallory, "qualys_remove_hosts", withToken)
	assert.True(t, res.IsError)
	assert.Contains(t, resultText(t, res), "another session")
	assert.Zero(t, deletes(env))

	res = callAs(t, env.client, alice, "qualys_remove_hosts", withToken)
	require.False(t, res.IsError, resultText(t, res))
	assert.Equal(t, 1, deletes(env))
}

// TestDeclaredElicitationIsAskedOrRefused: a session that declared form
// elicitation is asked when the question can reach it, and otherwise
// refused at once with what to do — never handed a token — unless the
// operator chose --confirm=token.
func TestDeclaredElicitationIsAskedOrRefused(t *testing.T) {
	declared := guard.Session{ID: "s", KnowsCapabilities: true, Elicitation: guard.Elicitation{Form: true}}
	cannotAsk := guard.Request{Session: declared, CannotAsk: "this request's Accept header does not admit text/event-stream"}

	t.Run("cannot be asked", func(t *testing.T) {
		env := newTestEnv(t)
		e := &elicitor{answer: accept(map[string]any{"confirm": true})}
		c := connect(t, env.server, client.WithProtocolVersion("2025-11-25"), client.WithElicitationHandler(e))
		res := callAs(t, c, cannotAsk, "qualys_remove_hosts", removeArgs)
		assert.True(t, res.IsError)
		text := resultText(t, res)
		assert.Contains(t, text, "Accept header does not admit text/event-stream")
		assert.Contains(t, text, "no confirmation token is offered instead")
		assert.Contains(t, text, "--confirm")
		assert.NotContains(t, text, "pcimcp1.")
		assert.Empty(t, e.asked)
		assert.Zero(t, deletes(env))
		lines := env.auditLines(t)
		require.NotEmpty(t, lines)
		assert.Equal(t, "refused", lines[len(lines)-1].Outcome)
	})

	t.Run("asked from the id's declaration", func(t *testing.T) {
		env := newTestEnv(t)
		env.qualys.on("DELETE /pci/asset/delete", http.StatusOK, `{"responseApiVersion":"V1","data":"2 IP removed successfully"}`)
		e := &elicitor{answer: accept(map[string]any{"confirm": true})}
		c := connect(t, env.server, client.WithProtocolVersion("2025-11-25"), client.WithElicitationHandler(e))
		res := callAs(t, c, guard.Request{Session: declared}, "qualys_remove_hosts", removeArgs)
		require.False(t, res.IsError, resultText(t, res))
		assert.Equal(t, "elicitation", structured(t, res)["confirmed_by"])
		assert.Len(t, e.asked, 1)
		assert.Equal(t, 1, deletes(env))
	})

	t.Run("the operator chose tokens", func(t *testing.T) {
		g, err := NewGuard(GuardOptions{TokensOnly: true})
		require.NoError(t, err)
		env := newTestEnv(t, func(o *Options) { o.Guard = g })
		e := &elicitor{answer: accept(map[string]any{"confirm": true})}
		c := connect(t, env.server, client.WithProtocolVersion("2025-11-25"), client.WithElicitationHandler(e))
		res := callAs(t, c, cannotAsk, "qualys_remove_hosts", removeArgs)
		require.False(t, res.IsError, resultText(t, res))
		assert.Equal(t, "confirmation_required", structured(t, res)["status"])
		assert.Empty(t, e.asked)
		assert.Zero(t, deletes(env))
	})
}
