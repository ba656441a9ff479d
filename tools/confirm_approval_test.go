package tools

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/providers/halo"
	"github.com/pci-mcp/pci-mcp/tools/guard"
	"github.com/pci-mcp/pci-mcp/tools/guard/approval"
)

// approvals is the approval route's side of a test: the service on its
// own page server, two enrolled approvers, and a clock the test moves.
type approvals struct {
	svc     *approval.Service
	page    *httptest.Server
	clock   *fakeClock
	secrets map[string]string
}

func newApprovals(t *testing.T, clock *fakeClock) *approvals {
	t.Helper()
	file, err := approval.OpenApprovers(filepath.Join(t.TempDir(), "approvers.json"))
	require.NoError(t, err)
	a := &approvals{clock: clock, secrets: map[string]string{}}
	for _, name := range []string{"Alice Example", "Dana Whitfield"} {
		secret, _, err := approval.NewTOTPKey(name)
		require.NoError(t, err)
		require.NoError(t, file.SetTOTP(name, "", secret, clock.Now()))
		a.secrets[name] = secret
	}
	a.svc, err = approval.New(approval.Options{Store: guard.NewMemoryStore(clock.Now), Approvers: file, TTL: 5 * time.Minute, Now: clock.Now})
	require.NoError(t, err)
	a.page = httptest.NewServer(a.svc.Handler())
	t.Cleanup(a.page.Close)
	require.NoError(t, a.svc.SetBaseURL(a.page.URL))
	return a
}

func (a *approvals) code(t *testing.T, name string) string {
	t.Helper()
	code, err := approval.CurrentTOTP(a.secrets[name], a.clock.Now())
	require.NoError(t, err)
	return code
}

// decide posts to the JSON API as a chat-ops bot would; it returns the
// HTTP status.
func (a *approvals) decide(t *testing.T, id, verb, name, code string) int {
	t.Helper()
	body, _ := json.Marshal(approval.DecisionRequest{Approver: name, Code: code})
	resp, err := http.Post(a.page.URL+"/approvals/api/"+id+"/"+verb, "application/json", strings.NewReader(string(body)))
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// withApproval puts every destructive tool (or only the attestation, with
// attestOnly) under the approval policy.
func withApproval(a *approvals) envOption {
	return func(o *Options) {
		o.Confirm = ConfirmPolicies{Default: ConfirmApproval}
		o.Approvals = a.svc
	}
}

// requestApproval makes the first call and checks it sent nothing; it
// returns the approval id.
func requestApproval(t *testing.T, env *testEnv, a *approvals, args string) string {
	t.Helper()
	res := env.call(t, "qualys_remove_hosts", args)
	require.False(t, res.IsError, allText(res))
	out := structured(t, res)
	assert.Equal(t, "approval_required", out["status"])
	assert.Nil(t, out["confirmation_token"], "no token on the approval route")
	id := out["approval_id"].(string)
	assert.Regexp(t, `^apr_[A-Za-z0-9_-]{22}$`, id)
	assert.Equal(t, a.page.URL+"/approvals/"+id, out["approval_url"])
	assert.NotEmpty(t, out["expires_at"])
	assert.Contains(t, allText(res), a.page.URL+"/approvals/"+id, "the text gives the assistant the link")
	assert.Empty(t, env.qualys.writes(), "nothing is sent before approval")
	return id
}

func withID(args, id string) string {
	return strings.TrimSuffix(args, "}") + `,"approval_id":"` + id + `"}`
}

func removals(env *testEnv) int {
	n := 0
	for _, r := range env.qualys.writes() {
		if r.Path == "/pci/asset/delete" {
			n++
		}
	}
	return n
}

func TestApprovalRouteExecutesOnceAfterApproval(t *testing.T) {
	a := newApprovals(t, &fakeClock{now: time.Now()})
	env := newTestEnv(t, withApproval(a))
	env.qualys.on("DELETE /pci/asset/delete", http.StatusOK, `{"responseApiVersion":"V1","data":"2 IP removed successfully"}`)
	id := requestApproval(t, env, a, removeArgs)

	pending := env.call(t, "qualys_remove_hosts", withID(removeArgs, id))
	require.False(t, pending.IsError, "pending is not an error")
	assert.Equal(t, "approval_pending", structured(t, pending)["status"])
	assert.Equal(t, 0, removals(env))

	require.Equal(t, 200, a.decide(t, id, "approve", " alice example ", a.code(t, "Alice Example")))
	done := env.call(t, "qualys_remove_hosts", withID(removeArgs, id))
	require.False(t, done.IsError, allText(done))
	out := structured(t, done)
	assert.Equal(t, "done", out["status"])
	assert.Equal(t, "approval", out["confirmed_by"])
	assert.Equal(t, "Alice Example", out["approver"])
	require.Equal(t, 1, removals(env), "exactly one request after approval")
	assert.JSONEq(t, `{"assetType":"IP","assets":"203.0.113.5, 2001:db8::5"}`, env.qualys.writes()[0].Body)

	replay := env.call(t, "qualys_remove_hosts", withID(removeArgs, id))
	assert.True(t, replay.IsError)
	assert.Contains(t, allText(replay), "already used")
	assert.Equal(t, 1, removals(env), "none on replay")

	var outcomes []string
	for _, l := range env.auditLines(t) {
		outcomes = append(outcomes, l.Outcome)
		assert.Equal(t, "approval", l.Confirmation)
	}
	assert.Equal(t, []string{"approval_requested", "approved", "done", "refused"}, outcomes)
	approved := env.auditLines(t)[1]
	assert.Equal(t, "Alice Example", approved.Approver)
	assert.Equal(t, "totp", approved.Factor)
	assert.Equal(t, []string{"203.0.113.5", "2001:db8::5"}, approved.Targets)
	executed := env.auditLines(t)[2]
	assert.Equal(t, "Alice Example", executed.Approver)
	assert.Equal(t, id, executed.ApprovalID)
}

func TestApprovalRouteRefusals(t *testing.T) {
	tests := []struct {
		name string
		// act does what happens between the two calls and returns the
		// second call's arguments.
		act         func(t *testing.T, a *approvals, id string) string
		wantIsError bool
		wantStatus  string
		wantText    string
	}{
		{"denied", func(t *testing.T, a *approvals, id string) string {
			require.Equal(t, 200, a.decide(t, id, "deny", "Alice Example", a.code(t, "Alice Example")))
			return withID(removeArgs, id)
		}, false, "denied", "Denied by Alice Example"},
		{"expired", func(t *testing.T, a *approvals, id string) string {
			a.clock.Advance(5 * time.Minute)
			return withID(removeArgs, id)
		}, true, "", "expired"},
		{"approved then expired", func(t *testing.T, a *approvals, id string) string {
			require.Equal(t, 200, a.decide(t, id, "approve", "Alice Example", a.code(t, "Alice Example")))
			a.clock.Advance(5 * time.Minute)
			return withID(removeArgs, id)
		}, true, "", "expired"},
		{"wrong code", func(t *testing.T, a *approvals, id string) string {
			require.Equal(t, 403, a.decide(t, id, "approve", "Alice Example", "000000"))
			return withID(removeArgs, id)
		}, false, "approval_pending", "still pending"},
		{"five wrong codes lock it", func(t *testing.T, a *approvals, id string) string {
			for range 5 {
				require.Equal(t, 403, a.decide(t, id, "approve", "Alice Example", "000000"))
			}
			require.Equal(t, 409, a.decide(t, id, "approve", "Alice Example", a.code(t, "Alice Example")))
			return withID(removeArgs, id)
		}, false, "denied", "locked after 5 wrong codes"},
		{"other arguments", func(t *testing.T, a *approvals, id string) string {
			require.Equal(t, 200, a.decide(t, id, "approve", "Alice Example", a.code(t, "Alice Example")))
			return withID(`{"hosts":["203.0.113.5","198.51.100.7"]}`, id)
		}, true, "", "other arguments"},
		{"unknown id", func(t *testing.T, a *approvals, id string) string {
			return withID(removeArgs, "apr_AAAAAAAAAAAAAAAAAAAAAA")
		}, true, "", "unknown"},
		{"a confirmation token instead", func(t *testing.T, a *approvals, id string) string {
			return strings.TrimSuffix(removeArgs, "}") + `,"confirmation_token":"pcimcp1.x.y"}`
		}, true, "", "only by a person's approval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newApprovals(t, &fakeClock{now: time.Now()})
			env := newTestEnv(t, withApproval(a))
			env.qualys.on("DELETE /pci/asset/delete", http.StatusOK, `{"responseApiVersion":"V1","data":"2 IP removed successfully"}`)
			id := requestApproval(t, env, a, removeArgs)
			res := env.call(t, "qualys_remove_hosts", tt.act(t, a, id))
			text := allText(res)
			assert.Equal(t, tt.wantIsError, res.IsError, text)
			assert.Contains(t, text, tt.wantText)
			if tt.wantStatus != "" {
				assert.Equal(t, tt.wantStatus, structured(t, res)["status"])
			}
			assert.Empty(t, env.qualys.writes(), "nothing may reach Qualys")
		})
	}
}

func TestApprovalCodeIsAcceptedOnce(t *testing.T) {
	a := newApprovals(t, &fakeClock{now: time.Now()})
	env := newTestEnv(t, withApproval(a))
	first := requestApproval(t, env, a, removeArgs)
	second := requestApproval(t, env, a, removeArgs)
	code := a.code(t, "Alice Example")
	require.Equal(t, 200, a.decide(t, first, "approve", "Alice Example", code))
	assert.Equal(t, 403, a.decide(t, second, "approve", "Alice Example", code), "the same code again")
	res := env.call(t, "qualys_remove_hosts", withID(removeArgs, second))
	assert.Equal(t, "approval_pending", structured(t, res)["status"])
	assert.Empty(t, env.qualys.writes())
}

// TestApprovalOfAnAttestationBySomeoneElse: the signer must approve.
// startAttestationForApproval serves Halo with attestations (only) on the
// approval route and starts an attestation that nothing blocks.
func startAttestationForApproval(t *testing.T, a *approvals) (*haloEnv, haloStartResult) {
	t.Helper()
	env := newHaloEnv(t, haloEnvOptions{serve: func(t *testing.T, hc *halo.Client) *server.MCPServer {
		srv, _, err := NewServer(Options{Version: "test", Halo: hc, Redactor: hc.Redactor(),
			Confirm: ConfirmPolicies{Default: ConfirmAuto, Attest: ConfirmApproval}, Approvals: a.svc,
			ServerOptions: []server.ServerOption{server.WithOutputSchemaValidation()}})
		require.NoError(t, err)
		return srv
	}})
	env.clock.Advance(haloScanDelay)
	var start haloStartResult
	env.ok(t, "halo_pci_start_attestation", "", &start)
	return env, start
}

func TestApprovalOfAnAttestationBySomeoneElse(t *testing.T) {
	a := newApprovals(t, &fakeClock{now: time.Now()})
	env, start := startAttestationForApproval(t, a)
	args := attestArgs(t, start.AttestationID)
	first := env.call(t, "halo_pci_attest", args)
	require.False(t, first.IsError, allText(first))
	id := structured(t, first)["approval_id"].(string)
	assert.Contains(t, allText(first), "Only Dana Whitfield, who signs this statement, can approve it.")

	assert.Equal(t, 403, a.decide(t, id, "approve", "Alice Example", a.code(t, "Alice Example")), "not the signer")
	res := env.call(t, "halo_pci_attest", withID(args, id))
	assert.Equal(t, "approval_pending", structured(t, res)["status"])
	attests := func() int {
		n := 0
		for _, c := range env.upstreamCalls() {
			if strings.HasPrefix(c, "POST pci/attest.json") {
				n++
			}
		}
		return n
	}
	assert.Equal(t, 0, attests())

	require.Equal(t, 200, a.decide(t, id, "approve", "  DANA whitfield", a.code(t, "Dana Whitfield")))
	done := env.call(t, "halo_pci_attest", withID(args, id))
	require.False(t, done.IsError, allText(done))
	assert.Equal(t, "Dana Whitfield", structured(t, done)["approver"])
	assert.Equal(t, 1, attests())
}

// TestApprovalOfAnAttestationByNoEnrolledSigner: only the signer may approve
// an attestation, so when no approver of that name is enrolled nobody ever
// could: the call is refused at once, naming the signer, with no approval
// left pending and nothing sent.
func TestApprovalOfAnAttestationByNoEnrolledSigner(t *testing.T) {
	a := newApprovals(t, &fakeClock{now: time.Now()})
	env, start := startAttestationForApproval(t, a)
	in := completeAttest()
	in.AttestationID = start.AttestationID
	in.AttestPersonName = "Mallory Jones"
	data, err := json.Marshal(in)
	require.NoError(t, err)

	res := env.call(t, "halo_pci_attest", string(data))
	require.True(t, res.IsError, allText(res))
	assert.Contains(t, allText(res), "no approver named Mallory Jones is enrolled")
	assert.Contains(t, allText(res), "Nothing was sent to Halo Security.")
	pending, err := a.svc.Pending(context.Background())
	require.NoError(t, err)
	assert.Empty(t, pending, "no approval that nobody could give")
	for _, c := range env.upstreamCalls() {
		assert.False(t, strings.HasPrefix(c, "POST pci/attest.json"), c)
	}
}

func TestConfirmPolicies(t *testing.T) {
	t.Run("deny leaves destructive tools out", func(t *testing.T) {
		env := newTestEnv(t, func(o *Options) { o.Confirm = ConfirmPolicies{Default: ConfirmDeny} })
		list, err := env.client.ListTools(context.Background(), mcp.ListToolsRequest{})
		require.NoError(t, err)
		var names []string
		for _, tool := range list.Tools {
			names = append(names, tool.Name)
		}
		assert.NotContains(t, names, "qualys_remove_hosts")
		assert.NotContains(t, names, "qualys_remove_virtual_hosts")
		assert.Contains(t, names, "qualys_add_hosts")
	})
	t.Run("elicitation refuses a client without forms", func(t *testing.T) {
		env := newTestEnv(t, func(o *Options) { o.Confirm = ConfirmPolicies{Default: ConfirmElicitation} })
		res := env.call(t, "qualys_remove_hosts", removeArgs)
		assert.True(t, res.IsError)
		assert.Contains(t, allText(res), "--confirm elicitation")
		assert.Empty(t, env.qualys.writes())
	})
	t.Run("approval_id outside the approval policy", func(t *testing.T) {
		env := newTestEnv(t)
		res := env.call(t, "qualys_remove_hosts", withID(removeArgs, "apr_AAAAAAAAAAAAAAAAAAAAAA"))
		assert.True(t, res.IsError)
		assert.Contains(t, allText(res), "approval_id is used only")
		assert.Empty(t, env.qualys.writes())
	})
	t.Run("approval without the route configured", func(t *testing.T) {
		_, _, err := NewServer(Options{Qualys: newTestEnv(t).deps.Qualys, Confirm: ConfirmPolicies{Default: ConfirmApproval}})
		require.ErrorContains(t, err, "approval route is not configured")
	})
	for _, s := range []string{"auto", "TOKEN", " elicitation", "approval", "deny"} {
		_, err := ParseConfirmPolicy(s)
		assert.NoError(t, err, s)
	}
	_, err := ParseConfirmPolicy("yes")
	assert.ErrorContains(t, err, "use auto, token, elicitation, approval, deny")
}

// urlApprover is a client that can open URLs: it approves on the page's
// API as the person would, then accepts.
type urlApprover struct {
	a     *approvals
	t     *testing.T
	asked []mcp.ElicitationParams
}

func (u *urlApprover) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	u.asked = append(u.asked, req.Params)
	id := strings.TrimPrefix(req.Params.URL, u.a.page.URL+"/approvals/")
	if status := u.a.decide(u.t, id, "approve", "Alice Example", u.a.code(u.t, "Alice Example")); status != 200 {
		u.t.Errorf("approving %s: HTTP %d", id, status)
	}
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionAccept}}, nil
}

// TestApprovalByURLElicitation: a client that declared elicitation.url is
// sent the page, and the call executes once the person approved there.
func TestApprovalByURLElicitation(t *testing.T) {
	for _, era := range []struct {
		name    string
		options []client.ClientOption
	}{
		{"2025-11-25", []client.ClientOption{client.WithProtocolVersion("2025-11-25")}},
		{"2026-07-28", nil},
	} {
		t.Run(era.name, func(t *testing.T) {
			a := newApprovals(t, &fakeClock{now: time.Now()})
			env := newTestEnv(t, withApproval(a))
			env.qualys.on("DELETE /pci/asset/delete", http.StatusOK, `{"responseApiVersion":"V1","data":"2 IP removed successfully"}`)
			u := &urlApprover{a: a, t: t}
			c, err := client.NewInProcessClientWithOptions(env.server, append(era.options, client.WithElicitationHandler(u))...)
			require.NoError(t, err)
			require.NoError(t, c.Start(context.Background()))
			t.Cleanup(func() { _ = c.Close() })
			var init mcp.InitializeRequest
			init.Params.ClientInfo = mcp.Implementation{Name: "url-client", Version: "1"}
			init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
			init.Params.Capabilities.Elicitation = &mcp.ElicitationCapability{URL: &struct{}{}}
			_, err = c.Initialize(context.Background(), init)
			require.NoError(t, err)

			res := callTool(t, c, "qualys_remove_hosts", removeArgs)
			require.False(t, res.IsError, allText(res))
			require.Len(t, u.asked, 1)
			assert.Equal(t, mcp.ElicitationModeURL, u.asked[0].Mode)
			assert.True(t, strings.HasPrefix(u.asked[0].URL, a.page.URL+"/approvals/apr_"))
			out := structured(t, res)
			assert.Equal(t, "done", out["status"])
			assert.Equal(t, "Alice Example", out["approver"])
			assert.Equal(t, 1, removals(env))
		})
	}
}
