package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/providers/halo/halosim"
	"github.com/pci-mcp/pci-mcp/providers/qualys/qualyssim"
)

// Named accounts end to end: PCI_MCP_ACCOUNTS_FILE and the single-account
// variables, through run() and a real MCP client, against simulators that
// each accept only their own account's credentials.

// More marker secrets: the second merchant of each provider.
const (
	secretEUUser      = "merchant-eu-secret-test"
	markerEUPassword  = "marker-eu-password-for-cmd-tests"
	markerHalo2APIKey = "marker-halo2-key-for-cmd-tests"
)

// accountsFixture is an accounts file naming acme-eu (Qualys, password in
// an owner-only file) and acme-2 (Halo, key in a variable), beside the
// environment's default accounts.
type accountsFixture struct {
	file string
	// The merchants' simulators, when the fixture started them.
	euSim    *qualyssim.Server
	halo2Sim *halosim.Server
}

func writeAccountsFile(t *testing.T, euURL, halo2URL string) string {
	t.Helper()
	dir := t.TempDir()
	secret := filepath.Join(dir, "acme-eu.password")
	require.NoError(t, os.WriteFile(secret, []byte(markerEUPassword+"\n"), 0o600))
	file := filepath.Join(dir, "accounts.json")
	body := `{"accounts": [
	  {"name": "acme-eu", "provider": "qualys", "url": "` + euURL + `", "username": "` + secretEUUser + `", "password_file": "` + secret + `"},
	  {"name": "acme-2", "provider": "halo", "url": "` + halo2URL + `", "api_key_env": "ACME_2_HALO_KEY"}
	]}`
	require.NoError(t, os.WriteFile(file, []byte(body), 0o644))
	return file
}

func newAccountsFixture(t *testing.T) *accountsFixture {
	f := &accountsFixture{}
	var err error
	f.euSim, err = qualyssim.Start(qualyssim.Options{Username: secretEUUser, Password: markerEUPassword, Empty: true,
		Hosts: []string{"198.51.100.20"}, QueuedFor: -1, RunningFor: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.euSim.Close() })
	f.halo2Sim, err = halosim.Start(halosim.Options{APIKey: markerHalo2APIKey, ScanFinishesAfter: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.halo2Sim.Close() })
	f.file = writeAccountsFile(t, f.euSim.URL, f.halo2Sim.URL)
	return f
}

// accountsEnv adds the accounts file and acme-2's key to an environment.
func (f *accountsFixture) accountsEnv(base func(string) string) func(string) string {
	return func(k string) string {
		switch k {
		case "PCI_MCP_ACCOUNTS_FILE":
			return f.file
		case "ACME_2_HALO_KEY":
			return markerHalo2APIKey
		}
		return base(k)
	}
}

// callJSON calls a tool with arguments written as JSON.
func callJSON(t *testing.T, c *client.Client, name, args string) *mcp.CallToolResult {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(args), &m))
	return callTool(t, c, name, m)
}

// TestAccountsFileServesEachMerchant: the file's accounts and the
// environment's, each call at its own account's simulator with that
// account's credentials; the file's first account is the default.
func TestAccountsFileServesEachMerchant(t *testing.T) {
	us := simulatorUpstreams(t)
	f := newAccountsFixture(t)
	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
	c, _ := connectStdioInProcess(t, f.accountsEnv(secretEnv(us, auditPath, "json")))

	res := callJSON(t, c, "qualys_compliance_summary", `{}`)
	require.False(t, res.IsError, resultText(res))
	assert.Contains(t, resultText(res), `"account":"acme-eu"`, "the file's first account is the default")
	assert.Contains(t, resultText(res), "198.51.100.20")
	assert.NotContains(t, resultText(res), "203.0.113.10", "not the demo merchant's scope")

	res = callJSON(t, c, "qualys_compliance_summary", `{"account":"default"}`)
	require.False(t, res.IsError, resultText(res))
	assert.Contains(t, resultText(res), "203.0.113.10", "the environment's account is the demo merchant")

	res = callJSON(t, c, "halo_pci_summary", `{"account":"acme-2"}`)
	require.False(t, res.IsError, resultText(res), "acme-2's simulator accepts only acme-2's key")
	assert.Contains(t, resultText(res), `"account":"acme-2"`)

	before := len(f.euSim.Requests())
	res = callJSON(t, c, "qualys_add_hosts", `{"account":"acme-us","hosts":["198.51.100.30"]}`)
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), `account: "acme-us" is not a Qualys account of this server; the accounts are acme-eu, default (default acme-eu)`)
	assert.Equal(t, before, len(f.euSim.Requests()), "nothing sent")

	// A token issued for one merchant is refused for the other.
	first := callJSON(t, c, "qualys_remove_hosts", `{"account":"acme-eu","hosts":["198.51.100.20"]}`)
	require.False(t, first.IsError, resultText(first))
	assert.Contains(t, resultText(first), "ACCOUNT acme-eu (Qualys user "+secretEUUser+")")
	token, _ := structuredOf(t, first)["confirmation_token"].(string)
	require.NotEmpty(t, token)
	res = callJSON(t, c, "qualys_remove_hosts", `{"account":"default","hosts":["198.51.100.20"],"confirmation_token":"`+token+`"}`)
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), "issued for account acme-eu, not default")

	audit, err := os.ReadFile(auditPath)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(audit)), "\n")
	require.NotEmpty(t, lines)
	assert.Contains(t, lines[len(lines)-1], `"account":"default"`)
	assert.Contains(t, lines[len(lines)-1], `"outcome":"refused"`)
}

// TestAccountsFileErrorsFailStartUp: each problem in the file stops
// pci-mcp with exit status 2 and a message naming the account and field.
func TestAccountsFileErrorsFailStartUp(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open.key")
	require.NoError(t, os.WriteFile(open, []byte("k"), 0o644))
	tests := []struct{ name, body, want string }{
		{"unknown field", `{"accounts":[{"name":"acme","provider":"halo","api_key_env":"K","colour":"red"}]}`,
			`account "acme": colour: is not a field of a halo account`},
		{"missing secret", `{"accounts":[{"name":"acme","provider":"halo","api_key_env":"UNSET_KEY"}]}`,
			`account "acme": api_key_env: the environment variable UNSET_KEY is not set`},
		{"inline secret", `{"accounts":[{"name":"acme","provider":"qualys","username":"u","password":"hunter2"}]}`,
			`account "acme": password: a secret is never written in the accounts file`},
		{"duplicate name", `{"accounts":[{"name":"acme","provider":"halo","api_key_env":"K"},{"name":"acme","provider":"halo","api_key_env":"K"}]}`,
			`account "acme": name: another halo account has this name`},
		{"bad URL", `{"accounts":[{"name":"acme","provider":"halo","api_key_env":"K","url":"api.halosecurity.com"}]}`,
			`account "acme": url: "api.halosecurity.com" must start with https://`},
		{"secret file readable by others", `{"accounts":[{"name":"acme","provider":"halo","api_key_file":"` + open + `"}]}`,
			`account "acme": api_key_file: ` + open + ` is readable by group or others (mode 0644)`},
		{"clash with the environment's account", `{"accounts":[{"name":"default","provider":"halo","api_key_env":"K"}]}`,
			`account "default": name: the halo environment variables make a halo account named "default"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "accounts.json")
			require.NoError(t, os.WriteFile(file, []byte(tt.body), 0o644))
			code, stdout, stderr := runMain(t, env("PCI_MCP_ACCOUNTS_FILE", file, "K", "halo-key", "HALO_API_KEY", "env-key"), "call", "halo_pci_summary")
			assert.Equal(t, exitUsage, code, stderr)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, "pci-mcp: PCI_MCP_ACCOUNTS_FILE "+file+": "+tt.want)
			assert.NotContains(t, stderr, "hunter2")
		})
	}

	code, _, stderr := runMain(t, env("HALO_API_KEY", "k"), "--accounts", "nope", "call", "halo_pci_summary")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `--accounts: no account is named "nope"; the accounts are: default (halo)`)
}

// TestSandboxServesTwoQualysMerchants: --sandbox has sandbox-us (the demo
// merchant, the default) and sandbox-eu (another scope) on Qualys, and one
// Halo account.
func TestSandboxServesTwoQualysMerchants(t *testing.T) {
	c, _ := connectStdioInProcess(t, env(), "--sandbox", "--sandbox-scan-phase", "0")
	us := callJSON(t, c, "qualys_compliance_summary", `{}`)
	require.False(t, us.IsError, resultText(us))
	assert.Contains(t, resultText(us), `"account":"sandbox-us"`)
	assert.Contains(t, resultText(us), "203.0.113.10")
	eu := callJSON(t, c, "qualys_compliance_summary", `{"account":"sandbox-eu"}`)
	require.False(t, eu.IsError, resultText(eu))
	assert.Contains(t, resultText(eu), `"account":"sandbox-eu"`)
	assert.Contains(t, resultText(eu), "198.51.100.20")
	assert.NotContains(t, resultText(eu), "203.0.113.10")
	halo := callJSON(t, c, "halo_pci_summary", `{}`)
	require.False(t, halo.IsError, resultText(halo))
	assert.NotContains(t, resultText(halo), `"account"`, "one Halo account: its tools are as they always were")

	var init mcp.InitializeRequest
	init.Params.ProtocolVersion = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	res, err := c.Initialize(context.Background(), init)
	require.NoError(t, err)
	assert.Contains(t, res.Instructions, "Qualys: sandbox-us (default), sandbox-eu; Halo Security: sandbox.")
}

// TestAccountsCommand lists every account with where its secrets come
// from, never a secret; --check tries each and fails naming what to check.
func TestAccountsCommand(t *testing.T) {
	us := simulatorUpstreams(t)
	f := newAccountsFixture(t)
	getenv := f.accountsEnv(secretEnv(us, filepath.Join(t.TempDir(), "audit.jsonl"), "json"))

	code, stdout, stderr := runMain(t, getenv, "accounts")
	require.Equal(t, exitOK, code, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 5, stdout)
	assert.Regexp(t, `^NAME\s+PROVIDER\s+DEFAULT\s+URL\s+SECRETS FROM$`, lines[0])
	assert.Regexp(t, `^acme-eu\s+qualys\s+yes\s+`+f.euSim.URL+`\s+username "`+secretEUUser+`", password from file .*/acme-eu.password$`, lines[1])
	assert.Regexp(t, `^acme-2\s+halo\s+yes\s+`+f.halo2Sim.URL+`\s+api key from \$ACME_2_HALO_KEY$`, lines[2])
	assert.Regexp(t, `^default\s+qualys\s+`+us.qualysURL+`\s+username from \$QUALYS_USERNAME, password from \$QUALYS_PASSWORD$`, lines[3])
	assert.Regexp(t, `^default\s+halo\s+`, lines[4])
	assertNoSecret(t, "the accounts listing", stdout+stderr)
	assert.Empty(t, f.euSim.Requests(), "listing reads nothing upstream")

	code, stdout, stderr = runMain(t, getenv, "accounts", "--check")
	require.Equal(t, exitOK, code, stdout+stderr)
	assert.Regexp(t, `acme-eu\s+qualys\s+ok`, stdout)
	assert.Regexp(t, `acme-2\s+halo\s+ok`, stdout)
	assert.Equal(t, []string{"/pci/scan/list"}, requestPaths(f.euSim.Requests()), "Qualys: list one scan")

	// A wrong key for acme-2: that account fails, naming its own variable.
	bad := func(k string) string {
		if k == "ACME_2_HALO_KEY" {
			return "marker-wrong-halo-key"
		}
		return getenv(k)
	}
	code, stdout, stderr = runMain(t, bad, "accounts", "--check")
	assert.Equal(t, exitToolError, code)
	assert.Regexp(t, `acme-eu\s+qualys\s+ok`, stdout)
	assert.Regexp(t, `acme-2\s+halo\s+FAILED: Halo Security rejected the credentials \(HTTP 401\): check ACME_2_HALO_KEY`, stdout)
	assert.Contains(t, stderr, "1 of 4 accounts failed their check")
	assert.NotContains(t, stdout+stderr, "marker-wrong-halo-key")
	for _, r := range f.halo2Sim.Simulator.Requests() {
		assert.Equal(t, "/api/v1/user/me.json", r.Path, "Halo: user/me.json only")
	}

	code, stdout, _ = runMain(t, getenv, "--accounts", "acme-2", "accounts")
	require.Equal(t, exitOK, code)
	assert.Len(t, strings.Split(strings.TrimSpace(stdout), "\n"), 2, "--accounts narrows the list")
}

func requestPaths(requests []qualyssim.Request) []string {
	var out []string
	for _, r := range requests {
		out = append(out, r.Path)
	}
	return out
}

// TestCallAccountFlag: --account is the account argument.
func TestCallAccountFlag(t *testing.T) {
	code, stdout, stderr := runMain(t, env(), "call", "--sandbox", "--account", "sandbox-eu", "qualys_compliance_summary")
	require.Equal(t, exitOK, code, stderr)
	assert.True(t, strings.HasPrefix(stdout, `{"account":"sandbox-eu",`), stdout)
	assert.Contains(t, stdout, "198.51.100.20")

	code, _, stderr = runMain(t, env(), "call", "--sandbox", "--account", "sandbox-xx", "qualys_compliance_summary")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--account sandbox-xx: not an account of this server for qualys_compliance_summary; the accounts are sandbox-us, sandbox-eu")

	code, _, stderr = runMain(t, env(), "call", "--sandbox", "--account", "sandbox-eu", "qualys_compliance_summary", `{"account":"sandbox-us"}`)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `--account sandbox-eu and ARGS' "account": sandbox-us disagree`)
}
