package main

import (
	"context"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/tools/guard/approval"
)

// runWith runs the program with stdin and returns exit status, stdout and
// stderr.
func runWith(t *testing.T, getenv func(string) string, stdin io.Reader, args ...string) (int, string, string) {
	t.Helper()
	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	code := run(context.Background(), append([]string{"pci-mcp"}, args...), getenv, stdin, stdout, stderr)
	return code, stdout.String(), stderr.String()
}

func TestApproversAddListRemove(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cfg", "pci-mcp", "approvers.json")
	getenv := env("PCI_MCP_APPROVERS_FILE", path)

	code, out, errOut := runWith(t, getenv, strings.NewReader(""), "approvers", "add", "Dana Whitfield", "--title", "IT Director", "--no-verify")
	require.Equal(t, 0, code, errOut)
	uri := regexp.MustCompile(`otpauth://totp/\S+`).FindString(out)
	require.NotEmpty(t, uri, out)
	u, err := url.Parse(uri)
	require.NoError(t, err)
	assert.Equal(t, "pci-mcp", u.Query().Get("issuer"))
	assert.Equal(t, "/pci-mcp:Dana Whitfield", u.Path)
	assert.Contains(t, out, "█", "the QR code is drawn")
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	code, out, _ = runWith(t, getenv, strings.NewReader(""), "approvers", "list")
	require.Equal(t, 0, code)
	assert.Regexp(t, `Dana Whitfield\s+IT Director\s+totp\s+\d{4}-\d{2}-\d{2}`, out)
	assert.NotContains(t, out, u.Query().Get("secret"), "list never shows a secret")

	code, out, _ = runWith(t, getenv, strings.NewReader(""), "approvers", "add", "Dana Whitfield", "--passkey", "--url", "https://pci.example.com/")
	require.Equal(t, 0, code)
	assert.Regexp(t, `https://pci\.example\.com/approvals/enrol/[A-Za-z0-9_-]{43}\n`, out)

	code, out, _ = runWith(t, getenv, strings.NewReader(""), "approvers", "remove", "dana whitfield")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "Removed")
	code, _, errOut = runWith(t, getenv, strings.NewReader(""), "approvers", "remove", "Dana Whitfield")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "no approver is named")
}

// TestApproversAddVerifiesACode: the enrolment is saved only once a
// current code from the new key is typed back.
func TestApproversAddVerifiesACode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "approvers.json")
	getenv := env("PCI_MCP_APPROVERS_FILE", path)

	code, _, errOut := runWith(t, getenv, strings.NewReader("000000\n"), "approvers", "add", "Alice Example")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "that code does not match: nothing was saved")
	file, err := approval.OpenApprovers(path)
	require.NoError(t, err)
	list, err := file.List()
	require.NoError(t, err)
	assert.Empty(t, list)

	// The person reads the code off the new key, as an app would.
	stdinR, stdinW := io.Pipe()
	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	exit := make(chan int, 1)
	go func() {
		exit <- run(context.Background(), []string{"pci-mcp", "approvers", "add", "Alice Example"}, getenv, stdinR, stdout, stderr)
	}()
	var secret string
	require.Eventually(t, func() bool {
		m := regexp.MustCompile(`secret=([A-Z2-7]+)`).FindStringSubmatch(stdout.String())
		if m != nil {
			secret = m[1]
		}
		return m != nil
	}, 10*time.Second, 10*time.Millisecond)
	current, err := approval.CurrentTOTP(secret, time.Now())
	require.NoError(t, err)
	_, _ = io.WriteString(stdinW, current+"\n")
	require.Equal(t, 0, <-exit, stderr.String())
	assert.Contains(t, stdout.String(), "Enrolled Alice Example")
	ap, err := file.Find("Alice Example")
	require.NoError(t, err)
	require.NotNil(t, ap)
	assert.Equal(t, []string{"totp"}, ap.Factors())
}

// TestApprovalsApproveDenyOnTheTerminal drives a running server's API from
// the CLI: list, approve with name and code, deny.
func TestApprovalsApproveDenyOnTheTerminal(t *testing.T) {
	s := startApprovalServer(t)
	c := connectStreamable(t, s.url, markerAuthToken, "2025-11-25", nil)
	first := structuredOf(t, callTool(t, c, "qualys_remove_hosts", removeHosts))
	second := structuredOf(t, callTool(t, c, "qualys_remove_hosts", map[string]any{"hosts": []string{"192.0.2.9"}}))
	getenv := env("PCI_MCP_AUTH_TOKEN", markerAuthToken)

	code, out, errOut := runWith(t, getenv, strings.NewReader(""), "approvals", "--url", s.url)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, first["approval_id"].(string))
	assert.Contains(t, out, second["approval_id"].(string))

	code, _, errOut = runWith(t, env(), strings.NewReader(""), "approvals", "--url", s.url)
	assert.NotEqual(t, 0, code, "the API needs the bearer")
	assert.Contains(t, errOut, "PCI_MCP_AUTH_TOKEN")

	totp, err := approval.CurrentTOTP(s.secret, time.Now())
	require.NoError(t, err)
	code, out, errOut = runWith(t, getenv, strings.NewReader("Alice Example\n"+totp+"\n"), "approve", first["approval_id"].(string), "--url", s.url)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "203.0.113.5", "the preview is shown first")
	assert.Contains(t, out, "Approved by Alice Example.")

	code, _, errOut = runWith(t, getenv, strings.NewReader("Alice Example\n123456\n"), "deny", second["approval_id"].(string), "--url", s.url)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "wrong approver name or code")

	done := callTool(t, c, "qualys_remove_hosts", withApprovalID(removeHosts, first["approval_id"].(string)))
	require.False(t, done.IsError, resultText(done))
	assert.Equal(t, 1, s.fake.count("DELETE /pci/asset/delete"))
	pending := callTool(t, c, "qualys_remove_hosts", withApprovalID(map[string]any{"hosts": []string{"192.0.2.9"}}, second["approval_id"].(string)))
	assert.Equal(t, "approval_pending", structuredOf(t, pending)["status"])
	assert.Equal(t, 1, s.fake.count("DELETE /pci/asset/delete"))
}

// --subject records the approver's identity-provider subject, for four eyes.
func TestApproversAddSubject(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cfg", "pci-mcp", "approvers.json")
	getenv := env("PCI_MCP_APPROVERS_FILE", path)
	code, _, errOut := runWith(t, getenv, strings.NewReader(""), "approvers", "add", "Dana Whitfield", "--subject", "00u-dana", "--no-verify")
	require.Equal(t, 0, code, errOut)
	file, err := approval.OpenApprovers(path)
	require.NoError(t, err)
	ap, err := file.Find("Dana Whitfield")
	require.NoError(t, err)
	require.NotNil(t, ap)
	assert.Equal(t, "00u-dana", ap.Subject)
	assert.NotEmpty(t, ap.TOTPSecret)
}
