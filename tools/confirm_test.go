package tools

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/tools/guard"
)

// elicitor is a client-side elicitation handler that answers with a fixed
// response (or error) and records the questions it was asked.
type elicitor struct {
	answer *mcp.ElicitationResult
	err    error
	asked  []mcp.ElicitationRequest
}

func (e *elicitor) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	e.asked = append(e.asked, req)
	return e.answer, e.err
}

func accept(content map[string]any) *mcp.ElicitationResult {
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionAccept, Content: content}}
}

func answerWith(action mcp.ElicitationResponseAction) *mcp.ElicitationResult {
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: action}}
}

const removeArgs = `{"hosts":["203.0.113.5","2001:db8::5"]}`

// TestElicitationPath covers a client that can show a form, on both
// protocol generations: only accept with confirm: true reaches Qualys.
func TestElicitationPath(t *testing.T) {
	tests := []struct {
		name        string
		answer      *mcp.ElicitationResult
		err         error
		wantSent    bool
		wantIsError bool
		wantText    string
		wantOutcome string
	}{
		{"accept", accept(map[string]any{"confirm": true}), nil, true, false, `"status":"done"`, "done"},
		{"decline", answerWith(mcp.ElicitationResponseActionDecline), nil, false, false, "the user declined", "cancelled"},
		{"cancel", answerWith(mcp.ElicitationResponseActionCancel), nil, false, false, "the user cancelled", "cancelled"},
		{"confirm false", accept(map[string]any{"confirm": false}), nil, false, true, "confirm was false", "refused"},
		{"confirm missing", accept(map[string]any{}), nil, false, true, "did not include confirm: true", "refused"},
		{"confirm as string", accept(map[string]any{"confirm": "true"}), nil, false, true, "did not include confirm: true", "refused"},
		{"handler error", nil, errors.New("the window was closed"), false, true, "not executed", "refused"},
	}
	for _, era := range []struct {
		name    string
		options []client.ClientOption
	}{
		{"2025-11-25", []client.ClientOption{client.WithProtocolVersion("2025-11-25")}},
		{"2026-07-28", nil},
	} {
		for _, tt := range tests {
			t.Run(era.name+"/"+tt.name, func(t *testing.T) {
				env := newTestEnv(t)
				env.qualys.on("DELETE /pci/asset/delete", http.StatusOK, `{"responseApiVersion":"V1","data":"2 IP removed successfully"}`)
				e := &elicitor{answer: tt.answer, err: tt.err}
				c := connect(t, env.server, append(era.options, client.WithElicitationHandler(e))...)
				if era.name == "2026-07-28" {
					require.Equal(t, "2026-07-28", c.ProtocolVersion(), "the test must exercise the multi-round-trip path")
				}

				var req mcp.CallToolRequest
				req.Params.Name = "qualys_remove_hosts"
				req.Params.RawArguments = []byte(removeArgs)
				req.Params.Arguments = json.RawMessage(removeArgs)
				res, callErr := c.CallTool(context.Background(), req)

				require.Len(t, e.asked, 1, "the user is asked exactly once")
				if tt.err != nil && era.name == "2026-07-28" {
					// On 2026-07-28 the question is answered by the client,
					// which reports its own failure and never comes back:
					// the server has nothing to execute.
					require.ErrorContains(t, callErr, "the window was closed")
					assert.Empty(t, env.qualys.writes(), "nothing may reach Qualys")
					return
				}
				require.NoError(t, callErr)
				q := e.asked[0].Params
				assert.Contains(t, q.Message, "Remove 2 hosts from PCI scope")
				assert.Contains(t, q.Message, "1. 203.0.113.5\n  2. 2001:db8::5")
				assert.Contains(t, q.Message, testQualysUser)
				schema := q.RequestedSchema.(map[string]any)
				assert.Equal(t, []any{"confirm"}, toAnySlice(schema["required"]))

				text := allText(res)
				assert.Equal(t, tt.wantIsError, res.IsError, text)
				assert.Contains(t, text, tt.wantText)
				sent := env.qualys.writes()
				if tt.wantSent {
					require.Len(t, sent, 1)
					assert.JSONEq(t, `{"assetType":"IP","assets":"203.0.113.5, 2001:db8::5"}`, sent[0].Body)
				} else {
					assert.Empty(t, sent, "nothing may reach Qualys")
					assert.Contains(t, text, "Nothing was sent")
				}
				lines := env.auditLines(t)
				require.NotEmpty(t, lines)
				last := lines[len(lines)-1]
				assert.Equal(t, tt.wantOutcome, last.Outcome)
				assert.Equal(t, "elicitation", last.Confirmation)
				assert.Equal(t, []string{"203.0.113.5", "2001:db8::5"}, last.Targets)
			})
		}
	}
}

// TestModernAnswerCannotBeForged checks that a 2026-07-28 client cannot
// skip the question by sending an answer the server never asked for, or
// replay one. It calls the handler directly, since a well-behaved client
// would never send these.
func TestModernAnswerCannotBeForged(t *testing.T) {
	env := newTestEnv(t)
	env.qualys.on("DELETE /pci/asset/delete", http.StatusOK, `{"data":"2 IP removed successfully"}`)
	guard, err := NewGuard(GuardOptions{})
	require.NoError(t, err)
	deps := &Deps{Qualys: env.deps.Qualys, Log: discardLogger(), Audit: NewAudit(nil, nil, nil), Guard: guard}
	handler := qualysRemoveHosts().bind(deps)
	yes := mcp.NewElicitationInputResponse(*accept(map[string]any{"confirm": true}))
	call := func(state string) *mcp.CallToolResult {
		var req mcp.CallToolRequest
		req.Params.Name = "qualys_remove_hosts"
		req.Params.RawArguments = []byte(removeArgs)
		req.Params.InputResponses = mcp.InputResponses{confirmKey: yes}
		req.Params.RequestState = state
		res, err := handler(context.Background(), req)
		require.NoError(t, err)
		return res
	}

	res := call("")
	assert.True(t, res.IsError)
	assert.Contains(t, allText(res), "without the request state")

	res = call("pcimcp1.eyJwIjoic3RhdGUifQ.AAAA")
	assert.True(t, res.IsError)
	assert.Contains(t, allText(res), "does not verify")

	token, _ := guard.issue(purposeToken, "qualys_remove_hosts", "", digestOf(t, removeArgs), "", "")
	res = call(token)
	assert.True(t, res.IsError, "a confirmation token is not a request state")
	assert.Empty(t, env.qualys.writes())

	state, _ := guard.issue(purposeState, "qualys_remove_hosts", "", digestOf(t, removeArgs), "", "")
	res = call(state)
	require.False(t, res.IsError, allText(res))
	res = call(state)
	assert.True(t, res.IsError)
	assert.Contains(t, allText(res), "already used")
	assert.Len(t, env.qualys.writes(), 1, "an answer executes once")
}

// digestOf is the digest the guard binds for qualys_remove_hosts args.
func digestOf(t *testing.T, args string) string {
	t.Helper()
	tool := qualysRemoveHosts()
	in, err := decodeArguments[removeHostsInput](compileSchema(tool.Name, tool.InputSchema), []byte(args))
	require.NoError(t, err)
	return argsDigest(in)
}

// TestTokenPath covers a client without elicitation: the first call sends
// nothing and returns a token; only a matching, fresh, unused token executes.
func TestTokenPath(t *testing.T) {
	clock := newFakeClock()
	guard, err := NewGuard(GuardOptions{Now: clock.Now, TTL: 5 * time.Minute})
	require.NoError(t, err)
	env := newTestEnv(t, func(o *Options) { o.Guard = guard })
	env.qualys.on("DELETE /pci/asset/delete", http.StatusOK, `{"responseApiVersion":"V1","data":"2 IP removed successfully"}`)

	first := env.call(t, "qualys_remove_hosts", removeArgs)
	require.False(t, first.IsError, allText(first))
	out := structured(t, first)
	assert.Equal(t, "confirmation_required", out["status"])
	token, _ := out["confirmation_token"].(string)
	require.NotEmpty(t, token)
	assert.Equal(t, clock.Now().Add(5*time.Minute).UTC().Format(time.RFC3339), out["expires_at"])
	preview := out["preview"].(map[string]any)
	assert.Equal(t, []any{"203.0.113.5", "2001:db8::5"}, preview["items"])
	assert.Equal(t, "default", preview["account"], "the one account the environment makes")
	assert.Equal(t, testQualysUser, preview["user"])
	assert.Contains(t, allText(first), "Show this preview to the user")
	assert.Empty(t, env.qualys.writes(), "the first call sends nothing")

	withToken := func(args, tok string) string {
		return strings.TrimSuffix(args, "}") + `,"confirmation_token":"` + tok + `"}`
	}

	t.Run("changed hosts are refused", func(t *testing.T) {
		res := env.call(t, "qualys_remove_hosts", withToken(`{"hosts":["203.0.113.5","203.0.113.6"]}`, token))
		assert.True(t, res.IsError)
		assert.Contains(t, allText(res), "arguments differ")
		assert.Empty(t, env.qualys.writes())
	})
	t.Run("token from another tool is refused", func(t *testing.T) {
		res := env.call(t, "qualys_remove_virtual_hosts",
			withToken(`{"virtual_hosts":[{"fqdn":"shop.example.com","port":443,"ip":"203.0.113.5"}]}`, token))
		assert.True(t, res.IsError)
		assert.Contains(t, allText(res), "issued for qualys_remove_hosts")
		assert.Empty(t, env.qualys.writes())
	})
	t.Run("garbage token is refused", func(t *testing.T) {
		res := env.call(t, "qualys_remove_hosts", withToken(removeArgs, "let-me-in"))
		assert.True(t, res.IsError)
		assert.Contains(t, allText(res), "malformed")
		tampered := token[:len(token)-2] + "xx"
		res = env.call(t, "qualys_remove_hosts", withToken(removeArgs, tampered))
		assert.True(t, res.IsError)
		assert.Contains(t, allText(res), "does not verify")
		assert.Empty(t, env.qualys.writes())
	})
	t.Run("reordered and respelled hosts are accepted", func(t *testing.T) {
		res := env.call(t, "qualys_remove_hosts", withToken(`{"hosts":["2001:0DB8::5","203.0.113.5"]}`, token))
		require.False(t, res.IsError, allText(res))
		assert.Equal(t, "done", structured(t, res)["status"])
		assert.Equal(t, "token", structured(t, res)["confirmed_by"])
		require.Len(t, env.qualys.writes(), 1)
	})
	t.Run("replayed token is refused", func(t *testing.T) {
		res := env.call(t, "qualys_remove_hosts", withToken(removeArgs, token))
		assert.True(t, res.IsError)
		assert.Contains(t, allText(res), "already used")
		assert.Len(t, env.qualys.writes(), 1, "still only the one confirmed call")
	})
	t.Run("expired token is refused", func(t *testing.T) {
		fresh := structured(t, env.call(t, "qualys_remove_hosts", removeArgs))["confirmation_token"].(string)
		clock.Advance(5*time.Minute + time.Second)
		res := env.call(t, "qualys_remove_hosts", withToken(removeArgs, fresh))
		assert.True(t, res.IsError)
		assert.Contains(t, allText(res), "expired")
		assert.Len(t, env.qualys.writes(), 1)
	})

	outcomes := map[string]int{}
	for _, line := range env.auditLines(t) {
		outcomes[line.Outcome+"/"+line.Confirmation]++
	}
	assert.Equal(t, 1, outcomes["done/token"])
	assert.Equal(t, 2, outcomes["confirmation_required/none"])
	assert.Equal(t, 6, outcomes["refused/token"])
}

// TestTokenFromAnotherSession is refused: a token is bound to the session
// that saw the preview.
func TestTokenFromAnotherSession(t *testing.T) {
	env := newTestEnv(t)
	first := env.call(t, "qualys_remove_hosts", removeArgs)
	token := structured(t, first)["confirmation_token"].(string)
	other := connect(t, env.server)
	res := callTool(t, other, "qualys_remove_hosts", strings.TrimSuffix(removeArgs, "}")+`,"confirmation_token":"`+token+`"}`)
	assert.True(t, res.IsError)
	assert.Contains(t, allText(res), "another session")
	assert.Empty(t, env.qualys.writes())
}

// TestTokensVerifyAcrossReplicas: two servers sharing PCI_MCP_STATE_KEY and
// a shared store accept each other's tokens, once between them; a server
// with another key does not, nor one whose store is its own memory.
func TestTokensVerifyAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	key := []byte(strings.Repeat("k", MinStateKeyLen))
	shared := sharedStore{guard.NewMemoryStore(nil)}
	a, err := NewGuard(GuardOptions{Key: key, Store: shared})
	require.NoError(t, err)
	b, err := NewGuard(GuardOptions{Key: key, Store: shared})
	require.NoError(t, err)
	c, err := NewGuard(GuardOptions{Key: []byte(strings.Repeat("z", MinStateKeyLen)), Store: shared})
	require.NoError(t, err)
	alone, err := NewGuard(GuardOptions{Key: key})
	require.NoError(t, err)
	token, _ := a.issue(purposeToken, "qualys_remove_hosts", "default", "digest", "", "")
	_, err = c.verify(token, purposeToken, "qualys_remove_hosts", "default", "digest", "", "")
	assert.ErrorContains(t, err, "does not verify")
	_, err = a.verify(token, purposeState, "qualys_remove_hosts", "default", "digest", "", "")
	assert.Error(t, err, "a token is not a request state")
	_, err = alone.verify(token, purposeToken, "qualys_remove_hosts", "default", "digest", "", "")
	assert.ErrorContains(t, err, "issued before the server restarted", "a replica whose used marks are its own cannot honour another's token")

	require.NoError(t, b.redeem(ctx, token, purposeToken, "qualys_remove_hosts", "default", "digest", ""))
	assert.ErrorContains(t, a.redeem(ctx, token, purposeToken, "qualys_remove_hosts", "default", "digest", ""), "already used",
		"a token used on one replica is used on all")

	_, err = NewGuard(GuardOptions{Key: []byte("short")})
	assert.ErrorContains(t, err, "at least 32 bytes")
}

func TestDestructiveValidationRunsFirst(t *testing.T) {
	e := &elicitor{answer: accept(map[string]any{"confirm": true})}
	env := newTestEnv(t)
	c := connect(t, env.server, client.WithElicitationHandler(e))
	res := callTool(t, c, "qualys_remove_hosts", `{"hosts":["203.0.113.5","not-an-ip"]}`)
	assert.True(t, res.IsError)
	assert.Contains(t, allText(res), "hosts[1]")
	assert.Empty(t, e.asked, "nobody is asked to confirm an invalid call")
	assert.Empty(t, env.qualys.writes())
}

// TestReadOnlyAndToolsetFilters checks the policy over what a client lists.
func TestReadOnlyAndToolsetFilters(t *testing.T) {
	env := newTestEnv(t, func(o *Options) { o.Policy = Policy{ReadOnly: true} })
	res, err := env.client.ListTools(context.Background(), mcp.ListToolsRequest{})
	require.NoError(t, err)
	for _, tool := range res.Tools {
		assert.True(t, *tool.Annotations.ReadOnlyHint, "%s is not read-only", tool.Name)
	}
	readOnly := 0
	for _, tool := range qualysTools() {
		if tool.ReadOnly() {
			readOnly++
		}
	}
	assert.Len(t, res.Tools, readOnly)
	var req mcp.CallToolRequest
	req.Params.Name = "qualys_remove_hosts"
	req.Params.Arguments = map[string]any{"hosts": []string{"203.0.113.5"}}
	_, err = env.client.CallTool(context.Background(), req)
	assert.Error(t, err, "a filtered-out tool cannot be called")

	env = newTestEnv(t, func(o *Options) {
		o.Policy = Policy{Tools: []string{"qualys_get_scan", "qualys_remove_hosts"}, ExcludeTools: []string{"qualys_remove_hosts"}}
	})
	res, err = env.client.ListTools(context.Background(), mcp.ListToolsRequest{})
	require.NoError(t, err)
	require.Len(t, res.Tools, 1)
	assert.Equal(t, "qualys_get_scan", res.Tools[0].Name)
}

func TestSelectRefusesUnknownNames(t *testing.T) {
	configured := map[Toolset]bool{ToolsetQualys: true}
	_, err := Select(Catalog(), configured, Policy{Toolsets: []Toolset{"nessus"}})
	assert.ErrorContains(t, err, "valid toolsets: qualys, halo")
	_, err = Select(Catalog(), configured, Policy{Toolsets: []Toolset{ToolsetHalo}})
	assert.ErrorContains(t, err, "HALO_API_KEY")
	_, err = Select(Catalog(), configured, Policy{ExcludeTools: []string{"qualys_nuke"}})
	assert.ErrorContains(t, err, "valid tools: qualys_add_hosts")
	_, err = Select(Catalog(), configured, Policy{Tools: []string{"qualys_remove_hosts"}, ReadOnly: true})
	assert.ErrorContains(t, err, "no tools")
}

// helpers

func allText(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if t, ok := c.(mcp.TextContent); ok {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func toAnySlice(v any) []any {
	switch s := v.(type) {
	case []any:
		return s
	case []string:
		out := make([]any, len(s))
		for i, x := range s {
			out[i] = x
		}
		return out
	}
	return nil
}

// TestTokensOnlySkipsElicitation: with --confirm=token, even a client that
// can show forms confirms by token, for clients that decline unseen.
func TestTokensOnlySkipsElicitation(t *testing.T) {
	guard, err := NewGuard(GuardOptions{TokensOnly: true})
	require.NoError(t, err)
	env := newTestEnv(t, func(o *Options) { o.Guard = guard })
	e := &elicitor{answer: answerWith(mcp.ElicitationResponseActionDecline)}
	c := connect(t, env.server, client.WithElicitationHandler(e))
	res := callTool(t, c, "qualys_remove_hosts", removeArgs)
	assert.Empty(t, e.asked, "nobody is asked through the client")
	assert.Equal(t, "confirmation_required", structured(t, res)["status"])
	assert.Empty(t, env.qualys.writes())
}

// TestRestartWithFixedKeyRefusesOldTokens: a token, used or not, from a run
// before a restart is refused even with the same PCI_MCP_STATE_KEY, since
// the memory of its use died with the process; so is a request state.
// Nothing reaches Qualys.
func TestRestartWithFixedKeyRefusesOldTokens(t *testing.T) {
	key := []byte(strings.Repeat("k", MinStateKeyLen))
	guardWithKey := func(o *Options) {
		g, err := NewGuard(GuardOptions{Key: key})
		require.NoError(t, err)
		o.Guard = g
	}
	before := newTestEnv(t, guardWithKey)
	before.qualys.on("DELETE /pci/asset/delete", http.StatusOK, `{"data":"2 IP removed successfully"}`)
	withToken := func(tok string) string {
		return strings.TrimSuffix(removeArgs, "}") + `,"confirmation_token":"` + tok + `"}`
	}
	used := structured(t, before.call(t, "qualys_remove_hosts", removeArgs))["confirmation_token"].(string)
	unused := structured(t, before.call(t, "qualys_remove_hosts", removeArgs))["confirmation_token"].(string)
	require.False(t, before.call(t, "qualys_remove_hosts", withToken(used)).IsError)
	require.Len(t, before.qualys.writes(), 1)

	after := newTestEnv(t, guardWithKey)
	after.qualys.on("DELETE /pci/asset/delete", http.StatusOK, `{"data":"2 IP removed successfully"}`)
	for name, tok := range map[string]string{"used": used, "unused": unused} {
		res := after.call(t, "qualys_remove_hosts", withToken(tok))
		assert.True(t, res.IsError, name)
		assert.Contains(t, allText(res), "issued before the server restarted; call the tool again for a new one", name)
		assert.Contains(t, allText(res), "Nothing was sent to Qualys", name)
	}
	assert.Empty(t, after.qualys.writes(), "nothing from an earlier run reaches Qualys")
	lines := after.auditLines(t)
	require.Len(t, lines, 2)
	for _, line := range lines {
		assert.Equal(t, "refused", line.Outcome)
		assert.Contains(t, line.Detail, "issued before the server restarted")
	}

	// A 2026-07-28 request state from the earlier run is refused the same way.
	state, _ := before.deps.Guard.issue(purposeState, "qualys_remove_hosts", "", digestOf(t, removeArgs), "", "")
	handler := qualysRemoveHosts().bind(&Deps{Qualys: after.deps.Qualys, Log: discardLogger(), Audit: NewAudit(nil, nil, nil), Guard: after.deps.Guard})
	var req mcp.CallToolRequest
	req.Params.Name = "qualys_remove_hosts"
	req.Params.RawArguments = []byte(removeArgs)
	req.Params.InputResponses = mcp.InputResponses{confirmKey: mcp.NewElicitationInputResponse(*accept(map[string]any{"confirm": true}))}
	req.Params.RequestState = state
	res, err := handler(context.Background(), req)
	require.NoError(t, err)
	assert.True(t, res.IsError)
	assert.Contains(t, allText(res), "issued before the server restarted")
	assert.Empty(t, after.qualys.writes())
}

// TestStoreFailureFailsClosed: when the guard's store does not answer, a
// confirmed call is refused with a sentence saying so, and nothing is sent.
func TestStoreFailureFailsClosed(t *testing.T) {
	store := &switchableStore{Store: guard.NewMemoryStore(nil)}
	g, err := NewGuard(GuardOptions{Store: store})
	require.NoError(t, err)
	env := newTestEnv(t, func(o *Options) { o.Guard = g })
	env.qualys.on("DELETE /pci/asset/delete", http.StatusOK, `{"data":"2 IP removed successfully"}`)

	// Down at the first call: no token is handed out.
	store.down.Store(true)
	res := env.call(t, "qualys_remove_hosts", removeArgs)
	assert.True(t, res.IsError)
	assert.Contains(t, allText(res), "the guard's store does not answer (connection refused), so no confirmation can be issued or checked")
	assert.NotContains(t, allText(res), "confirmation_token")
	assert.Empty(t, env.qualys.writes())

	// Down between the two calls: the token cannot be spent.
	store.down.Store(false)
	token := structured(t, env.call(t, "qualys_remove_hosts", removeArgs))["confirmation_token"].(string)
	store.down.Store(true)
	res = env.call(t, "qualys_remove_hosts", strings.TrimSuffix(removeArgs, "}")+`,"confirmation_token":"`+token+`"}`)
	assert.True(t, res.IsError)
	assert.Contains(t, allText(res), "the confirmation could not be checked, because the guard's store did not answer (connection refused)")
	assert.Contains(t, allText(res), "Nothing was sent to Qualys")
	assert.Empty(t, env.qualys.writes())
}

// switchableStore is a memory store that can be taken down and brought
// back, as a shared store's network can.
type switchableStore struct {
	guard.Store
	down atomic.Bool
}

func (s *switchableStore) Claim(ctx context.Context, key string, exp time.Time) (bool, error) {
	if s.down.Load() {
		return false, errStoreDown
	}
	return s.Store.Claim(ctx, key, exp)
}

func (s *switchableStore) Ping(ctx context.Context) error {
	if s.down.Load() {
		return errStoreDown
	}
	return s.Store.Ping(ctx)
}
