package tools

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/providers/qualys/qualyssim"
)

// TestComplianceReportAgainstSandbox: the demo's failing host is named
// first; a scan of the IPv6 host, waited for, adds the special note its SSH
// service raises; an unfinished scan is refused with a sentence.
func TestComplianceReportAgainstSandbox(t *testing.T) {
	clock := newFakeClock()
	sim, err := qualyssim.Start(qualyssim.Options{Now: clock.Now, QueuedFor: time.Minute, RunningFor: 5 * time.Minute})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	env := newTestEnv(t, withQualysSim(t, sim), withPollClock(clock))

	res := env.call(t, "qualys_compliance_report", `{}`)
	require.False(t, res.IsError, resultText(t, res))
	out := structured(t, res)
	assert.Contains(t, out["summary"], "203.0.113.11")
	assert.Contains(t, out["nonCompliantIps"], "203.0.113.11")
	assert.NotContains(t, out["nonCompliantIps"], "203.0.113.12", "its finding passes PCI")
	assert.Contains(t, out["other"], "reportDate", "what the client cannot name still reaches the person")

	res = env.call(t, "qualys_launch_scan", `{"title":"IPv6 host","target_ips":["2001:db8:4c1::80"]}`)
	require.False(t, res.IsError, resultText(t, res))
	res = env.call(t, "qualys_compliance_report", `{"scan_id":10988}`)
	require.True(t, res.IsError)
	assert.Contains(t, resultText(t, res), "has not finished")

	res = env.call(t, "qualys_wait_for_scan", `{"scan_id":10988,"timeout_seconds":3600}`)
	require.Equal(t, true, structured(t, res)["finished"], resultText(t, res))
	sim.ClearRequests()
	res = env.call(t, "qualys_compliance_report", `{"scan_id":"10988"}`)
	require.False(t, res.IsError, resultText(t, res))
	out = structured(t, res)
	assert.Contains(t, out["summary"], "1 special note: Remote Access on 2001:db8:4c1::80.")
	notes := out["specialNotes"].([]any)
	require.Len(t, notes, 1)
	assert.Equal(t, float64(38739), notes[0].(map[string]any)["qid"])

	got := sim.Requests()
	require.Len(t, got, 1)
	assert.Equal(t, "GET /pci/reporting/reportGeneration/fetch scanId=10988", got[0].Method+" "+got[0].Path+" "+got[0].RawQuery)
}

// TestComplianceReportWire: against a fake, the call and its query, an
// answer of unexpected shape kept whole, and Qualys's 404 as a sentence.
func TestComplianceReportWire(t *testing.T) {
	env := newTestEnv(t)
	env.qualys.on("GET /pci/reporting/reportGeneration/fetch", http.StatusOK,
		`{"responseApiVersion":"V1","data":{"assetDetails":"unexpected","asvStatus":"In Review"}}`)
	res := env.call(t, "qualys_compliance_report", `{}`)
	require.False(t, res.IsError, resultText(t, res))
	out := structured(t, res)
	assert.Equal(t, "No scanned assets in the report yet.", out["summary"])
	assert.Equal(t, map[string]any{"assetDetails": "unexpected", "asvStatus": "In Review"}, out["other"])

	env.qualys.on("GET /pci/reporting/reportGeneration/fetch", http.StatusNotFound, `{"errors":[{"code":404,"message":"Scan not found"}]}`)
	res = env.call(t, "qualys_compliance_report", `{"scan_id":77}`)
	require.True(t, res.IsError)
	assert.Contains(t, resultText(t, res), "scan 77 not found")

	got := env.qualys.requests()
	require.Len(t, got, 2)
	assert.Equal(t, "GET /pci/reporting/reportGeneration/fetch ", got[0].Method+" "+got[0].Path+" "+got[0].RawQuery)
	assert.Equal(t, "GET /pci/reporting/reportGeneration/fetch scanId=77", got[1].Method+" "+got[1].Path+" "+got[1].RawQuery)
}
