package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/providers/qualys/qualyssim"
	"github.com/pci-mcp/pci-mcp/tools"
)

// qualysSim starts a Qualys simulator with the demo merchant and returns it
// with an environment that points pci-mcp at it. Its requests are what
// reached "upstream".
func qualysSim(t *testing.T, extra ...string) (*qualyssim.Server, func(string) string) {
	t.Helper()
	sim, err := qualyssim.Start(qualyssim.Options{QueuedFor: -1, RunningFor: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	pairs := append([]string{
		"QUALYS_USERNAME", qualyssim.SandboxUsername, "QUALYS_PASSWORD", qualyssim.SandboxPassword, "QUALYS_PCI_URL", sim.URL,
	}, extra...)
	return sim, env(pairs...)
}

// runCall runs `pci-mcp call ARGS...` in process with stdin.
func runCall(t *testing.T, getenv func(string) string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"pci-mcp", "call"}, args...), getenv, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// mutations lists the requests that change the account.
func mutations(sim *qualyssim.Server) []string {
	var out []string
	for _, r := range sim.Requests() {
		if r.Method != http.MethodGet {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

func TestCallPrintsTheTextResult(t *testing.T) {
	_, getenv := qualysSim(t)
	code, stdout, stderr := runCall(t, getenv, "", "qualys_compliance_summary")
	require.Equal(t, exitOK, code, stderr)
	var summary struct {
		ComplianceSummaryList []struct{ IP, Status string }
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &summary), stdout)
	assert.Contains(t, summary.ComplianceSummaryList, struct{ IP, Status string }{"203.0.113.11", "Fail"})
	assert.Empty(t, stderr, "call logs warnings and errors only by default")
}

func TestCallExitStatuses(t *testing.T) {
	_, getenv := qualysSim(t)
	argsFile := filepath.Join(t.TempDir(), "args.json")
	require.NoError(t, os.WriteFile(argsFile, []byte(`{"scan_id": 10987}`), 0o600))
	tests := []struct {
		name       string
		getenv     func(string) string
		args       []string
		want       int
		wantStdout string
		wantStderr string
	}{
		{"success", getenv, []string{"qualys_list_scans", `{"limit": 5}`}, exitOK, `"scanInfoList"`, ""},
		{"tool error is printed on stdout", getenv, []string{"qualys_get_scan", `{"scan_id": 424242}`}, exitToolError, "scan 424242 not found", ""},
		{"invalid arguments are a tool error", getenv, []string{"qualys_add_hosts", `{"hosts": ["not-an-address"]}`}, exitToolError, "hosts", ""},
		{"unknown tool", getenv, []string{"qualys_delete_everything"}, exitUsage, "", `unknown tool "qualys_delete_everything": this server serves qualys_add_hosts`},
		{"tool not served under --read-only", getenv, []string{"--read-only", "qualys_add_hosts", `{"hosts":["2001:db8::1"]}`}, exitUsage, "", `unknown tool "qualys_add_hosts"`},
		{"no tool", getenv, nil, exitUsage, "", "call needs a tool name"},
		{"bad JSON names where", getenv, []string{"qualys_get_scan", "{\n  \"scan_id\": 1,\n}"}, exitUsage, "", "ARGS are not valid JSON: invalid character '}' looking for beginning of object key string (line 3, column 1)"},
		{"truncated JSON", getenv, []string{"qualys_get_scan", `{"scan_id": 1`}, exitUsage, "", "ARGS are not valid JSON: the JSON ends too soon"},
		{"not an object", getenv, []string{"qualys_get_scan", `[10987]`}, exitUsage, "", "ARGS must be a JSON object such as {\"scan_id\": 10987}, not an array"},
		{"two values", getenv, []string{"qualys_get_scan", `{} {}`}, exitUsage, "", "more than one JSON value"},
		{"empty", getenv, []string{"qualys_get_scan", ` `}, exitUsage, "", "ARGS are empty"},
		{"missing file", getenv, []string{"qualys_get_scan", "@" + filepath.Join(t.TempDir(), "nope.json")}, exitUsage, "", "reading ARGS: open"},
		{"stray argument", getenv, []string{"qualys_get_scan", "{}", "more"}, exitUsage, "", `unexpected argument "more"`},
		{"no credentials", env(), []string{"qualys_list_scans"}, exitUsage, "", "or try pci-mcp with simulated accounts: --sandbox"},
		{"args from a file", getenv, []string{"qualys_get_scan", "@" + argsFile}, exitOK, `"scanStatus":"Finished"`, ""},
		{"flags after the arguments", getenv, []string{"qualys_get_scan", `{"scan_id": 10987}`, "--log-level", "error"}, exitOK, `"scanStatus":"Finished"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCall(t, tt.getenv, "", tt.args...)
			assert.Equal(t, tt.want, code, "stdout: %s\nstderr: %s", stdout, stderr)
			if tt.wantStdout != "" {
				assert.Contains(t, stdout, tt.wantStdout)
			}
			if tt.want == exitUsage {
				assert.Empty(t, stdout, "a usage error prints nothing on stdout")
			}
			assert.Contains(t, stderr, tt.wantStderr)
		})
	}
}

func TestCallArgumentsFromStdin(t *testing.T) {
	_, getenv := qualysSim(t)
	code, stdout, stderr := runCall(t, getenv, `{"scan_id": 10987}`, "qualys_get_scan", "-")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `"compliance":"Fail"`)

	code, _, stderr = runCall(t, getenv, `{"scan_id": `, "qualys_get_scan", "-")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "ARGS from stdin are not valid JSON")
}

func TestCallJSONPrintsTheWholeResult(t *testing.T) {
	_, getenv := qualysSim(t)
	code, stdout, stderr := runCall(t, getenv, "", "qualys_get_scan", `{"scan_id": 10987}`, "--json")
	require.Equal(t, exitOK, code, stderr)
	var res struct {
		Content []struct {
			Type, Text string
		} `json:"content"`
		StructuredContent map[string]any `json:"structuredContent"`
		IsError           bool           `json:"isError"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	require.Len(t, res.Content, 1)
	assert.Equal(t, "text", res.Content[0].Type)
	assert.Equal(t, "Fail", res.StructuredContent["compliance"])
	assert.False(t, res.IsError)

	code, stdout, _ = runCall(t, getenv, "", "--json", "qualys_get_scan", `{"scan_id": 1}`)
	assert.Equal(t, exitToolError, code)
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	assert.True(t, res.IsError)
}

// TestCallRefusesGuardedToolsWithoutATerminal: stdin is not a terminal and
// --yes is absent, so nobody can confirm; the upstream's own record shows
// nothing was sent.
func TestCallRefusesGuardedToolsWithoutATerminal(t *testing.T) {
	sim, getenv := qualysSim(t)
	for _, args := range [][]string{
		{"qualys_remove_hosts", `{"hosts": ["203.0.113.10"]}`},
		{"qualys_remove_virtual_hosts", `{"virtual_hosts": [{"fqdn": "shop.example.net", "port": 443, "ip": "203.0.113.10", "path": "/checkout"}]}`},
	} {
		code, stdout, stderr := runCall(t, getenv, "y\n", args...)
		assert.Equal(t, exitUsage, code, stderr)
		assert.Empty(t, stdout)
		assert.Contains(t, stderr, args[0]+" needs a person's confirmation, and nothing was sent")
		assert.Contains(t, stderr, "--yes")
	}
	assert.Empty(t, mutations(sim), "nothing was written to Qualys (the preview may read the scope)")

	code, stdout, _ := runCall(t, getenv, "", "qualys_compliance_summary")
	require.Equal(t, exitOK, code)
	assert.Contains(t, stdout, `"ip":"203.0.113.10","status":"Pass"`, "the host is still in scope")
}

// TestCallYesIsTheOperatorsConfirmation: --yes confirms as the operator,
// and the result and the audit trail say so (not "elicitation", which is a
// client's answer).
func TestCallYesIsTheOperatorsConfirmation(t *testing.T) {
	auditLog := filepath.Join(t.TempDir(), "audit.log")
	sim, getenv := qualysSim(t, "PCI_MCP_AUDIT_LOG", auditLog)
	code, stdout, stderr := runCall(t, getenv, "", "--yes", "qualys_remove_hosts", `{"hosts": ["203.0.113.10"]}`)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `"status":"done"`)
	assert.Contains(t, stdout, `"confirmed_by":"operator"`)
	trail, err := os.ReadFile(auditLog)
	require.NoError(t, err)
	assert.Contains(t, string(trail), `"confirmation":"operator","outcome":"done"`)
	assert.Contains(t, stdout, "1 IP removed successfully")
	assert.Contains(t, stderr, "ACCOUNT default (Qualys user sandbox-merchant)\nRemove 1 host from PCI scope\n  1. 203.0.113.10", "the preview is shown")
	assert.Contains(t, stderr, "Confirmed with --yes.")
	assert.Equal(t, []string{"DELETE /pci/asset/delete"}, mutations(sim))
}

// TestCallAsksOnTheTerminal drives the confirmer as a terminal would, through
// a real MCP client and server, on both protocol generations.
func TestCallAsksOnTheTerminal(t *testing.T) {
	protocols := []struct {
		name string
		opts []client.ClientOption
	}{
		{"2026-07-28 input requests", nil},
		{"2025-11-25 elicitation/create", []client.ClientOption{client.WithProtocolVersion("2025-11-25")}},
	}
	answers := []struct {
		name       string
		typed      string
		wantStatus string
		wantSent   bool
	}{
		{"y", "y\n", "done", true},
		{"YES", "YES\n", "done", true},
		{"n", "n\n", "cancelled", false},
		{"enter", "\n", "cancelled", false},
		{"ctrl-d", "", "cancelled", false},
	}
	for _, p := range protocols {
		for _, a := range answers {
			t.Run(p.name+"/"+a.name, func(t *testing.T) {
				sim, getenv := qualysSim(t)
				var prompt bytes.Buffer
				conf := &confirmer{interactive: true, in: strings.NewReader(a.typed), out: &prompt}
				res := callThrough(t, getenv, conf, "qualys_remove_hosts", map[string]any{"hosts": []string{"203.0.113.10"}}, p.opts...)
				require.False(t, res.IsError, res.Content)
				assert.Equal(t, a.wantStatus, res.StructuredContent.(map[string]any)["status"])
				assert.Contains(t, prompt.String(), "  1. 203.0.113.10\n")
				assert.Contains(t, prompt.String(), "Proceed? [y/N] ")
				if a.wantSent {
					assert.Equal(t, []string{"DELETE /pci/asset/delete"}, mutations(sim))
				} else {
					assert.Empty(t, mutations(sim), "nothing was written to Qualys (the preview may read the scope)")
					assert.Contains(t, prompt.String(), "Not confirmed; nothing will be sent.")
				}
			})
		}
		t.Run(p.name+"/refused", func(t *testing.T) {
			sim, getenv := qualysSim(t)
			conf := &confirmer{in: strings.NewReader("y\n"), out: &bytes.Buffer{}}
			c := clientFor(t, getenv, conf, p.opts...)
			var req mcp.CallToolRequest
			req.Params.Name = "qualys_remove_hosts"
			req.Params.Arguments = map[string]any{"hosts": []string{"203.0.113.10"}}
			res, err := c.CallTool(context.Background(), req)
			// The client abandons the call (input requests) or the guard
			// answers with an error result (elicitation/create).
			if err == nil {
				assert.True(t, res.IsError)
			}
			assert.True(t, conf.refused)
			assert.Empty(t, mutations(sim), "nothing was written to Qualys (the preview may read the scope)")
		})
	}
}

// clientFor connects an in-process client, answering with conf, to the
// server pci-mcp builds from getenv.
func clientFor(t *testing.T, getenv func(string) string, conf *confirmer, opts ...client.ClientOption) *client.Client {
	t.Helper()
	cfg, err := serveCommand(nil, getenv, &bytes.Buffer{})
	require.NoError(t, err)
	c, closeAll, err := connect(context.Background(), cfg, callOptions{}, getenv, conf, &bytes.Buffer{}, opts...)
	require.NoError(t, err)
	t.Cleanup(closeAll)
	return c
}

func callThrough(t *testing.T, getenv func(string) string, conf *confirmer, name string, args map[string]any, opts ...client.ClientOption) *mcp.CallToolResult {
	t.Helper()
	c := clientFor(t, getenv, conf, opts...)
	var req mcp.CallToolRequest
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := c.CallTool(context.Background(), req)
	require.NoError(t, err)
	return res
}

func TestConfirmerSignsAnAttestation(t *testing.T) {
	question := mcp.ElicitationRequest{Params: mcp.ElicitationParams{
		Mode:    mcp.ElicitationModeForm,
		Message: "Halo Security — Submit attestation\nTo sign, type your full name: Jane Doe.",
		RequestedSchema: map[string]any{
			"type":     "object",
			"required": []string{"confirm", "signature"},
		},
	}}
	tests := []struct {
		name      string
		conf      *confirmer
		want      mcp.ElicitationResponseAction
		signature string
		wantErr   string
	}{
		{"--yes signs with attest_person_name", &confirmer{yes: true, personName: "Jane Doe"}, mcp.ElicitationResponseActionAccept, "Jane Doe", ""},
		{"--yes without a name cannot sign", &confirmer{yes: true}, "", "", "no attest_person_name"},
		{"typed at the terminal", &confirmer{interactive: true, in: strings.NewReader("y\n  Jane Doe \n")}, mcp.ElicitationResponseActionAccept, "Jane Doe", ""},
		{"no name typed", &confirmer{interactive: true, in: strings.NewReader("y\n\n")}, mcp.ElicitationResponseActionDecline, "", ""},
		{"no terminal", &confirmer{in: strings.NewReader("y\nJane Doe\n")}, "", "stdin is not a terminal", "stdin is not a terminal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var shown bytes.Buffer
			tt.conf.out = &shown
			res, err := tt.conf.Elicit(context.Background(), question)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, res.Action)
			if tt.signature != "" {
				assert.Equal(t, map[string]any{"confirm": true, "signature": tt.signature}, res.Content)
			}
			assert.Contains(t, shown.String(), "type your full name: Jane Doe")
		})
	}
}

func TestConfirmerAnswersOnlyWhatItUnderstands(t *testing.T) {
	conf := &confirmer{yes: true, out: &bytes.Buffer{}}
	_, err := conf.Elicit(context.Background(), mcp.ElicitationRequest{Params: mcp.ElicitationParams{
		Mode: mcp.ElicitationModeForm, Message: "?", RequestedSchema: map[string]any{"required": []any{"confirm", "credit_card"}},
	}})
	assert.ErrorContains(t, err, `"credit_card"`)
	_, err = conf.Elicit(context.Background(), mcp.ElicitationRequest{Params: mcp.ElicitationParams{Mode: mcp.ElicitationModeURL, Message: "?"}})
	assert.ErrorContains(t, err, "form questions only")
}

func TestTerminalDetection(t *testing.T) {
	assert.False(t, isTerminalReader(strings.NewReader("y\n")))
	null, err := os.Open(os.DevNull)
	require.NoError(t, err)
	defer null.Close()
	assert.False(t, isTerminalReader(null), "/dev/null is a character device but nobody answers it")
	f, err := os.CreateTemp(t.TempDir(), "stdin")
	require.NoError(t, err)
	defer f.Close()
	assert.False(t, isTerminalReader(f))
}

// TestCallURLKeepsStateAcrossCalls calls a pci-mcp serving Streamable HTTP:
// each `call` is a new process, the server and its account live on.
func TestCallURLKeepsStateAcrossCalls(t *testing.T) {
	sim, getenv := qualysSim(t)
	cfg, err := serveCommand(nil, getenv, &bytes.Buffer{})
	require.NoError(t, err)
	a, err := newApp(cfg, &bytes.Buffer{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	srv := httptest.NewServer(server.NewStreamableHTTPServer(a.server))
	t.Cleanup(srv.Close)
	url := env("PCI_MCP_URL", srv.URL+"/mcp")

	code, _, stderr := runCall(t, url, "", "qualys_add_hosts", `{"hosts": ["2001:db8:99::1"]}`)
	require.Equal(t, exitOK, code, stderr)
	code, stdout, stderr := runCall(t, env(), "", "--url", srv.URL+"/mcp", "qualys_compliance_summary")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `"ip":"2001:db8:99::1","status":"Not Scanned"`)

	code, _, stderr = runCall(t, url, "", "qualys_remove_hosts", `{"hosts": ["2001:db8:99::1"]}`)
	assert.Equal(t, exitUsage, code, "a guarded call over --url is refused without a terminal")
	assert.Contains(t, stderr, "nothing was sent")
	code, stdout, stderr = runCall(t, url, "", "--yes", "qualys_remove_hosts", `{"hosts": ["2001:db8:99::1"]}`)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "1 IP removed successfully")
	assert.Equal(t, []string{"POST /pci/asset/add", "DELETE /pci/asset/delete"}, mutations(sim))

	code, _, stderr = runCall(t, url, "", "--sandbox", "qualys_list_scans")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--sandbox and --url do not go together")
}

func TestCallURLSendsTheAuthToken(t *testing.T) {
	_, getenv := qualysSim(t)
	cfg, err := serveCommand(nil, getenv, &bytes.Buffer{})
	require.NoError(t, err)
	a, err := newApp(cfg, &bytes.Buffer{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	mcpHandler := server.NewStreamableHTTPServer(a.server)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer team-token" {
			w.Header().Set("WWW-Authenticate", "Bearer")
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		mcpHandler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	code, stdout, stderr := runCall(t, env("PCI_MCP_URL", srv.URL+"/mcp", "PCI_MCP_AUTH_TOKEN", "team-token"), "", "qualys_list_scans")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "scanInfoList")

	code, stdout, stderr = runCall(t, env("PCI_MCP_URL", srv.URL+"/mcp"), "", "qualys_list_scans")
	assert.Equal(t, exitToolError, code, "the server could not be reached")
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "connecting to "+srv.URL+"/mcp")
}

func TestCallHelpListsEveryFlagWithItsVariable(t *testing.T) {
	code, stdout, _ := runCall(t, env(), "", "--help")
	assert.Equal(t, exitOK, code)
	for _, want := range []string{
		"pci-mcp call TOOL [ARGS] [flags]", "--json", "--yes", "your own confirmation", "--url string", "PCI_MCP_URL",
		"--sandbox", "PCI_MCP_SANDBOX", "--read-only", "PCI_MCP_READ_ONLY", "--log-level string", `(default "warn")`, "QUALYS_USERNAME",
	} {
		assert.Contains(t, stdout, want)
	}
}

func TestConfirmerStopsWaitingWhenCancelled(t *testing.T) {
	blocked, _ := io.Pipe() // nobody ever types
	conf := &confirmer{interactive: true, in: blocked, out: &bytes.Buffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := conf.Elicit(ctx, mcp.ElicitationRequest{Params: mcp.ElicitationParams{
		Mode: mcp.ElicitationModeForm, Message: "?", RequestedSchema: map[string]any{"required": []string{"confirm"}},
	}})
	assert.ErrorIs(t, err, context.Canceled)
	_ = blocked.Close()
}

// TestCallHelpNamesEveryDestructiveTool: the help of `pci-mcp call` and the
// README say which tools ask for confirmation (and so need --yes without a
// terminal); every destructive tool of the catalog must be among them.
func TestCallHelpNamesEveryDestructiveTool(t *testing.T) {
	code, stdout, stderr := runMain(t, env(), "call", "--help")
	require.Equal(t, exitOK, code, stderr)
	readme, err := os.ReadFile(readmePath)
	require.NoError(t, err)
	i := strings.Index(string(readme), "A destructive tool (")
	require.GreaterOrEqual(t, i, 0, "README.md: the sentence listing the destructive tools")
	readmeList, _, _ := strings.Cut(string(readme)[i:], ")")
	helpList, _, _ := strings.Cut(stdout[strings.Index(stdout, "Destructive tools ("):], ")")
	for _, tool := range tools.Catalog() {
		if !tool.Destructive() {
			continue
		}
		assert.Contains(t, helpList, tool.Name, "pci-mcp call --help")
		assert.Contains(t, readmeList, "`"+tool.Name+"`", "README.md")
	}
}
