package tools

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
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
	"github.com/pci-mcp/pci-mcp/providers/halo/halosim"
	"github.com/pci-mcp/pci-mcp/providers/qualys"
	"github.com/pci-mcp/pci-mcp/providers/qualys/qualyssim"
	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// Two merchants on Qualys and two on Halo, each behind its own simulator
// that accepts only that account's credentials: a call that reached the
// wrong one, or brought the wrong credentials, fails.

// merchant is one simulated account and the credentials it accepts.
type merchant struct {
	name, user, password, apiKey string
	qualys                       *qualyssim.Simulator
	halo                         *halosim.Simulator
	url                          string
}

func qualysMerchant(t *testing.T, name string, empty bool) *merchant {
	m := &merchant{name: name, user: name + "_pci", password: "marker-pw-" + name}
	m.qualys = qualyssim.New(qualyssim.Options{Username: m.user, Password: m.password, Empty: empty, QueuedFor: -1, RunningFor: -1})
	srv := httptest.NewServer(m.qualys)
	t.Cleanup(srv.Close)
	m.url = srv.URL
	return m
}

func haloMerchant(t *testing.T, name string) *merchant {
	m := &merchant{name: name, apiKey: "marker-key-" + name}
	m.halo = halosim.New(halosim.Options{APIKey: m.apiKey, ScanFinishesAfter: -1})
	srv := httptest.NewServer(m.halo)
	t.Cleanup(srv.Close)
	m.url = srv.URL + "/api/v1"
	return m
}

// account is the merchant as NewServer serves it, with password as the
// credentials it sends (a wrong one makes the simulator refuse).
func (m *merchant) account(t *testing.T, password string) Account {
	a := Account{Name: m.name, Credentials: "ACME_" + strings.ToUpper(strings.ReplaceAll(m.name, "-", "_")) + "_SECRET"}
	var err error
	if m.qualys != nil {
		a.Qualys, err = qualys.New(qualys.Config{BaseURL: m.url, Username: m.user, Password: password, Settings: upstream.Settings{MaxAttempts: 1}})
	} else {
		a.Halo, err = halo.New(halo.Config{BaseURL: m.url, APIKey: password, Settings: upstream.Settings{MaxAttempts: 1}})
	}
	require.NoError(t, err)
	return a
}

func (m *merchant) requests() int {
	if m.qualys != nil {
		return len(m.qualys.Requests())
	}
	return len(m.halo.Requests())
}

// multiEnv is pci-mcp serving acme-us (the default) and acme-eu on Qualys,
// and acme and acme-2 on Halo.
type multiEnv struct {
	us, eu, halo1, halo2 *merchant
	audit                *syncWriter
	client               *client.Client
	tools                []Tool
}

func newMultiEnv(t *testing.T, opts ...envOption) *multiEnv {
	e := &multiEnv{
		us: qualysMerchant(t, "acme-us", false), eu: qualysMerchant(t, "acme-eu", true),
		halo1: haloMerchant(t, "acme"), halo2: haloMerchant(t, "acme-2"),
		audit: &syncWriter{w: &strings.Builder{}},
	}
	accounts := []Account{e.us.account(t, e.us.password), e.eu.account(t, e.eu.password), e.halo1.account(t, e.halo1.apiKey), e.halo2.account(t, e.halo2.apiKey)}
	var secrets []string
	for _, m := range []*merchant{e.us, e.eu, e.halo1, e.halo2} {
		secrets = append(secrets, m.password, m.apiKey)
	}
	redactor := upstream.NewRedactor(secrets...)
	o := Options{
		Version: "test", Accounts: accounts, Redactor: redactor, Audit: NewAudit(e.audit, nil, redactor),
		ServerOptions: []server.ServerOption{server.WithOutputSchemaValidation()},
	}
	for _, opt := range opts {
		opt(&o)
	}
	srv, selected, err := NewServer(o)
	require.NoError(t, err)
	e.tools, e.client = selected, connect(t, srv)
	return e
}

func (e *multiEnv) call(t *testing.T, name, args string) *mcp.CallToolResult {
	t.Helper()
	return callTool(t, e.client, name, args)
}

func TestEachCallReachesItsOwnAccount(t *testing.T) {
	e := newMultiEnv(t)

	res := e.call(t, "qualys_add_hosts", `{"hosts":["198.51.100.7"]}`)
	require.False(t, res.IsError, allText(res))
	assert.Equal(t, "acme-us", structured(t, res)["account"], "without account, the default")
	assert.True(t, strings.HasPrefix(resultText(t, res), `{"account":"acme-us",`), "the result names its account first: %s", resultText(t, res))
	assert.Equal(t, 1, e.us.requests())
	assert.Equal(t, 0, e.eu.requests())

	res = e.call(t, "qualys_add_hosts", `{"account":"acme-eu","hosts":["198.51.100.8"]}`)
	require.False(t, res.IsError, allText(res), "the EU simulator accepts only the EU credentials")
	assert.Equal(t, "acme-eu", structured(t, res)["account"])
	assert.Equal(t, 1, e.us.requests())
	require.Equal(t, 1, e.eu.requests())
	assert.Contains(t, string(e.eu.qualys.Requests()[0].Body), "198.51.100.8")

	res = e.call(t, "halo_pci_summary", `{"account":"acme-2"}`)
	require.False(t, res.IsError, allText(res))
	assert.Equal(t, "acme-2", structured(t, res)["account"])
	assert.Equal(t, 0, e.halo1.requests())
	assert.NotZero(t, e.halo2.requests())

	lines := auditEntries(t, e.audit)
	require.Len(t, lines, 2)
	assert.Equal(t, []string{"acme-us", "acme-eu"}, []string{lines[0].Account, lines[1].Account})
	assert.Equal(t, "acme-eu_pci", lines[1].User)
}

func TestUnknownAccountIsRefusedNamingTheValidOnes(t *testing.T) {
	e := newMultiEnv(t)
	for _, args := range []string{`{"account":"acme-xx","hosts":["198.51.100.7"]}`, `{"account":7,"hosts":["198.51.100.7"]}`} {
		res := e.call(t, "qualys_add_hosts", args)
		require.True(t, res.IsError)
		text := resultText(t, res)
		assert.Contains(t, text, "Invalid arguments for qualys_add_hosts: account: ")
		assert.Contains(t, text, "Nothing was sent to Qualys.")
		if strings.Contains(args, "acme-xx") {
			assert.Contains(t, text, `"acme-xx" is not a Qualys account of this server; the accounts are acme-us, acme-eu (default acme-us)`)
		}
	}
	assert.Zero(t, e.us.requests()+e.eu.requests(), "nothing sent")
	lines := auditEntries(t, e.audit)
	require.Len(t, lines, 2)
	assert.Equal(t, "invalid_arguments", lines[0].Outcome)
}

// TestTokenForOneAccountNeverActsOnAnother: a confirmation token issued for
// acme-us is refused with acme-eu, and nothing reaches acme-eu.
func TestTokenForOneAccountNeverActsOnAnother(t *testing.T) {
	e := newMultiEnv(t)
	require.False(t, e.call(t, "qualys_add_hosts", `{"account":"acme-eu","hosts":["198.51.100.9"]}`).IsError)
	// In scope of acme-us too, so its removal preview has something to remove.
	require.False(t, e.call(t, "qualys_add_hosts", `{"account":"acme-us","hosts":["198.51.100.9"]}`).IsError)
	first := e.call(t, "qualys_remove_hosts", `{"account":"acme-us","hosts":["198.51.100.9"]}`)
	require.False(t, first.IsError, allText(first))
	out := structured(t, first)
	require.Equal(t, "confirmation_required", out["status"])
	assert.Equal(t, "acme-us", out["account"])
	preview := out["preview"].(map[string]any)
	assert.Equal(t, "acme-us", preview["account"])
	assert.Equal(t, "acme-us_pci", preview["user"])
	assert.Contains(t, allText(first), "ACCOUNT acme-us (Qualys user acme-us_pci)\nRemove 1 host from PCI scope\n  1. 198.51.100.9", "the preview shows the account first")
	token := out["confirmation_token"].(string)
	euBefore := e.eu.requests()

	res := e.call(t, "qualys_remove_hosts", `{"account":"acme-eu","hosts":["198.51.100.9"],"confirmation_token":"`+token+`"}`)
	require.True(t, res.IsError)
	assert.Contains(t, resultText(t, res), "the confirmation token was issued for account acme-us, not acme-eu")
	assert.Equal(t, euBefore, e.eu.requests(), "nothing reached acme-eu")
	for _, r := range e.eu.qualys.Requests() {
		assert.NotEqual(t, http.MethodDelete, r.Method)
	}
	lines := auditEntries(t, e.audit)
	last, asked := lines[len(lines)-1], lines[len(lines)-2]
	assert.Equal(t, "refused", last.Outcome)
	assert.Equal(t, "acme-eu", last.Account)
	assert.Equal(t, "confirmation_required", asked.Outcome)
	assert.NotEqual(t, asked.ArgsDigest, last.ArgsDigest, "the digest covers the account: same hosts, other merchant")
}

func TestAccountArgumentInSchemas(t *testing.T) {
	e := newMultiEnv(t)
	list, err := e.client.ListTools(t.Context(), mcp.ListToolsRequest{})
	require.NoError(t, err)
	require.Len(t, list.Tools, len(Catalog()))
	for _, tool := range list.Tools {
		account, ok := tool.InputSchema.Properties["account"].(map[string]any)
		require.True(t, ok, "%s takes account", tool.Name)
		if strings.HasPrefix(tool.Name, "qualys_") {
			assert.Equal(t, []any{"acme-us", "acme-eu"}, account["enum"])
			assert.Equal(t, "acme-us", account["default"])
		} else {
			assert.Equal(t, []any{"acme", "acme-2"}, account["enum"])
			assert.Equal(t, "acme", account["default"])
		}
		assert.Equal(t, "string", account["type"])
		assert.NotContains(t, tool.InputSchema.Required, "account", "account may be left out")
		assert.Contains(t, tool.OutputSchema.Properties, "account", "results name their account")
	}
	for _, tool := range e.tools {
		assert.True(t, strings.HasPrefix(string(tool.InputSchema), `{"properties":{"account":`), "account comes first in %s", tool.Name)
	}

	// One account: schemas exactly as the catalog has them.
	single := newTestEnv(t)
	list, err = single.client.ListTools(t.Context(), mcp.ListToolsRequest{})
	require.NoError(t, err)
	byName := map[string]Tool{}
	for _, tool := range Catalog() {
		byName[tool.Name] = tool
	}
	require.NotEmpty(t, list.Tools)
	for _, tool := range list.Tools {
		assert.NotContains(t, tool.InputSchema.Properties, "account", tool.Name)
		assert.NotContains(t, tool.OutputSchema.Properties, "account", tool.Name)
	}
	for _, tool := range single.selected {
		assert.Equal(t, string(byName[tool.Name].InputSchema), string(tool.InputSchema), tool.Name)
		assert.Equal(t, string(byName[tool.Name].OutputSchema), string(tool.OutputSchema), tool.Name)
	}
	res := single.call(t, "qualys_list_scans", `{"account":"default"}`)
	assert.True(t, res.IsError, "with one account there is no account argument")
}

func TestInstructionsListTheAccounts(t *testing.T) {
	e := newMultiEnv(t)
	var init mcp.InitializeRequest
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	res, err := e.client.Initialize(t.Context(), init)
	require.NoError(t, err)
	assert.Contains(t, res.Instructions, "Accounts (merchants) served — Qualys: acme-us (default), acme-eu; Halo Security: acme (default), acme-2.")
	assert.Contains(t, res.Instructions, "When it is not clear which merchant the person means, ask them before calling")
	for _, m := range []*merchant{e.us, e.eu, e.halo1, e.halo2} {
		assert.NotContains(t, res.Instructions, m.url, "names only")
	}

	single := newTestEnv(t)
	res, err = single.client.Initialize(t.Context(), init)
	require.NoError(t, err)
	assert.NotContains(t, res.Instructions, "Accounts", "one default account: nothing to choose")
}

// TestRejectedCredentialsNameTheAccountsOwnSettings: the sentence names the
// account and the variable its secret comes from.
func TestRejectedCredentialsNameTheAccountsOwnSettings(t *testing.T) {
	bad := qualysMerchant(t, "acme-ca", true)
	e := newMultiEnv(t, func(o *Options) { o.Accounts = append(o.Accounts, bad.account(t, "marker-wrong-password")) })
	res := e.call(t, "qualys_list_scans", `{"account":"acme-ca"}`)
	require.True(t, res.IsError)
	text := resultText(t, res)
	assert.True(t, strings.HasPrefix(text, "Account acme-ca: Qualys rejected the credentials of account acme-ca (HTTP 401): check ACME_ACME_CA_SECRET,"), text)
	assert.NotContains(t, text, "marker-wrong-password")
	assert.Zero(t, e.us.requests()+e.eu.requests())
}

// TestAttestationStartsAreRememberedPerAccount: a start made on one Halo
// account never informs the preview of an attestation on another.
func TestAttestationStartsAreRememberedPerAccount(t *testing.T) {
	e := newMultiEnv(t)
	start := e.call(t, "halo_pci_start_attestation", `{"account":"acme"}`)
	require.False(t, start.IsError, allText(start))
	out := structured(t, start)
	id := out["attestation_id"].(string)
	questions := out["questions"].([]any)
	require.NotEmpty(t, questions)
	q := questions[0].(map[string]any)
	args := func(account string) string {
		return `{"account":"` + account + `","attestation_id":"` + id + `","report_name":"Q2","attest_person_name":"Ann Lee","attest_person_title":"CISO",` +
			`"questions":[{"id":` + mustJSON(t, q["id"]) + `,"answer":"yes"}],"notes":[]}`
	}
	// acme remembers its start, so the missing answers are refused before
	// anyone is asked; acme-2 never saw that start, so nothing of it is
	// applied there (Halo itself would check).
	same := e.call(t, "halo_pci_attest", args("acme"))
	require.True(t, same.IsError)
	assert.Contains(t, allText(same), "are not answered", "checked against acme's own start")
	other := e.call(t, "halo_pci_attest", args("acme-2"))
	require.False(t, other.IsError, allText(other))
	assert.NotContains(t, allText(other), "are not answered")
	assert.NotContains(t, allText(other), q["text"].(string), "acme-2 never saw acme's start")
	assert.Contains(t, allText(other), "ACCOUNT acme-2")
	assert.Zero(t, e.halo2.requestsTo("pci/attest"), "nothing submitted to acme-2 without confirmation")
}

func (m *merchant) requestsTo(suffix string) int {
	n := 0
	for _, r := range m.halo.Requests() {
		if strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}

func auditEntries(t *testing.T, w *syncWriter) []AuditEntry {
	t.Helper()
	return (&testEnv{audit: w}).auditLines(t)
}

// TestApprovalForOneAccountNeverActsOnAnother: a person's approval of a
// removal on acme-us does not carry over to acme-eu.
func TestApprovalForOneAccountNeverActsOnAnother(t *testing.T) {
	a := newApprovals(t, &fakeClock{now: time.Now()})
	e := newMultiEnv(t, withApproval(a))
	args := func(account string) string { return `{"account":"` + account + `","hosts":["203.0.113.10"]}` }
	// The host is in both merchants' scope, so only the account differs.
	require.False(t, e.call(t, "qualys_add_hosts", args("acme-eu")).IsError)
	res := e.call(t, "qualys_remove_hosts", args("acme-us"))
	require.False(t, res.IsError, allText(res))
	out := structured(t, res)
	require.Equal(t, "approval_required", out["status"])
	assert.Contains(t, allText(res), "ACCOUNT acme-us")
	id := out["approval_id"].(string)
	require.Equal(t, 200, a.decide(t, id, "approve", "Alice Example", a.code(t, "Alice Example")))

	res = e.call(t, "qualys_remove_hosts", withID(args("acme-eu"), id))
	require.True(t, res.IsError)
	assert.Contains(t, allText(res), "the approval was given for other arguments")
	for _, r := range e.eu.qualys.Requests() {
		assert.NotEqual(t, http.MethodDelete, r.Method, "nothing removed from acme-eu")
	}

	res = e.call(t, "qualys_remove_hosts", withID(args("acme-us"), id))
	require.False(t, res.IsError, allText(res))
	assert.Equal(t, "done", structured(t, res)["status"])
	deletes := 0
	for _, r := range e.us.qualys.Requests() {
		if r.Method == http.MethodDelete {
			deletes++
		}
	}
	assert.Equal(t, 1, deletes, "the approved removal, on acme-us only")
}

// twoAccountCatalog is the catalog as served with two accounts on each
// provider, as the snapshots in schemas/two-accounts/ and its budget
// record it.
func twoAccountCatalog(t *testing.T) ([]Tool, *server.MCPServer) {
	t.Helper()
	var accounts []Account
	for _, name := range []string{"acme-us", "acme-eu"} {
		qc, err := qualys.New(qualys.Config{BaseURL: "https://qualys.invalid", Username: name, Password: "p"})
		require.NoError(t, err)
		accounts = append(accounts, Account{Name: name, Qualys: qc})
	}
	for _, name := range []string{"acme", "acme-2"} {
		hc, err := halo.New(halo.Config{BaseURL: "https://halo.invalid/api/v1", APIKey: "k"})
		require.NoError(t, err)
		accounts = append(accounts, Account{Name: name, Halo: hc})
	}
	srv, selected, err := NewServer(Options{Version: "test", Accounts: accounts})
	require.NoError(t, err)
	return selected, srv
}

const twoAccountSchemaDir = schemaDir + "/two-accounts"

// TestTwoAccountSchemaFiles keeps schemas/two-accounts/ (every tool's
// schemas when its provider has two accounts) in step, as TestSchemaFiles
// does for one account. Regenerate with `make schemas`.
func TestTwoAccountSchemaFiles(t *testing.T) {
	selected, _ := twoAccountCatalog(t)
	want := map[string][]byte{}
	for _, tool := range selected {
		want[tool.Name+".input.json"] = prettySchema(t, tool.InputSchema)
		want[tool.Name+".output.json"] = prettySchema(t, tool.OutputSchema)
	}
	if *update {
		require.NoError(t, os.RemoveAll(twoAccountSchemaDir))
		require.NoError(t, os.MkdirAll(twoAccountSchemaDir, 0o755))
		for name, data := range want {
			require.NoError(t, os.WriteFile(filepath.Join(twoAccountSchemaDir, name), data, 0o644))
		}
	}
	entries, err := os.ReadDir(twoAccountSchemaDir)
	require.NoError(t, err, "run `make schemas`")
	assert.Len(t, entries, len(want), "schemas/two-accounts/ holds exactly the catalog's files; run `make schemas`")
	for name, data := range want {
		got, err := os.ReadFile(filepath.Join(twoAccountSchemaDir, name))
		if assert.NoError(t, err, "schemas/two-accounts/%s is missing; run `make schemas`", name) {
			assert.Equal(t, string(data), string(got), "schemas/two-accounts/%s is stale; run `make schemas`", name)
		}
	}
}

const twoAccountBudgetFile = "../testdata/budgets/tools_list_two_accounts.json"

// twoAccountBudget is what choosing among accounts may add to what a model
// reads of each tool: the account argument, its enum and one sentence.
const twoAccountBudget = 160

// TestTwoAccountToolsListBudget: with two accounts per provider, what a
// model reads of each tool grows by the account argument only, at most
// twoAccountBudget bytes, and the whole list stays within the budget in
// testdata/budgets/tools_list_two_accounts.json (rewritten, like the
// one-account budget, by -update-budgets).
func TestTwoAccountToolsListBudget(t *testing.T) {
	_, srv := twoAccountCatalog(t)
	res := srv.HandleMessage(context.Background(), json.RawMessage(`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}`))
	data, err := json.Marshal(res)
	require.NoError(t, err)
	var msg struct {
		Result struct {
			Tools []json.RawMessage `json:"tools"`
		} `json:"result"`
	}
	require.NoError(t, json.Unmarshal(data, &msg))
	_, single := measureToolsList(t)
	visibleTotal := 0
	for _, raw := range msg.Result.Tools {
		var tool struct {
			Name string `json:"name"`
		}
		require.NoError(t, json.Unmarshal(raw, &tool))
		visible, err := ModelVisible(raw)
		require.NoError(t, err)
		visibleTotal += len(visible)
		if grew := len(visible) - single[tool.Name].visible; grew > twoAccountBudget {
			t.Errorf("%s: two accounts add %d bytes to what a model reads, over %d", tool.Name, grew, twoAccountBudget)
		}
	}
	if *updateBudgets {
		b := struct {
			Note         string     `json:"note"`
			ModelVisible byteBudget `json:"model_visible_total"`
		}{"Bytes a model reads of tools/list with two accounts on each provider (tools/accounts_test.go); rewrite with: go test ./tools -run Budget -update-budgets",
			byteBudget{visibleTotal, totalHeadroom(visibleTotal)}}
		out, err := json.MarshalIndent(b, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(twoAccountBudgetFile, append(out, '\n'), 0o644))
	}
	recorded, err := os.ReadFile(twoAccountBudgetFile)
	require.NoError(t, err)
	var budget struct {
		ModelVisible byteBudget `json:"model_visible_total"`
	}
	require.NoError(t, json.Unmarshal(recorded, &budget))
	t.Logf("two accounts per provider: a model reads %d bytes of tools/list (budget %d)", visibleTotal, budget.ModelVisible.Budget)
	assert.LessOrEqual(t, visibleTotal, budget.ModelVisible.Budget, "what a model reads with two accounts per provider is over its budget; see %s", twoAccountBudgetFile)
}

// TestEachAccountHasItsOwnConcurrencyLimit: with one request in flight
// allowed per account, a call to acme-us that hangs upstream does not hold
// up acme-eu.
func TestEachAccountHasItsOwnConcurrencyLimit(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"responseApiVersion":"V1","data":{"totalCount":0,"fetchRange":"0-0","scanInfoList":[]}}`))
	}))
	t.Cleanup(hanging.Close)
	t.Cleanup(func() { close(release) })
	eu := qualysMerchant(t, "acme-eu", true)
	one := upstream.Settings{MaxAttempts: 1, Concurrency: 1}
	us, err := qualys.New(qualys.Config{BaseURL: hanging.URL, Username: "u", Password: "p", Settings: one})
	require.NoError(t, err)
	euClient, err := qualys.New(qualys.Config{BaseURL: eu.url, Username: eu.user, Password: eu.password, Settings: one})
	require.NoError(t, err)
	srv, _, err := NewServer(Options{Version: "test", Accounts: []Account{{Name: "acme-us", Qualys: us}, {Name: "acme-eu", Qualys: euClient}}})
	require.NoError(t, err)
	c := connect(t, srv)

	go func() { _ = callToolNoCheck(c, "qualys_list_scans", `{"account":"acme-us"}`) }()
	<-arrived // acme-us's one slot is taken, and stays taken
	res := callTool(t, c, "qualys_list_scans", `{"account":"acme-eu"}`)
	require.False(t, res.IsError, allText(res))
	assert.Equal(t, "acme-eu", structured(t, res)["account"])
}

// callToolNoCheck calls a tool from a goroutine, where require may not.
func callToolNoCheck(c *client.Client, name, args string) error {
	var req mcp.CallToolRequest
	req.Params.Name = name
	req.Params.Arguments = json.RawMessage(args)
	_, err := c.CallTool(context.Background(), req)
	return err
}
