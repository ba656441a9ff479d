package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/tools"
)

const markerPassword = "marker-password-for-cmd-tests"

// env builds a getenv from pairs.
func env(pairs ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return func(k string) string { return m[k] }
}

// serveCommand parses args as pci-mcp's serving command line does, with
// the environment getenv, and returns the configuration it would serve.
func serveCommand(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	c := &cli{getenv: getenv, stdin: strings.NewReader(""), stdout: io.Discard, stderr: stderr, program: "pci-mcp", cfg: &config{}}
	root := c.newRootCommand()
	if err := root.ParseFlags(args); err != nil {
		return nil, usageError("%v", err)
	}
	if err := noArgs(root, root.Flags().Args()); err != nil {
		return nil, err
	}
	return c.config(root)
}

func runMain(t *testing.T, getenv func(string) string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"pci-mcp"}, args...), getenv, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestNoProviderExitsTwoNamingTheVariables(t *testing.T) {
	code, stdout, stderr := runMain(t, env())
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout, "stdout is the protocol channel")
	assert.Contains(t, stderr, "QUALYS_USERNAME")
	assert.Contains(t, stderr, "QUALYS_PASSWORD")
}

func TestUsageErrors(t *testing.T) {
	creds := []string{"QUALYS_USERNAME", "u", "QUALYS_PASSWORD", markerPassword}
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"bad transport", creds, []string{"--transport", "carrier-pigeon"}, "stdio, sse or http"},
		{"bad env value", append(creds, "PCI_MCP_READ_ONLY", "maybe"), nil, "PCI_MCP_READ_ONLY"},
		{"unknown flag", creds, []string{"--frobnicate"}, "frobnicate"},
		{"unknown tool", creds, []string{"--tools", "qualys_delete_everything"}, "valid tools: qualys_add_hosts"},
		{"unknown toolset", creds, []string{"--toolsets", "nessus"}, "valid toolsets: qualys, halo"},
		{"half credentials", []string{"QUALYS_USERNAME", "u"}, nil, "QUALYS_PASSWORD"},
		{"stray argument", creds, []string{"serve-please"}, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runMain(t, env(tt.env...), tt.args...)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Contains(t, stderr, tt.want)
			assert.NotContains(t, stderr, markerPassword)
		})
	}
}

func TestHelpListsEveryFlagWithItsVariable(t *testing.T) {
	code, stdout, _ := runMain(t, env(), "--help")
	assert.Equal(t, exitOK, code)
	for _, want := range []string{"--transport", "PCI_MCP_TRANSPORT", "--log-level", "PCI_MCP_LOG_LEVEL", "--read-only", "PCI_MCP_READ_ONLY", "QUALYS_PCI_URL"} {
		assert.Contains(t, stdout, want)
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := runMain(t, env(), "version")
	assert.Equal(t, exitOK, code)
	assert.True(t, strings.HasPrefix(stdout, "pci-mcp "), stdout)
}

// buildBinary compiles pci-mcp once for the tests that run it as a real
// subprocess.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "pci-mcp-test")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "pci-mcp")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", &buildError{out: string(out), err: err}
	}
	return bin, nil
})

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// TestStdioAgainstBuiltBinary speaks MCP over stdio to the real binary with
// mcp-go's client: initialize, tools/list, and a call that reaches a local
// fake Qualys. Logs must go to stderr only and hold no credential.
func TestStdioAgainstBuiltBinary(t *testing.T) {
	bin, err := buildBinary()
	require.NoError(t, err)

	var mu sync.Mutex
	var seen []string
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			_, _ = io.WriteString(w, `{"responseApiVersion":"V1","data":"1 IP added successfully"}`)
			return
		}
		_, _ = io.WriteString(w, `{"responseApiVersion":"V1","data":{"totalCount":0,"fetchRange":"0-0","scanInfoList":[]}}`)
	}))
	defer fake.Close()

	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
	c, err := client.NewStdioMCPClient(bin, []string{
		"QUALYS_USERNAME=merchant", "QUALYS_PASSWORD=" + markerPassword, "QUALYS_PCI_URL=" + fake.URL,
		"PCI_MCP_AUDIT_LOG=" + auditPath,
		"PCI_MCP_LOG_LEVEL=debug", "PCI_MCP_LOG_FORMAT=json",
	})
	require.NoError(t, err)
	stderrBuf := &lockedBuffer{}
	stderrDone := make(chan struct{})
	s, ok := client.GetStderr(c)
	require.True(t, ok)
	go func() {
		defer close(stderrDone)
		_, _ = io.Copy(stderrBuf, s)
	}()
	defer c.Close()

	ctx := context.Background()
	var init mcp.InitializeRequest
	init.Params.ClientInfo = mcp.Implementation{Name: "stdio-test", Version: "1"}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	initRes, err := c.Initialize(ctx, init)
	require.NoError(t, err)
	assert.Equal(t, "pci-mcp", initRes.ServerInfo.Name)
	assert.Contains(t, initRes.Instructions, "qualys_launch_scan")

	listed, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	require.NoError(t, err)
	var names []string
	for _, tool := range listed.Tools {
		names = append(names, tool.Name)
	}
	var qualysTools []string
	for _, tool := range tools.Catalog() {
		if tool.Toolset == tools.ToolsetQualys {
			qualysTools = append(qualysTools, tool.Name)
		}
	}
	assert.Contains(t, qualysTools, "qualys_launch_scan")
	assert.ElementsMatch(t, qualysTools, names, "with only Qualys configured, every Qualys tool and no other")

	var call mcp.CallToolRequest
	call.Params.Name = "qualys_list_scans"
	call.Params.Arguments = map[string]any{"limit": 5}
	res, err := c.CallTool(ctx, call)
	require.NoError(t, err)
	require.False(t, res.IsError)
	text := res.Content[0].(mcp.TextContent).Text
	var out map[string]any
	require.NoError(t, json.Unmarshal([]byte(text), &out))
	assert.Contains(t, out, "scanInfoList")
	call.Params.Name = "qualys_add_hosts"
	call.Params.Arguments = map[string]any{"hosts": []string{"2001:db8::10"}}
	res, err = c.CallTool(ctx, call)
	require.NoError(t, err)
	require.False(t, res.IsError, res.Content)

	mu.Lock()
	assert.Equal(t, []string{"GET /pci/scan/list", "POST /pci/asset/add"}, seen)
	mu.Unlock()

	info, err := os.Stat(auditPath)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the audit log is readable by its owner only")
	audit, err := os.ReadFile(auditPath)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(audit)), "\n")
	require.Len(t, lines, 1, "one line per mutating call; reads are not audited")
	var entry map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &entry))
	assert.Equal(t, "qualys_add_hosts", entry["tool"])
	assert.Equal(t, "default", entry["account"], "the account the single-account variables make")
	assert.Equal(t, "merchant", entry["user"])
	assert.Equal(t, "done", entry["outcome"])
	assert.NotContains(t, string(audit), markerPassword)

	require.NoError(t, c.Close())
	<-stderrDone
	logs := stderrBuf.String()
	assert.Contains(t, logs, `"msg":"pci-mcp ready"`)
	assert.NotContains(t, logs, markerPassword)
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
