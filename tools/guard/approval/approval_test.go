package approval

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/tools/guard"
)

// clock is a hand-moved clock shared by the service and the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a service with two approvers (Alice by TOTP, Bob by TOTP),
// its page and API on a test server, and its audit events.
type fixture struct {
	svc    *Service
	srv    *httptest.Server
	clock  *clock
	secret map[string]string
	mu     sync.Mutex
	events []Event
}

func newFixture(t *testing.T, opts ...func(*Options)) *fixture {
	t.Helper()
	f := &fixture{clock: &clock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}, secret: map[string]string{}}
	approvers, err := OpenApprovers(filepath.Join(t.TempDir(), "pci-mcp", "approvers.json"))
	require.NoError(t, err)
	for _, name := range []string{"Alice Example", "Bob Example"} {
		secret, _, err := NewTOTPKey(name)
		require.NoError(t, err)
		require.NoError(t, approvers.SetTOTP(name, "Security lead", secret, f.clock.now()))
		f.secret[name] = secret
	}
	o := Options{
		Store: guard.NewMemoryStore(f.clock.now), Approvers: approvers, TTL: 5 * time.Minute, Now: f.clock.now,
		Events: func(e Event) { f.mu.Lock(); f.events = append(f.events, e); f.mu.Unlock() },
	}
	for _, opt := range opts {
		opt(&o)
	}
	f.svc, err = New(o)
	require.NoError(t, err)
	f.srv = httptest.NewServer(f.svc.Handler())
	t.Cleanup(f.srv.Close)
	require.NoError(t, f.svc.SetBaseURL(f.srv.URL))
	return f
}

func (f *fixture) code(t *testing.T, name string) string {
	t.Helper()
	c, err := CurrentTOTP(f.secret[name], f.clock.now())
	require.NoError(t, err)
	return c
}

func (f *fixture) request(t *testing.T, signer string) Approval {
	t.Helper()
	preview := `{"provider":"Qualys PCI","account":"merchant-1","action":"remove 2 hosts from PCI scope","items":["203.0.113.5","<b>2001:db8::5</b>"],"notice":"They will no longer be scanned."}`
	a, err := f.svc.Request(context.Background(), Request{Tool: "qualys_remove_hosts", Provider: "Qualys PCI", Account: "merchant-1",
		Digest: "d1", Preview: json.RawMessage(preview), PreviewText: "Remove 2 hosts", Signer: signer})
	require.NoError(t, err)
	return a
}

// api posts a decision to the JSON API and returns the status and body.
func (f *fixture) api(t *testing.T, id, verb, body string, header ...string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.srv.URL+"/approvals/api/"+id+"/"+verb, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func decision(name, code string) string {
	b, _ := json.Marshal(DecisionRequest{Approver: name, Code: code})
	return string(b)
}

func (f *fixture) eventKinds() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, e := range f.events {
		out = append(out, e.Kind)
	}
	return out
}

func TestIDsAreURLSafeAndLong(t *testing.T) {
	f := newFixture(t)
	seen := map[string]bool{}
	for range 50 {
		a := f.request(t, "")
		require.Regexp(t, `^apr_[A-Za-z0-9_-]{22}$`, a.ID) // 128 random bits
		require.False(t, seen[a.ID])
		seen[a.ID] = true
	}
}

func TestApproveByAPIThenRedeemOnce(t *testing.T) {
	f := newFixture(t)
	a := f.request(t, "")
	ctx := context.Background()

	_, err := f.svc.Redeem(ctx, a.ID, a.Tool, a.Digest)
	require.ErrorIs(t, err, ErrPending)

	status, body := f.api(t, a.ID, "approve", decision("  alice EXAMPLE ", f.code(t, "Alice Example")))
	require.Equal(t, 200, status, body)
	assert.Equal(t, "approved", body["status"])

	_, err = f.svc.Redeem(ctx, a.ID, a.Tool, "other-digest")
	require.ErrorIs(t, err, ErrOther)
	got, err := f.svc.Redeem(ctx, a.ID, a.Tool, a.Digest)
	require.NoError(t, err)
	assert.Equal(t, "Alice Example", got.Approver)
	assert.Equal(t, FactorTOTP, got.Factor)
	_, err = f.svc.Redeem(ctx, a.ID, a.Tool, a.Digest)
	require.ErrorIs(t, err, ErrUsed)
	assert.Equal(t, []string{EventRequested, EventApproved}, f.eventKinds())
}

func TestDecisionRefusals(t *testing.T) {
	tests := []struct {
		name       string
		signer     string
		approver   string
		code       func(f *fixture, t *testing.T) string
		wantStatus int
		wantError  string
	}{
		{"wrong code", "", "Alice Example", func(*fixture, *testing.T) string { return "000000" }, 403, "wrong approver name or code"},
		{"unknown approver", "", "Mallory", func(f *fixture, t *testing.T) string { return f.code(t, "Alice Example") }, 403, "wrong approver name or code"},
		{"another approver's code", "", "Bob Example", func(f *fixture, t *testing.T) string { return f.code(t, "Alice Example") }, 403, "wrong approver name or code"},
		{"no name", "", "", func(*fixture, *testing.T) string { return "123456" }, 400, "approver"},
		{"not the signer", "Alice Example", "Bob Example", func(f *fixture, t *testing.T) string { return f.code(t, "Bob Example") }, 403, "signed by Alice Example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			a := f.request(t, tt.signer)
			status, body := f.api(t, a.ID, "approve", decision(tt.approver, tt.code(f, t)))
			assert.Equal(t, tt.wantStatus, status)
			assert.Contains(t, body["error"], tt.wantError)
			_, err := f.svc.Redeem(context.Background(), a.ID, a.Tool, a.Digest)
			require.ErrorIs(t, err, ErrPending, "a refused decision leaves the approval pending")
		})
	}
}

func TestUnknownIDIs404(t *testing.T) {
	f := newFixture(t)
	for _, id := range []string{"apr_AAAAAAAAAAAAAAAAAAAAAA", "nope", "apr_../../etc"} {
		status, body := f.api(t, url.PathEscape(id), "approve", decision("Alice Example", f.code(t, "Alice Example")))
		assert.Equal(t, 404, status, id)
		assert.Equal(t, "unknown approval id", body["error"])
	}
}

func TestCodeIsAcceptedOnce(t *testing.T) {
	f := newFixture(t)
	first, second := f.request(t, ""), f.request(t, "")
	code := f.code(t, "Alice Example")
	status, _ := f.api(t, first.ID, "approve", decision("Alice Example", code))
	require.Equal(t, 200, status)
	status, body := f.api(t, second.ID, "approve", decision("Alice Example", code))
	assert.Equal(t, 403, status)
	assert.Contains(t, body["error"], "already used")
	f.clock.add(30 * time.Second)
	status, _ = f.api(t, second.ID, "approve", decision("Alice Example", f.code(t, "Alice Example")))
	assert.Equal(t, 200, status, "the next code works")
}

func TestFiveWrongCodesDenyAndLock(t *testing.T) {
	f := newFixture(t)
	a := f.request(t, "")
	for i := 1; i <= 5; i++ {
		status, body := f.api(t, a.ID, "approve", decision("Alice Example", "111111"))
		require.Equal(t, 403, status, "attempt %d: %v", i, body)
	}
	status, body := f.api(t, a.ID, "approve", decision("Alice Example", f.code(t, "Alice Example")))
	assert.Equal(t, 409, status, "a locked approval takes no more decisions")
	assert.Contains(t, body["error"], "denied")
	got, err := f.svc.Redeem(context.Background(), a.ID, a.Tool, a.Digest)
	require.ErrorIs(t, err, ErrDenied)
	assert.Contains(t, got.Reason, "locked after 5 wrong codes")
}

func TestWrongCodesAreRateLimitedPerApprover(t *testing.T) {
	f := newFixture(t)
	var last int
	for range attemptsPerWindow + 1 {
		a := f.request(t, "") // new approvals, so the lockout is not what stops it
		last, _ = f.api(t, a.ID, "approve", decision("Alice Example", "222222"))
	}
	assert.Equal(t, 429, last)
	a := f.request(t, "")
	status, _ := f.api(t, a.ID, "approve", decision("Alice Example", f.code(t, "Alice Example")))
	assert.Equal(t, 429, status, "even a right code waits out the window")
	status, _ = f.api(t, a.ID, "approve", decision("Bob Example", f.code(t, "Bob Example")))
	assert.Equal(t, 200, status, "another approver is not limited")
}

func TestDenyThenExpiry(t *testing.T) {
	f := newFixture(t)
	denied, expiring := f.request(t, ""), f.request(t, "")
	status, body := f.api(t, denied.ID, "deny", decision("Bob Example", f.code(t, "Bob Example")))
	require.Equal(t, 200, status, body)
	assert.Equal(t, "denied", body["status"])
	_, err := f.svc.Redeem(context.Background(), denied.ID, denied.Tool, denied.Digest)
	require.ErrorIs(t, err, ErrDenied)

	f.clock.add(5 * time.Minute)
	_, err = f.svc.Redeem(context.Background(), expiring.ID, expiring.Tool, expiring.Digest)
	require.ErrorIs(t, err, ErrExpired)
	status, _ = f.api(t, expiring.ID, "approve", decision("Alice Example", f.code(t, "Alice Example")))
	assert.Equal(t, 409, status)
	assert.Equal(t, []string{EventRequested, EventRequested, EventDenied, EventExpired}, f.eventKinds())
}

func TestApprovedButExpiredDoesNotRedeem(t *testing.T) {
	f := newFixture(t)
	a := f.request(t, "")
	status, _ := f.api(t, a.ID, "approve", decision("Alice Example", f.code(t, "Alice Example")))
	require.Equal(t, 200, status)
	f.clock.add(5*time.Minute + time.Second)
	_, err := f.svc.Redeem(context.Background(), a.ID, a.Tool, a.Digest)
	require.ErrorIs(t, err, ErrExpired)
}

func TestPendingListAndBearer(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.AuthToken = "bearer-token-for-the-approval-api-0123456789" })
	a := f.request(t, "")
	get := func(token string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/approvals/api/pending", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	status, _ := get("")
	assert.Equal(t, 401, status)
	status, _ = get("wrong")
	assert.Equal(t, 401, status)
	status, body := get("bearer-token-for-the-approval-api-0123456789")
	require.Equal(t, 200, status)
	pending := body["pending"].([]any)
	require.Len(t, pending, 1)
	assert.Equal(t, a.ID, pending[0].(map[string]any)["approval_id"])
	assert.Equal(t, f.srv.URL+"/approvals/"+a.ID, pending[0].(map[string]any)["approval_url"])

	status, _ = f.api(t, a.ID, "approve", decision("Alice Example", f.code(t, "Alice Example")))
	assert.Equal(t, 401, status, "deciding needs the bearer too")
	status, _ = f.api(t, a.ID, "approve", decision("Alice Example", f.code(t, "Alice Example")), "Authorization", "Bearer bearer-token-for-the-approval-api-0123456789")
	assert.Equal(t, 200, status)
	_, body = get("bearer-token-for-the-approval-api-0123456789")
	assert.Empty(t, body["pending"])

	f.request(t, "")
	f.clock.add(5 * time.Minute)
	_, body = get("bearer-token-for-the-approval-api-0123456789")
	assert.Empty(t, body["pending"], "an expired approval is not pending")
	// Both expire: the new one, and the first, approved but never used.
	assert.Equal(t, []string{EventRequested, EventApproved, EventRequested, EventExpired, EventExpired}, f.eventKinds(), "listing records the expiry")
}

func TestPageHeadersEscapingAndForm(t *testing.T) {
	f := newFixture(t)
	a := f.request(t, "")
	resp, err := http.Get(f.srv.URL + "/approvals/" + a.ID)
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'self'")
	assert.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"))
	assert.Equal(t, "no-referrer", resp.Header.Get("Referrer-Policy"))
	html := string(page)
	assert.Contains(t, html, "203.0.113.5")
	assert.Contains(t, html, "&lt;b&gt;2001:db8::5&lt;/b&gt;", "preview text is escaped")
	assert.NotContains(t, html, "<b>2001")
	assert.NotContains(t, html, "<script>", "no inline script")
	assert.NotContains(t, html, "style=", "no inline style")
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(html)
	require.Len(t, csrf, 2)

	post := func(origin, token string, header ...string) int {
		form := url.Values{"csrf": {token}, "approver": {"Alice Example"}, "code": {f.code(t, "Alice Example")}, "action": {"approve"}}
		req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/approvals/"+a.ID+"/decide", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, 403, post("https://evil.example", csrf[1]), "another origin")
	assert.Equal(t, 403, post("", csrf[1]), "no origin at all")
	assert.Equal(t, 403, post(f.srv.URL, "forged"), "a forged token")
	assert.Equal(t, 403, post("null", csrf[1], "Sec-Fetch-Site", "cross-site"), "an opaque origin from another site")
	assert.Equal(t, 403, post("null", csrf[1]), "an opaque origin, nothing more")
	assert.Equal(t, 200, post("null", csrf[1], "Sec-Fetch-Site", "same-origin"), "a form from the no-referrer page itself")
	_, err = f.svc.Redeem(context.Background(), a.ID, a.Tool, a.Digest)
	require.NoError(t, err)
}

func TestApproversFileIsGuarded(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "approvers.json")
	a, err := OpenApprovers(path)
	require.NoError(t, err)
	require.NoError(t, a.SetTOTP("Alice", "", "JBSWY3DPEHPK3PXP", time.Now()))
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	require.NoError(t, os.Chmod(path, 0o640))
	_, err = OpenApprovers(path)
	require.ErrorIs(t, err, ErrUnsafeFile)
	assert.Contains(t, err.Error(), "chmod 600")
	require.NoError(t, os.Chmod(path, 0o600))

	link := filepath.Join(dir, "link.json")
	require.NoError(t, os.Symlink(path, link))
	_, err = OpenApprovers(link)
	require.ErrorIs(t, err, ErrUnsafeFile)
	assert.Contains(t, err.Error(), "symlink")
}

func TestWebhookRetriesInTheBackground(t *testing.T) {
	var mu sync.Mutex
	var bodies []map[string]any
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		mu.Lock()
		bodies = append(bodies, m)
		n := len(bodies)
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(http.StatusBadGateway) // the first delivery fails
		}
	}))
	defer hook.Close()
	f := newFixture(t, func(o *Options) { o.Webhook = hook.URL + "/secret-path" })
	f.svc.hook.backoff = 10 * time.Millisecond
	a := f.request(t, "")
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(bodies) == 2 }, 20*time.Second, 10*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	got := bodies[1]
	assert.Equal(t, a.ID, got["approval_id"])
	assert.Equal(t, "qualys_remove_hosts", got["tool"])
	assert.Equal(t, "merchant-1", got["account"])
	assert.Equal(t, f.svc.URL(a.ID), got["approval_url"])
	assert.Contains(t, got["text"], f.svc.URL(a.ID))
	assert.NotNil(t, got["preview"])
}

// TestPageShowsTheWholeAttestation: report, signer, every question and
// answer, every note and response, escaped.
func TestPageShowsTheWholeAttestation(t *testing.T) {
	f := newFixture(t)
	preview := `{"provider":"Halo Security","account":"merchant-1","action":"submit the attestation","notice":"This is a signed statement.",
		"report_name":"2026 Q2 <ASV> scan","attest_person_name":"Alice Example","attest_person_title":"IT Director",
		"questions":[{"id":1,"text":"Is the scope complete?","answer":"yes"},{"id":2,"answer":"no"}],
		"notes":[{"target_id":5,"issue_id":20342,"issue":"Third-party script","target":"shop.example.com","secure":true,"response":"Loaded with SRI <script>alert(1)</script>"}]}`
	a, err := f.svc.Request(context.Background(), Request{Tool: "halo_pci_attest", Provider: "halo", Digest: "d2",
		Preview: json.RawMessage(preview), PreviewText: "attest", Signer: "Alice Example"})
	require.NoError(t, err)
	resp, err := http.Get(f.svc.URL(a.ID))
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	html := string(page)
	for _, want := range []string{"2026 Q2 &lt;ASV&gt; scan", "Alice Example, IT Director", "Is the scope complete?", "Question 2",
		"<strong>yes</strong>", "<strong>no</strong>", "Third-party script on shop.example.com: marked secure",
		"Loaded with SRI &lt;script&gt;alert(1)&lt;/script&gt;", "only that approver may approve it"} {
		assert.Contains(t, html, want)
	}
	assert.NotContains(t, html, "<script>alert")
}

// TestPageWarnsOfHostsNotInScope: the page shows the preview's warning that
// some hosts are not in PCI scope now, as the tool result and the terminal
// do, next to the list of what will be sent.
func TestPageWarnsOfHostsNotInScope(t *testing.T) {
	f := newFixture(t)
	preview := `{"provider":"Qualys","account":"merchant-1","action":"remove 2 hosts from PCI scope","items":["203.0.113.5","198.51.100.0-198.51.100.3 (4 addresses)"],"not_in_scope":["198.51.100.0-198.51.100.3"],"notice":"n"}`
	a, err := f.svc.Request(context.Background(), Request{Tool: "qualys_remove_hosts", Provider: "qualys", Account: "merchant-1",
		Digest: "d2", Preview: json.RawMessage(preview), PreviewText: "Remove 2 hosts"})
	require.NoError(t, err)
	resp, err := http.Get(f.srv.URL + "/approvals/" + a.ID)
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	html := string(page)
	_, afterItems, ok := strings.Cut(html, `id="items"`)
	require.True(t, ok)
	warning, _, _ := strings.Cut(afterItems, "</section>")
	assert.Contains(t, warning, "Not in PCI scope now (removing it changes nothing): 198.51.100.0-198.51.100.3")
}
