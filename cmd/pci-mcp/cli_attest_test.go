package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/providers/halo/halosim"
)

// haloSim starts a Halo simulator whose demo scans are already finished,
// so nothing blocks attesting, and returns an environment pointing pci-mcp
// at it.
func haloSim(t *testing.T) (*halosim.Server, func(string) string) {
	t.Helper()
	sim, err := halosim.Start(halosim.Options{ScanFinishesAfter: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	return sim, env("HALO_API_KEY", halosim.SandboxAPIKey, "HALO_API_URL", sim.URL)
}

// attestArgs answers every question and note of the demo merchant's
// attestation, signed by Dana Whitfield.
func attestArgs(attestationID string) string {
	return fmt.Sprintf(`{
		"attestation_id": %q, "report_name": "2026 Q4 external ASV scan",
		"attest_person_name": "Dana Whitfield", "attest_person_title": "IT Director",
		"questions": [{"id": 1, "answer": "yes"}, {"id": 2, "answer": "yes"}, {"id": 3, "answer": "yes"}, {"id": 4, "answer": "yes"}],
		"notes": [
			{"target_id": 5, "issue_id": 20342, "secure": true, "response": "Our payment provider's widget, pinned and monitored."},
			{"target_id": 9, "issue_id": 20117, "secure": true, "response": "SSH from the office range only, keys only."}
		]}`, attestationID)
}

// startAttestation calls halo_pci_start_attestation and returns the id.
func startAttestation(t *testing.T, getenv func(string) string) string {
	t.Helper()
	code, stdout, stderr := runCall(t, getenv, "", "halo_pci_start_attestation")
	require.Equal(t, exitOK, code, stderr)
	var started struct {
		CanAttest     bool   `json:"can_attest"`
		AttestationID string `json:"attestation_id"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &started))
	require.True(t, started.CanAttest, stdout)
	return started.AttestationID
}

// attests counts the attestations that reached Halo.
func attests(sim *halosim.Server) int {
	n := 0
	for _, r := range sim.Simulator.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/pci/attest.json") {
			n++
		}
	}
	return n
}

func TestCallAttestsWithYesSigningAsAttestPersonName(t *testing.T) {
	sim, getenv := haloSim(t)
	id := startAttestation(t, getenv)

	code, stdout, stderr := runCall(t, getenv, "", "halo_pci_attest", attestArgs(id))
	assert.Equal(t, exitUsage, code, "no terminal, no --yes: refused")
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "halo_pci_attest needs a person's confirmation, and nothing was sent")
	assert.Zero(t, attests(sim))

	code, stdout, stderr = runCall(t, getenv, "", "--yes", "halo_pci_attest", attestArgs(id))
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "Signed by: “Dana Whitfield”, “IT Director”", "the preview is shown")
	assert.Contains(t, stdout, `"status":"done"`)
	assert.Contains(t, stdout, `"pci_report_id":127346`)
	assert.Equal(t, 1, attests(sim))

	code, stdout, _ = runCall(t, getenv, "", "halo_pci_get_report", `{"pci_report_id": 127346}`)
	require.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "2026 Q4 external ASV scan")
}

// TestCallAttestSignedAtTheTerminal: the person types y and then their name;
// a name other than attest_person_name sends nothing.
func TestCallAttestSignedAtTheTerminal(t *testing.T) {
	tests := []struct {
		name     string
		typed    string
		wantDone bool
		want     string
	}{
		{"signed", "y\n  dana whitfield \n", true, `"status":"done"`},
		{"someone else's name", "y\nChris Doe\n", false, `the signature "Chris Doe" does not match attest_person_name "Dana Whitfield"`},
		{"declined", "n\n", false, `"status":"cancelled"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, getenv := haloSim(t)
			id := startAttestation(t, getenv)
			var args map[string]any
			require.NoError(t, json.Unmarshal([]byte(attestArgs(id)), &args))
			var prompt bytes.Buffer
			conf := &confirmer{interactive: true, in: strings.NewReader(tt.typed), out: &prompt, personName: "Dana Whitfield"}
			res := callThrough(t, getenv, conf, "halo_pci_attest", args)
			var text strings.Builder
			require.NoError(t, printResult(&text, res, false, false))
			assert.Contains(t, text.String(), tt.want)
			assert.Equal(t, !tt.wantDone && !strings.Contains(tt.want, "cancelled"), res.IsError)
			assert.Contains(t, prompt.String(), "Proceed? [y/N] ")
			if tt.wantDone {
				assert.Contains(t, prompt.String(), "Type your full name to sign: ")
				assert.Equal(t, 1, attests(sim))
			} else {
				assert.Zero(t, attests(sim), "nothing reached Halo")
			}
		})
	}
}
