package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/tools/guard/approval"
	"github.com/pci-mcp/pci-mcp/tools/guard/redisstore/redistest"
)

// enrolApprover writes an approvers file with one TOTP approver and
// returns its path and the approver's secret.
func enrolApprover(t *testing.T, name string) (path, secret string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "pci-mcp", "approvers.json")
	file, err := approval.OpenApprovers(path)
	require.NoError(t, err)
	secret, _, err = approval.NewTOTPKey(name)
	require.NoError(t, err)
	require.NoError(t, file.SetTOTP(name, "Security lead", secret, time.Now()))
	return path, secret
}

// approveByAPI approves as a chat-ops bot would: the JSON API beside the
// page, with the bearer and the approver's current code.
func approveByAPI(t *testing.T, link, token, name, secret string) int {
	t.Helper()
	code, err := approval.CurrentTOTP(secret, time.Now())
	require.NoError(t, err)
	base, id, ok := strings.Cut(link, "/approvals/")
	require.True(t, ok, link)
	body, _ := json.Marshal(approval.DecisionRequest{Approver: name, Code: code})
	req, err := http.NewRequest(http.MethodPost, base+"/approvals/api/"+id+"/approve", strings.NewReader(string(body)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func withApprovalID(args map[string]any, id string) map[string]any {
	return withArgument(args, "approval_id", id)
}

// TestApprovalOnEveryHTTPTransport: with --confirm approval the page and
// its API share the MCP listener; nothing reaches Qualys until a person
// approved, then exactly one DELETE.
func TestApprovalOnEveryHTTPTransport(t *testing.T) {
	for _, kind := range clientKinds {
		t.Run(kind.name, func(t *testing.T) {
			fake := newFakeQualys(t)
			path, secret := enrolApprover(t, "Alice Example")
			s := startServer(t, serverEnv(fake, "PCI_MCP_APPROVERS_FILE", path), "--transport", kind.transport, "--confirm", "approval")
			c := kind.connect(t, s.url, markerAuthToken)

			first := callTool(t, c, "qualys_remove_hosts", removeHosts)
			require.False(t, first.IsError, resultText(first))
			out := structuredOf(t, first)
			require.Equal(t, "approval_required", out["status"])
			link := out["approval_url"].(string)
			port := strings.TrimPrefix(s.url, "http://127.0.0.1")
			assert.True(t, strings.HasPrefix(link, "http://localhost"+port+"/approvals/apr_"), link)
			assert.Equal(t, 0, fake.count("DELETE /pci/asset/delete"), "nothing before approval")

			page, err := http.Get(link)
			require.NoError(t, err)
			html, _ := io.ReadAll(page.Body)
			page.Body.Close()
			assert.Equal(t, 200, page.StatusCode, "the page needs no bearer: a person opens it")
			assert.Contains(t, string(html), "2001:db8::5")

			assert.Equal(t, 401, approveByAPI(t, link, "", "Alice Example", secret), "the API needs the bearer")
			require.Equal(t, 200, approveByAPI(t, link, markerAuthToken, "Alice Example", secret))
			done := callTool(t, c, "qualys_remove_hosts", withApprovalID(removeHosts, out["approval_id"].(string)))
			require.False(t, done.IsError, resultText(done))
			assert.Equal(t, "Alice Example", structuredOf(t, done)["approver"])
			assert.Equal(t, 1, fake.count("DELETE /pci/asset/delete"))
			assert.NotContains(t, s.stderr.String(), secret, "the approver's secret is in no log")
		})
	}
}

// TestApprovalPageOfStdio: with stdio the page gets its own loopback
// listener, printed in the log.
func TestApprovalPageOfStdio(t *testing.T) {
	fake := newFakeQualys(t)
	path, secret := enrolApprover(t, "Alice Example")
	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	stderr := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"pci-mcp", "--confirm", "approval"}, serverEnv(fake, "PCI_MCP_APPROVERS_FILE", path), stdinR, stdoutW, stderr)
		stdoutW.Close()
	}()
	t.Cleanup(func() { stdinW.Close(); cancel(); <-exit })

	c := client.NewClient(transport.NewIO(stdoutR, stdinW, io.NopCloser(strings.NewReader(""))))
	initialize(t, c, mcp.LATEST_LEGACY_PROTOCOL_VERSION)
	first := callTool(t, c, "qualys_remove_hosts", removeHosts)
	out := structuredOf(t, first)
	link := out["approval_url"].(string)
	logged := regexp.MustCompile(`approval page.*url=(http://localhost:\d+/approvals/)`).FindStringSubmatch(stderr.String())
	require.Len(t, logged, 2, stderr.String())
	assert.True(t, strings.HasPrefix(link, logged[1]), "links use the logged listener")
	require.Equal(t, 200, approveByAPI(t, link, markerAuthToken, "Alice Example", secret))
	done := callTool(t, c, "qualys_remove_hosts", withApprovalID(removeHosts, out["approval_id"].(string)))
	require.False(t, done.IsError, resultText(done))
	assert.Equal(t, 1, fake.count("DELETE /pci/asset/delete"))
}

func TestApprovalStartupRefusals(t *testing.T) {
	fake := newFakeQualys(t)
	enrolled, _ := enrolApprover(t, "Alice Example")
	groupReadable, _ := enrolApprover(t, "Alice Example")
	require.NoError(t, os.Chmod(groupReadable, 0o640))
	symlink := filepath.Join(t.TempDir(), "approvers.json")
	require.NoError(t, os.Symlink(enrolled, symlink))
	empty := filepath.Join(t.TempDir(), "none.json")
	tests := []struct {
		name, file string
		args       []string
		want       string
	}{
		{"no approver", empty, []string{"--confirm", "approval"}, "no approver is enrolled"},
		{"attestations only, no approver", empty, []string{"--confirm-attest", "approval"}, "no approver is enrolled"},
		{"group-readable file", groupReadable, []string{"--confirm", "approval"}, "readable or writable by group or others"},
		{"symlink", symlink, []string{"--confirm", "approval"}, "is a symlink"},
		{"unknown policy", enrolled, []string{"--confirm", "maybe"}, "--confirm: \"maybe\" is not a confirmation policy"},
		{"unknown attest policy", enrolled, []string{"--confirm-attest", "yes"}, "--confirm-attest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runMain(t, serverEnv(fake, "PCI_MCP_APPROVERS_FILE", tt.file), tt.args...)
			assert.Equal(t, 2, code, stderr)
			assert.Contains(t, stderr, tt.want)
		})
	}
}

// TestApprovalAcrossReplicas: two replicas share a real Redis
// (PCI_MCP_STORE_URL): an approval requested on A is approved on B's API
// and executes on A, once; B cannot spend it again.
func TestApprovalAcrossReplicas(t *testing.T) {
	redis := redistest.Start(t)
	fake := newFakeQualys(t)
	path, secret := enrolApprover(t, "Alice Example")
	getenv := serverEnv(fake, "PCI_MCP_APPROVERS_FILE", path, "PCI_MCP_STORE_URL", redis.URL(0))
	a := startServer(t, getenv, "--transport", "http", "--confirm", "approval")
	b := startServer(t, getenv, "--transport", "http", "--confirm", "approval")
	ca := connectStreamable(t, a.url, markerAuthToken, mcp.LATEST_PROTOCOL_VERSION, nil)
	cb := connectStreamable(t, b.url, markerAuthToken, mcp.LATEST_PROTOCOL_VERSION, nil)

	first := structuredOf(t, callTool(t, ca, "qualys_remove_hosts", removeHosts))
	id := first["approval_id"].(string)
	onB := strings.Replace(first["approval_url"].(string), strings.TrimPrefix(a.url, "http://127.0.0.1"), strings.TrimPrefix(b.url, "http://127.0.0.1"), 1)
	require.NotEqual(t, first["approval_url"], onB)
	require.Equal(t, 200, approveByAPI(t, onB, markerAuthToken, "Alice Example", secret), "approved on the other replica")

	done := callTool(t, ca, "qualys_remove_hosts", withApprovalID(removeHosts, id))
	require.False(t, done.IsError, resultText(done))
	assert.Equal(t, "Alice Example", structuredOf(t, done)["approver"])
	replay := callTool(t, cb, "qualys_remove_hosts", withApprovalID(removeHosts, id))
	assert.True(t, replay.IsError)
	assert.Contains(t, resultText(replay), "already used")
	assert.Equal(t, 1, fake.count("DELETE /pci/asset/delete"), "exactly once across both replicas")
}

// TestStartsWithoutAHomeDirectory: clients launch servers with a bare
// environment; without HOME the approvers file has no default path, which
// matters only when a policy asks for approval.
func TestStartsWithoutAHomeDirectory(t *testing.T) {
	t.Setenv("HOME", "")
	fake := newFakeQualys(t)
	code, _, stderr := runMain(t, serverEnv(fake))
	assert.Equal(t, 0, code, stderr)

	code, _, stderr = runMain(t, serverEnv(fake), "--confirm", "approval")
	assert.Equal(t, 2, code, stderr)
	assert.Contains(t, stderr, "PCI_MCP_APPROVERS_FILE is not set and there is no home directory")
}
