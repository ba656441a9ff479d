package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/tools/guard/approval"
)

// The approval page in a real browser: headless Chromium (Debian's
// chromium, which .ci/run installs when missing), driven over the DevTools
// protocol by chromedp. Without a Chromium these tests fail: the page is
// part of the product, and a skipped browser test proves nothing.

// envScreenshot, when set, is where TestApprovalPageInABrowser saves its
// screenshot of the page (the README's docs/approval.png).
const envScreenshot = "PCI_MCP_SCREENSHOT"

// newBrowser starts a fresh headless Chromium for the test.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Fatal("the approval page's browser tests need headless Chromium: install Debian's chromium (.ci/run does)")
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1000, 1300),
	)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank")), "starting Chromium")
	return ctx
}

// approvalServer is pci-mcp over Streamable HTTP with --confirm approval,
// Alice enrolled with an authenticator, and an MCP client connected.
type approvalServer struct {
	*testServer
	fake      *fakeQualys
	approvers string
	secret    string
}

func startApprovalServer(t *testing.T) *approvalServer {
	t.Helper()
	fake := newFakeQualys(t)
	path, secret := enrolApprover(t, "Alice Example")
	s := startServer(t, serverEnv(fake, "PCI_MCP_APPROVERS_FILE", path), "--transport", "http", "--confirm", "approval")
	return &approvalServer{testServer: s, fake: fake, approvers: path, secret: secret}
}

// sixHosts are removed in the browser tests: enough for the page to show
// a list.
var sixHosts = map[string]any{"hosts": []string{"203.0.113.5", "203.0.113.6", "198.51.100.0/30", "2001:db8::5", "2001:db8::6", "192.0.2.44"}}

func TestApprovalPageInABrowser(t *testing.T) {
	s := startApprovalServer(t)
	c := connectStreamable(t, s.url, markerAuthToken, "2025-11-25", nil)
	first := callTool(t, c, "qualys_remove_hosts", sixHosts)
	require.False(t, first.IsError, resultText(first))
	out := structuredOf(t, first)
	link := out["approval_url"].(string)
	require.Equal(t, 0, s.fake.count("DELETE /pci/asset/delete"))

	ctx := newBrowser(t)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("items"))))
	items := text(t, ctx, "items")
	state := text(t, ctx, "state")
	hosts := out["preview"].(map[string]any)["items"].([]any)
	require.Len(t, hosts, 6)
	for _, h := range hosts {
		assert.Contains(t, items, h.(string), "the page shows every host")
	}
	assert.Equal(t, "pending", strings.TrimSpace(state))

	code, err := approval.CurrentTOTP(s.secret, time.Now())
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("approver"), "Alice Example"),
		chromedp.SendKeys(chromedp.ID("code"), code),
	))
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	if path := os.Getenv(envScreenshot); path != "" {
		require.NoError(t, os.WriteFile(path, shot, 0o644))
	}

	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("approve")), chromedp.WaitVisible(chromedp.ID("message"))))
	message := text(t, ctx, "message")
	state = text(t, ctx, "state")
	assert.Contains(t, message, "Approved by Alice Example")
	assert.Contains(t, state, "approved · by Alice Example (totp)")

	done := callTool(t, c, "qualys_remove_hosts", withApprovalID(sixHosts, out["approval_id"].(string)))
	require.False(t, done.IsError, resultText(done))
	assert.Equal(t, "Alice Example", structuredOf(t, done)["approver"])
	assert.Equal(t, 1, s.fake.count("DELETE /pci/asset/delete"), "the second call executes, once")
}

// TestPasskeyInABrowser enrols a passkey on Chromium's virtual
// authenticator (user verification on) and approves with it.
func TestPasskeyInABrowser(t *testing.T) {
	s := startApprovalServer(t)
	file, err := approval.OpenApprovers(s.approvers)
	require.NoError(t, err)
	token, err := file.AddEnrolment("Alice Example", "", time.Now())
	require.NoError(t, err)
	base := strings.Replace(s.url, "127.0.0.1", "localhost", 1)

	ctx := newBrowser(t)
	require.NoError(t, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		if _, err := cdp.Call(ctx, target, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, target, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		}})
		return err
	})))

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/approvals/enrol/"+token),
		chromedp.Click(chromedp.ID("enrol")),
		chromedp.WaitVisible(chromedp.ID("message")),
	))
	enrolled := text(t, ctx, "message")
	require.Contains(t, enrolled, "Passkey enrolled for Alice Example")
	alice, err := file.Find("alice example")
	require.NoError(t, err)
	require.Len(t, alice.Passkeys, 1)
	assert.True(t, alice.Passkeys[0].Flags.UserVerified, "user verification was required")

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+"/approvals/enrol/"+token)))
	again := text(t, ctx, "problem")
	assert.Contains(t, again, "unknown, used or expired", "the enrolment link works once")

	c := connectStreamable(t, s.url, markerAuthToken, "2025-11-25", nil)
	first := callTool(t, c, "qualys_remove_hosts", sixHosts)
	out := structuredOf(t, first)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(out["approval_url"].(string)),
		chromedp.SendKeys(chromedp.ID("approver"), "Alice Example"),
		chromedp.Click(chromedp.ID("passkey-approve")),
		chromedp.WaitVisible(chromedp.CSS(".state-approved")),
	))
	state := text(t, ctx, "state")
	assert.Contains(t, state, "approved · by Alice Example (passkey)")

	req, _ := http.NewRequest(http.MethodGet, s.url+"/approvals/api/"+out["approval_id"].(string), nil)
	req.Header.Set("Authorization", "Bearer "+markerAuthToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var view approval.APIApproval
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&view))
	resp.Body.Close()
	assert.Equal(t, "passkey", view.Factor)

	done := callTool(t, c, "qualys_remove_hosts", withApprovalID(sixHosts, out["approval_id"].(string)))
	require.False(t, done.IsError, resultText(done))
	assert.Equal(t, 1, s.fake.count("DELETE /pci/asset/delete"))
	data, err := os.ReadFile(filepath.Clean(s.approvers))
	require.NoError(t, err)
	assert.NotContains(t, s.stderr.String(), string(alice.Passkeys[0].PublicKey), "no key material in the log")
	assert.NotEmpty(t, data)
}

// text is the text of the element with id.
func text(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
	require.NoError(t, err, "reading #%s", id)
	return s
}
