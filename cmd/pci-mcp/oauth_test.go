package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/cmd/pci-mcp/internal/oauth/oauthtest"
)

const testAudience = "https://pci-mcp.example.test/mcp"

// oauthEnv is serverEnv in OAuth mode: the shared bearer token unset, the
// issuer and audience set, the audit trail in a file.
func oauthEnv(t *testing.T, fake *fakeQualys, iss *oauthtest.Issuer, extra ...string) (func(string) string, string) {
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	pairs := append([]string{envAuthToken, "", envOAuthIssuer, iss.URL(), envOAuthAudience, testAudience, envAuditLog, audit}, extra...)
	return serverEnv(fake, pairs...), audit
}

// mint is an access token for this server.
func mint(t *testing.T, iss *oauthtest.Issuer, subject, scope string) string {
	return iss.Mint(t, oauthtest.Token{Subject: subject, Email: subject + "@example.test", Audience: []string{testAudience}, Scope: scope})
}

func auditLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m))
		out = append(out, m)
	}
	return out
}

func post(t *testing.T, url, token, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/mcp", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// Without a valid token for this server: 401 pointing at the metadata,
// which names the issuer, the resource and the scopes (RFC 9728).
func TestOAuthRefusesRequestsWithoutAValidToken(t *testing.T) {
	iss := oauthtest.Start(t)
	fake := newFakeQualys(t)
	getenv, _ := oauthEnv(t, fake, iss)
	s := startServer(t, getenv, "--transport", "http")
	wantMeta := `resource_metadata="https://pci-mcp.example.test/.well-known/oauth-protected-resource/mcp"`

	for _, tc := range []struct{ name, token, want string }{
		{"no token", "", ""},
		{"wrong audience", iss.Mint(t, oauthtest.Token{Subject: "alice", Audience: []string{"https://other.example.test"}, Scope: "pci:read"}), `error="invalid_token"`},
		{"the shared-token mode's kind of token", markerAuthToken, `error="invalid_token"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := post(t, s.url, tc.token, initializeBody)
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			challenge := resp.Header.Get("WWW-Authenticate")
			assert.True(t, strings.HasPrefix(challenge, "Bearer "), challenge)
			assert.Contains(t, challenge, wantMeta)
			assert.Contains(t, challenge, tc.want)
		})
	}
	assert.Zero(t, len(fake.requests()), "nothing reached Qualys")

	for _, path := range []string{"/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"} {
		resp, err := http.Get(s.url + path)
		require.NoError(t, err)
		var meta map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&meta))
		_ = resp.Body.Close()
		assert.Equal(t, testAudience, meta["resource"])
		assert.Equal(t, []any{iss.URL()}, meta["authorization_servers"])
		assert.Equal(t, []any{"pci:read", "pci:write", "pci:destructive"}, meta["scopes_supported"])
	}
}

// Scopes decide what a person sees and may call: without pci:destructive,
// removals are not listed, and calling one is a 403 insufficient_scope
// naming the scope, with nothing sent.
func TestOAuthScopesFilterTheCatalog(t *testing.T) {
	iss := oauthtest.Start(t)
	fake := newFakeQualys(t)
	getenv, _ := oauthEnv(t, fake, iss)
	s := startServer(t, getenv, "--transport", "http")

	names := func(token string) []string {
		c := connectStreamable(t, s.url, token, mcp.LATEST_PROTOCOL_VERSION, nil)
		list, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
		require.NoError(t, err)
		var out []string
		for _, tool := range list.Tools {
			out = append(out, tool.Name)
		}
		return out
	}
	reader := names(mint(t, iss, "alice", "pci:read"))
	assert.Contains(t, reader, "qualys_list_scans")
	assert.NotContains(t, reader, "qualys_remove_hosts")
	assert.NotContains(t, reader, "qualys_launch_scan", "a launch needs pci:write")
	writer := names(mint(t, iss, "alice", "pci:read pci:write"))
	assert.Contains(t, writer, "qualys_launch_scan")
	assert.NotContains(t, writer, "qualys_remove_hosts")
	all := names(mint(t, iss, "alice", "pci:read pci:write pci:destructive"))
	assert.Contains(t, all, "qualys_remove_hosts")

	call := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"qualys_remove_hosts","arguments":{"hosts":["203.0.113.5"]}}}`
	resp := post(t, s.url, mint(t, iss, "alice", "pci:read pci:write"), call)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("WWW-Authenticate"), `error="insufficient_scope", scope="pci:destructive"`)
	body, _ := io.ReadAll(resp.Body)
	assert.Contains(t, string(body), "calling qualys_remove_hosts needs the scope pci:destructive")
	assert.Zero(t, fake.count("DELETE /pci/asset/delete"))
}

// The subject is who: it is in the audit line, and a confirmation token
// issued to one person is refused to another (nothing sent), then honoured
// for its owner. The access token never reaches Qualys.
func TestOAuthSubjectIsBoundAndAudited(t *testing.T) {
	iss := oauthtest.Start(t)
	fake := newFakeQualys(t)
	getenv, audit := oauthEnv(t, fake, iss)
	s := startServer(t, getenv, "--transport", "http")
	aliceToken := mint(t, iss, "alice", "pci:read pci:destructive")
	alice := connectStreamable(t, s.url, aliceToken, mcp.LATEST_PROTOCOL_VERSION, nil)
	bob := connectStreamable(t, s.url, mint(t, iss, "bob", "pci:read pci:destructive"), mcp.LATEST_PROTOCOL_VERSION, nil)

	first := callTool(t, alice, "qualys_remove_hosts", removeHosts)
	token, _ := structuredOf(t, first)["confirmation_token"].(string)
	require.NotEmpty(t, token, resultText(first))
	stolen := callTool(t, bob, "qualys_remove_hosts", withToken(removeHosts, token))
	assert.True(t, stolen.IsError)
	assert.Contains(t, resultText(stolen), "issued to another person")
	assert.Zero(t, fake.count("DELETE /pci/asset/delete"), "another person's confirmation sends nothing")

	done := callTool(t, alice, "qualys_remove_hosts", withToken(removeHosts, token))
	require.False(t, done.IsError, resultText(done))
	assert.Equal(t, 1, fake.count("DELETE /pci/asset/delete"))

	lines := auditLines(t, audit)
	require.NotEmpty(t, lines)
	var outcomes []string
	for _, l := range lines {
		assert.NotEmpty(t, l["subject"], "every audit line names the person: %v", l)
		outcomes = append(outcomes, l["subject"].(string)+":"+l["outcome"].(string))
	}
	assert.Contains(t, outcomes, "alice:done")
	assert.Contains(t, outcomes, "bob:refused")
	assert.Equal(t, "alice@example.test", lines[len(lines)-1]["email"])
	assert.NotContains(t, fake.headers(), aliceToken, "the access token is never passed through")
	assert.NotContains(t, fake.headers(), "alice", "the subject is not sent upstream")
}

func TestOAuthConfigurationErrors(t *testing.T) {
	iss := oauthtest.Start(t)
	fake := newFakeQualys(t)
	for _, tc := range []struct {
		name  string
		pairs []string
		want  string
	}{
		{"with the shared token", []string{envOAuthIssuer, iss.URL(), envOAuthAudience, testAudience}, "PCI_MCP_AUTH_TOKEN and PCI_MCP_OAUTH_ISSUER are two ways"},
		{"issuer alone", []string{envAuthToken, "", envOAuthIssuer, iss.URL()}, "set both PCI_MCP_OAUTH_ISSUER"},
		{"four eyes without identities", []string{envFourEyes, "true"}, "PCI_MCP_APPROVAL_FOUR_EYES needs identities"},
		{"four eyes, not a boolean", []string{envFourEyes, "yes please"}, `PCI_MCP_APPROVAL_FOUR_EYES="yes please": must be true or false`},
		{"not a URL", []string{envAuthToken, "", envOAuthIssuer, "issuer.example.test", envOAuthAudience, testAudience}, "must be an http(s) URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runMain(t, serverEnv(fake, tc.pairs...), "--transport", "http")
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, stderr, tc.want)
		})
	}
}

// openSession initializes a 2025-11-25 session with token and returns its id.
func openSession(t *testing.T, url, token string) string {
	t.Helper()
	resp := post(t, url, token, initializeBody)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	id := resp.Header.Get("Mcp-Session-Id")
	require.NotEmpty(t, id)
	return id
}

// postInSession posts a tools/list in session id, returning the status.
func postInSession(t *testing.T, url, token, id string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":3,"method":"tools/list"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Mcp-Session-Id", id)
	req.Header.Set("Mcp-Protocol-Version", mcp.LATEST_LEGACY_PROTOCOL_VERSION)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// A session opened by one person is unknown (404) to another, even with a
// valid token; a fresh token of the same person keeps it.
func TestOAuthSessionIsBoundToTheSubject(t *testing.T) {
	iss := oauthtest.Start(t)
	fake := newFakeQualys(t)
	getenv, _ := oauthEnv(t, fake, iss)
	s := startServer(t, getenv, "--transport", "http")
	id := openSession(t, s.url, mint(t, iss, "alice", "pci:read"))
	assert.Equal(t, http.StatusOK, postInSession(t, s.url, mint(t, iss, "alice", "pci:read"), id))
	assert.Equal(t, http.StatusNotFound, postInSession(t, s.url, mint(t, iss, "bob", "pci:read"), id))
}
