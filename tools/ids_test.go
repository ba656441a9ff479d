package tools

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestQualysIDsAsModelsSendThem: an integer id given as a string of digits
// reaches Qualys as the same id, and the answer spells it as a number.
func TestQualysIDsAsModelsSendThem(t *testing.T) {
	const vuln = `{"responseApiVersion":"V1","data":{"title":"TLS 1.0 enabled","qid":38628,"severity":3,"pciCompliant":"No"}}`
	tests := []struct {
		tool, args, route, body, idField string
	}{
		{"qualys_get_scan", `{"scan_id":"4242"}`, "GET /pci/scan/4242/details", benchScanDetails, "scanId"},
		{"qualys_get_scan", `{"scan_id":4242}`, "GET /pci/scan/4242/details", benchScanDetails, "scanId"},
		{"qualys_get_vulnerability", `{"id":"10987"}`, "GET /pci/vuln/10987/details", vuln, "id"},
		{"qualys_get_vulnerability", `{"id":10987}`, "GET /pci/vuln/10987/details", vuln, "id"},
	}
	for _, tt := range tests {
		t.Run(tt.tool+" "+tt.args, func(t *testing.T) {
			env := newTestEnv(t)
			env.qualys.on(tt.route, http.StatusOK, tt.body)
			res := env.call(t, tt.tool, tt.args)
			require.False(t, res.IsError, resultText(t, res))
			got := env.qualys.requests()
			require.Len(t, got, 1)
			assert.Equal(t, tt.route, got[0].Method+" "+got[0].Path)
			id := structured(t, res)[tt.idField]
			assert.IsType(t, float64(0), id, "the answer spells the id as a number")
		})
	}
}

// TestHaloIDsAsModelsSendThem: a Halo scan or event id given as a number is
// sent as its digits; integer ids given as strings reach Halo as the same
// ids.
func TestHaloIDsAsModelsSendThem(t *testing.T) {
	env := newHaloEnv(t, haloEnvOptions{})
	text := env.failed(t, "halo_get_scan", `{"scan_id":48290}`)
	assert.Contains(t, text, "scan 48290 not found", "the simulator's scans are sc…, so 48290 is an unknown id, asked for as such")
	assert.Equal(t, []string{"GET scan/get.json?scan_id=48290"}, env.upstreamCalls())

	env.failed(t, "halo_get_event", `{"event_id":730001}`)
	assert.Equal(t, "GET event/get.json?event_id=730001", env.upstreamCalls()[1], "an event id given as a number is sent as its digits")

	var scan map[string]any
	env.ok(t, "halo_get_scan", `{"scan_id":"sc48290"}`, &scan)
	assert.Equal(t, "sc48290", scan["scan_id"])

	var target map[string]any
	env.ok(t, "halo_get_target", `{"target_id":"5"}`, &target)
	assert.EqualValues(t, 5, target["target_id"])

	var report map[string]any
	env.ok(t, "halo_pci_get_report", `{"pci_report_id":"127345"}`, &report)
	assert.EqualValues(t, 127345, report["pci_report_id"])
	assert.Equal(t, "GET pci/report-get.json?pci_report_id=127345", env.upstreamCalls()[len(env.upstreamCalls())-1])
}

// TestAttestIDsAsModelsSendThemAndSecureIsABoolean: halo_pci_attest takes
// question, target and issue ids as strings of digits; the token issued for
// them confirms the same attestation with the ids as numbers; Halo receives
// one attestation; and the report then shows each note's secure as the
// boolean halo_pci_attest took, never as "1".
func TestAttestIDsAsModelsSendThemAndSecureIsABoolean(t *testing.T) {
	env := newHaloEnv(t, haloEnvOptions{})
	env.clock.Advance(haloScanDelay)
	var start haloStartResult
	env.ok(t, "halo_pci_start_attestation", "", &start)

	numeric := attestArgs(t, start.AttestationID)
	var args map[string]any
	require.NoError(t, json.Unmarshal([]byte(numeric), &args))
	for _, q := range args["questions"].([]any) {
		q := q.(map[string]any)
		q["id"] = mustJSON(t, q["id"])
	}
	for _, n := range args["notes"].([]any) {
		n := n.(map[string]any)
		n["target_id"], n["issue_id"] = mustJSON(t, n["target_id"]), mustJSON(t, n["issue_id"])
	}
	asStrings := mustJSON(t, args)
	require.Contains(t, asStrings, `"id":"1"`)
	require.Contains(t, asStrings, `"target_id":"5"`)

	first := env.call(t, "halo_pci_attest", asStrings)
	require.False(t, first.IsError, allText(first))
	token := structured(t, first)["confirmation_token"].(string)

	withToken := strings.TrimSuffix(numeric, "}") + `,"confirmation_token":"` + token + `"}`
	done := env.call(t, "halo_pci_attest", withToken)
	require.False(t, done.IsError, allText(done))
	assert.Equal(t, "done", structured(t, done)["status"])
	reportID := structured(t, done)["result"].(map[string]any)["pci_report_id"]

	var report struct {
		Notes []map[string]any `json:"notes"`
	}
	env.ok(t, "halo_pci_get_report", mustJSON(t, map[string]any{"pci_report_id": reportID}), &report)
	require.Len(t, report.Notes, 2)
	secure := map[float64]any{}
	for _, n := range report.Notes {
		secure[n["target_id"].(float64)] = n["secure"]
	}
	assert.Equal(t, map[float64]any{5: true, 9: false}, secure, "completeAttest answers target 5 secure, target 9 not")
}
