package tools

import (
	"context"
	"slices"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/providers/halo"
)

// haloReadTools are the Halo tools a client can call without confirmation.
var haloReadTools = []string{
	"halo_pci_summary", "halo_pci_start_attestation", "halo_pci_list_reports", "halo_pci_get_report",
	"halo_list_targets", "halo_get_target", "halo_list_scans", "halo_get_scan",
	"halo_list_events", "halo_get_event", "halo_list_acknowledged_hosts",
}

// Halo's write tools: guarded (destructive) or not.
var (
	haloGuardedTools   = []string{"halo_pci_attest", "halo_acknowledge_host"}
	haloUnguardedWrite = []string{"halo_remove_host_acknowledgement"}
)

func TestHaloToolsListed(t *testing.T) {
	env := newHaloEnv(t, haloEnvOptions{})
	res, err := env.client.ListTools(context.Background(), mcp.ListToolsRequest{})
	require.NoError(t, err)
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
		assert.NotEmpty(t, tool.Title, tool.Name)
		assert.NotEmpty(t, tool.Description, tool.Name)
		assert.Equal(t, "object", tool.OutputSchema.Type, tool.Name)
		t.Run(tool.Name, func(t *testing.T) { assertHintsAsServed(t, tool) })
		isRead := slices.Contains(haloReadTools, tool.Name)
		assert.Equal(t, isRead, hint(tool.Annotations.ReadOnlyHint), tool.Name)
		assert.Equal(t, slices.Contains(haloGuardedTools, tool.Name), !isRead && tool.Annotations.DestructiveHint != nil && *tool.Annotations.DestructiveHint, tool.Name)
	}
	assert.ElementsMatch(t, slices.Concat(haloReadTools, haloGuardedTools, haloUnguardedWrite), names,
		"with only HALO_API_KEY set, the Halo tools and nothing else")
	assert.Empty(t, env.upstreamCalls(), "listing tools reaches no upstream")
}

// assertHintsAsServed: a read tool says readOnlyHint true and nothing the
// spec ignores; any other states destructiveHint; openWorldHint stays at
// its default, true (TestToolsListOverMCP checks the same on the wire).
func assertHintsAsServed(t *testing.T, tool mcp.Tool) {
	t.Helper()
	a := tool.Annotations
	if a.ReadOnlyHint != nil && *a.ReadOnlyHint {
		assert.Nil(t, a.DestructiveHint, "the spec reads destructiveHint only when readOnlyHint is false")
		assert.Nil(t, a.IdempotentHint, "the spec reads idempotentHint only when readOnlyHint is false")
	} else {
		assert.NotNil(t, a.DestructiveHint, "a tool that changes something states destructiveHint")
	}
	assert.Nil(t, a.OpenWorldHint, "true by default, as every tool is")
}

func TestHaloPCISummary(t *testing.T) {
	env := newHaloEnv(t, haloEnvOptions{})
	var got halo.Summary
	env.ok(t, "halo_pci_summary", "", &got)
	assert.Equal(t, halo.Summary{ReportCount: 2, LastReportID: 127345, Status: "approved"}, got)
	assert.Equal(t, []string{"GET pci/summary.json"}, env.upstreamCalls())
}

func TestHaloPCIListReports(t *testing.T) {
	tests := []struct {
		name, args, wantCall string
		wantIDs              []int64
	}{
		{"defaults", "", "GET pci/report-list.json?limit=100", []int64{127301, 127345}},
		{"second page", `{"start":1,"limit":1}`, "GET pci/report-list.json?limit=1&start=1", []int64{127345}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newHaloEnv(t, haloEnvOptions{})
			var got halo.ReportList
			env.ok(t, "halo_pci_list_reports", tt.args, &got)
			assert.EqualValues(t, 2, got.Pagination.Total)
			var ids []int64
			for _, r := range got.Reports {
				ids = append(ids, int64(r.PCIReportID))
			}
			assert.Equal(t, tt.wantIDs, ids)
			assert.Equal(t, []string{tt.wantCall}, env.upstreamCalls())
		})
	}
}

func TestHaloPCIGetReport(t *testing.T) {
	env := newHaloEnv(t, haloEnvOptions{})
	var got halo.ReportDetail
	env.ok(t, "halo_pci_get_report", `{"pci_report_id":127345}`, &got)
	assert.EqualValues(t, 127345, got.PCIReportID)
	assert.Equal(t, "2026 Q1 external ASV scan", string(got.Name))
	assert.Equal(t, "approved", string(got.Status))
	assert.Equal(t, "Dana Whitfield", string(got.AttestName))
	assert.Len(t, got.TargetIDs, 2)
	assert.Equal(t, []string{"GET pci/report-get.json?pci_report_id=127345"}, env.upstreamCalls())
}

func TestHaloPCIGetReportNotFound(t *testing.T) {
	env := newHaloEnv(t, haloEnvOptions{})
	text := env.failed(t, "halo_pci_get_report", `{"pci_report_id":99}`)
	assert.Equal(t, `PCI report 99 not found (Halo Security said: "Report Not Found"). List reports with halo_pci_list_reports to find valid ids.`, text)
}

// TestHaloInvalidArgumentsSendNothing: arguments the schema or check refuse
// never reach Halo.
func TestHaloInvalidArgumentsSendNothing(t *testing.T) {
	tests := []struct{ tool, args, want string }{
		{"halo_pci_list_reports", `{"limit":0}`, "limit: must be at least 1, not 0"},
		{"halo_pci_list_reports", `{"limit":1001}`, "limit: must be at most 1000, not 1001"},
		{"halo_list_targets", `{"start":-1}`, "start: must be at least 0, not -1"},
		{"halo_pci_get_report", `{}`, "pci_report_id: is required"},
		{"halo_pci_get_report", `{"pci_report_id":"12a"}`, `pci_report_id: "12a" is not an id: give a whole number of at least 1, as a number or a string of digits`},
		{"halo_pci_get_report", `{"pci_report_id":[12]}`, "pci_report_id: must be an integer or a string, not an array"},
		{"halo_get_scan", `{"scan_id":1.5}`, "scan_id: must be an integer or a string, not a number"},
		{"halo_get_target", `{"target_id":0}`, "target_id: must be at least 1, not 0"},
		{"halo_list_scans", `{"type":"newest"}`, "type: must be one of current, recent, prior, all, not newest"},
		{"halo_get_scan", `{"scan_id":"sc1&type=all"}`, `scan_id: "sc1&type=all" does not have the expected form`},
		{"halo_pci_summary", `{"verbose":true}`, "verbose: is not an argument of this tool"},
	}
	for _, tt := range tests {
		t.Run(tt.tool+" "+tt.args, func(t *testing.T) {
			env := newHaloEnv(t, haloEnvOptions{})
			text := env.failed(t, tt.tool, tt.args)
			assert.Equal(t, "Invalid arguments for "+tt.tool+": "+tt.want+". Nothing was sent to Halo Security.", text)
			assert.Empty(t, env.upstreamCalls())
		})
	}
}

func TestHaloBadAPIKey(t *testing.T) {
	const wrongKey = "marker-revoked-key-77c0"
	env := newHaloEnv(t, haloEnvOptions{apiKey: wrongKey})
	text := env.failed(t, "halo_pci_summary", "")
	assert.Contains(t, text, "Halo Security rejected the API key (HTTP 401): check HALO_API_KEY")
	assert.NotContains(t, text, wrongKey)
}
