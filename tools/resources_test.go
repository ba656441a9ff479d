package tools

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/providers/halo"
	"github.com/pci-mcp/pci-mcp/providers/halo/halosim"
	"github.com/pci-mcp/pci-mcp/providers/qualys/qualyssim"
	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// sandboxEnv is pci-mcp on both simulators, on one hand-moved clock.
type sandboxEnv struct {
	*testEnv
	qualysSim *qualyssim.Server
	haloSim   *halosim.Server
	clock     *fakeClock
}

func newSandboxEnv(t *testing.T) *sandboxEnv {
	t.Helper()
	clock := newFakeClock()
	q, err := qualyssim.Start(qualyssim.Options{Now: clock.Now, QueuedFor: time.Minute, RunningFor: 5 * time.Minute})
	require.NoError(t, err)
	t.Cleanup(func() { _ = q.Close() })
	h, err := halosim.Start(halosim.Options{Now: clock.Now, ScanFinishesAfter: 10 * time.Minute, ReportReviewedAfter: time.Hour})
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close() })
	env := newTestEnv(t, withQualysSim(t, q), withPollClock(clock), func(o *Options) {
		hc, err := halo.New(halo.Config{BaseURL: h.URL, APIKey: halosim.SandboxAPIKey, Settings: upstream.Settings{MaxAttempts: 1}})
		require.NoError(t, err)
		o.Halo = hc
	})
	return &sandboxEnv{testEnv: env, qualysSim: q, haloSim: h, clock: clock}
}

// TestResourcesListAndRead: resources/list names the guide and the recent
// scans and reports, read from upstream once per listing period; each
// reads as JSON, a running scan without a verdict.
func TestResourcesListAndRead(t *testing.T) {
	env := newSandboxEnv(t)
	ctx := context.Background()
	res := env.call(t, "qualys_launch_scan", `{"title":"Q4","target_ips":["203.0.113.11"]}`)
	require.False(t, res.IsError, resultText(t, res))
	env.qualysSim.ClearRequests()

	list, err := env.client.ListResources(ctx, mcp.ListResourcesRequest{})
	require.NoError(t, err)
	var uris []string
	for _, r := range list.Resources {
		uris = append(uris, r.URI)
	}
	assert.ElementsMatch(t, []string{workflowGuideURI, "qualys://scans/10988", "qualys://scans/10987",
		"halo://pci-reports/127345", "halo://pci-reports/127301"}, uris)

	_, err = env.client.ListResources(ctx, mcp.ListResourcesRequest{})
	require.NoError(t, err)
	q := env.qualysSim.Requests()
	require.Len(t, q, 1, "listed once, then served from the short cache")
	assert.Equal(t, "GET /pci/scan/list limit=20&offset=1&sortBy=date&sortOrder=DESC", q[0].Method+" "+q[0].Path+" "+q[0].RawQuery)
	h := env.haloSim.Simulator.Requests()
	require.Len(t, h, 1)
	assert.Equal(t, "GET /api/v1/pci/report-list.json limit=20&sort_desc=1", h[0].Method+" "+h[0].Path+" "+h[0].RawQuery)

	scan := readJSON(t, env.client, "qualys://scans/10988")
	assert.Equal(t, "Launch Requested", scan["scanStatus"])
	assert.Equal(t, false, scan["finished"])
	assert.NotContains(t, scan, "compliance")
	scan = readJSON(t, env.client, "qualys://scans/10987")
	assert.Equal(t, "Fail", scan["compliance"])
	report := readJSON(t, env.client, "halo://pci-reports/127345")
	assert.Equal(t, "approved", report["status"])

	guide, err := env.client.ReadResource(ctx, mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: workflowGuideURI}})
	require.NoError(t, err)
	text := guide.Contents[0].(mcp.TextResourceContents).Text
	for _, tool := range Catalog() {
		assert.Contains(t, text, tool.Name, "the guide names every tool")
	}

	_, err = env.client.ReadResource(ctx, mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: "qualys://scans/999"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "scan 999 not found")
	_, err = env.client.ReadResource(ctx, mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: "qualys://scans/abc"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "scan_id must be a positive whole number")

	templates, err := env.client.ListResourceTemplates(ctx, mcp.ListResourceTemplatesRequest{})
	require.NoError(t, err)
	var raw []string
	for _, tpl := range templates.ResourceTemplates {
		raw = append(raw, tpl.URITemplate.Raw())
	}
	assert.ElementsMatch(t, []string{scanTemplate, reportTemplate}, raw)
}

func readJSON(t *testing.T, c *client.Client, uri string) map[string]any {
	t.Helper()
	res, err := c.ReadResource(context.Background(), mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: uri}})
	require.NoError(t, err, uri)
	require.Len(t, res.Contents, 1)
	contents := res.Contents[0].(mcp.TextResourceContents)
	assert.Equal(t, "application/json", contents.MIMEType)
	var out map[string]any
	require.NoError(t, json.Unmarshal([]byte(contents.Text), &out))
	return out
}

// TestCompletions offers scan and report ids, most recent first, filtered
// by what was typed.
func TestCompletions(t *testing.T) {
	env := newSandboxEnv(t)
	res := env.call(t, "qualys_launch_scan", `{"title":"Q4","target_ips":["203.0.113.11"]}`)
	require.False(t, res.IsError, resultText(t, res))

	complete := func(uri, arg, value string) []string {
		var req mcp.CompleteRequest
		req.Params.Ref = mcp.ResourceReference{Type: "ref/resource", URI: uri}
		req.Params.Argument = mcp.CompleteArgument{Name: arg, Value: value}
		out, err := env.client.Complete(context.Background(), req)
		require.NoError(t, err)
		return out.Completion.Values
	}
	assert.Equal(t, []string{"10988", "10987"}, complete(scanTemplate, "scan_id", ""))
	assert.Equal(t, []string{"10987"}, complete(scanTemplate, "scan_id", "109877"[:5]))
	assert.Equal(t, []string{"127345", "127301"}, complete(reportTemplate, "pci_report_id", "127"))
	assert.Empty(t, complete(reportTemplate, "scan_id", ""))
}

// TestPrompts lists the three prompts and renders each: the tools in
// order, the argument used, and a closing question to the person.
func TestPrompts(t *testing.T) {
	env := newSandboxEnv(t)
	ctx := context.Background()
	list, err := env.client.ListPrompts(ctx, mcp.ListPromptsRequest{})
	require.NoError(t, err)
	var names []string
	for _, p := range list.Prompts {
		names = append(names, p.Name)
	}
	assert.ElementsMatch(t, []string{"pci_quarterly_scan", "pci_attestation", "pci_scope_review"}, names)

	get := func(name string, args map[string]string) string {
		res, err := env.client.GetPrompt(ctx, mcp.GetPromptRequest{Params: mcp.GetPromptParams{Name: name, Arguments: args}})
		require.NoError(t, err)
		require.Len(t, res.Messages, 1)
		return res.Messages[0].Content.(mcp.TextContent).Text
	}
	text := get("pci_quarterly_scan", map[string]string{"hosts": "203.0.113.10, 2001:db8::10"})
	assert.Contains(t, text, "these hosts: 203.0.113.10, 2001:db8::10")
	assertInOrder(t, text, "qualys_compliance_summary", "qualys_launch_scan", "qualys_wait_for_scan", "qualys_compliance_report", "qualys_get_vulnerability", "ask me")
	assert.Contains(t, get("pci_quarterly_scan", nil), "target_all: true")

	text = get("pci_attestation", map[string]string{"report_name": "2026 Q4 external ASV scan"})
	assert.Contains(t, text, `report_name "2026 Q4 external ASV scan"`)
	assertInOrder(t, text, "halo_pci_summary", "halo_pci_start_attestation", "halo_get_target", "one at a time", "halo_pci_attest", "halo_list_events")
	assertInOrder(t, get("pci_scope_review", nil), "qualys_compliance_summary", "Not Scanned", "qualys_compliance_report", "qualys_remove_hosts", "Do not add or remove anything")

	_, err = env.client.GetPrompt(ctx, mcp.GetPromptRequest{Params: mcp.GetPromptParams{Name: "pci_attestation", Arguments: map[string]string{"report_name": "Q4\u202e"}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "report_name")
	assert.Contains(t, err.Error(), "U+202E")
}

// TestPromptsFollowTheToolsets: a Halo-only server offers only the Halo
// prompt and the report template.
func TestPromptsFollowTheToolsets(t *testing.T) {
	env := newHaloEnv(t, haloEnvOptions{})
	list, err := env.client.ListPrompts(context.Background(), mcp.ListPromptsRequest{})
	require.NoError(t, err)
	require.Len(t, list.Prompts, 1)
	assert.Equal(t, "pci_attestation", list.Prompts[0].Name)
	templates, err := env.client.ListResourceTemplates(context.Background(), mcp.ListResourceTemplatesRequest{})
	require.NoError(t, err)
	require.Len(t, templates.ResourceTemplates, 1)
	assert.Equal(t, reportTemplate, templates.ResourceTemplates[0].URITemplate.Raw())
}

func assertInOrder(t *testing.T, text string, parts ...string) {
	t.Helper()
	at := 0
	for _, p := range parts {
		i := strings.Index(text[at:], p)
		if !assert.GreaterOrEqual(t, i, 0, "%q after position %d", p, at) {
			return
		}
		at += i + len(p)
	}
}

// TestResourcesOfSeveralAccounts: with two Qualys accounts, the recent
// scans of each are listed, the default's at the plain address and the
// other's with ?account=; each reads from its own account and names it,
// in its name and its contents; completions offer the accounts and the
// ids of the account chosen.
func TestResourcesOfSeveralAccounts(t *testing.T) {
	e := newMultiEnv(t)
	ctx := context.Background()
	res := e.call(t, "qualys_launch_scan", `{"account":"acme-eu","title":"EU Q4","target_ips":["203.0.113.11"]}`)
	require.False(t, res.IsError, allText(res))
	euScan := strconv.FormatInt(int64(structured(t, res)["scanId"].(float64)), 10)

	list, err := e.client.ListResources(ctx, mcp.ListResourcesRequest{})
	require.NoError(t, err)
	names := map[string]string{}
	for _, r := range list.Resources {
		names[r.URI] = r.Name
	}
	assert.Equal(t, "Qualys scan 10987 (account acme-us)", names["qualys://scans/10987"], "the default account at the plain address")
	euURI := "qualys://scans/" + euScan + "?account=acme-eu"
	assert.Equal(t, "Qualys scan "+euScan+" (account acme-eu)", names[euURI])
	assert.NotContains(t, names, "qualys://scans/"+euScan, "acme-eu's scan is not offered as the default account's")

	usRequests, euRequests := len(e.us.qualys.Requests()), len(e.eu.qualys.Requests())
	scan := readJSON(t, e.client, euURI)
	assert.Equal(t, "acme-eu", scan["account"])
	assert.Equal(t, "EU Q4", scan["title"])
	assert.Len(t, e.us.qualys.Requests(), usRequests, "read from acme-eu only")
	assert.Len(t, e.eu.qualys.Requests(), euRequests+1)
	assert.Equal(t, "acme-us", readJSON(t, e.client, "qualys://scans/10987")["account"])

	_, err = e.client.ReadResource(ctx, mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: "qualys://scans/10987?account=acme-moon"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"acme-moon" is not a Qualys account of this server; the accounts are acme-us, acme-eu (default acme-us)`)

	templates, err := e.client.ListResourceTemplates(ctx, mcp.ListResourceTemplatesRequest{})
	require.NoError(t, err)
	var raw []string
	for _, tpl := range templates.ResourceTemplates {
		raw = append(raw, tpl.URITemplate.Raw())
	}
	assert.ElementsMatch(t, []string{scanTemplate + accountQuery, reportTemplate + accountQuery}, raw)

	complete := func(arg, value string, chosen map[string]string) []string {
		var req mcp.CompleteRequest
		req.Params.Ref = mcp.ResourceReference{Type: "ref/resource", URI: scanTemplate + accountQuery}
		req.Params.Argument = mcp.CompleteArgument{Name: arg, Value: value}
		req.Params.Context.Arguments = chosen
		out, err := e.client.Complete(ctx, req)
		require.NoError(t, err)
		return out.Completion.Values
	}
	assert.Equal(t, []string{"acme-us", "acme-eu"}, complete("account", "acme", nil))
	assert.Equal(t, []string{euScan}, complete("scan_id", "", map[string]string{"account": "acme-eu"}))
	assert.NotContains(t, complete("scan_id", "", nil), euScan, "without an account, the default's ids")
}
