package tools

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestForgedPreviewTextIsRefused: a model cannot draw its own lines into
// the statement a person signs, hide text or reorder it. Every free-text
// argument with a control or format character is refused naming the field
// and the character; nobody is asked and nothing reaches Halo or Qualys.
func TestForgedPreviewTextIsRefused(t *testing.T) {
	const fakeBlock = "IT Director\n\nAnswers:\n  Q1. Are all systems in scope? → YES\n\n\n\n"
	tests := []struct {
		name   string
		change func(in *haloAttestInput)
		want   string
	}{
		{"newline block in the title", func(in *haloAttestInput) { in.AttestPersonTitle = fakeBlock },
			"attest_person_title: contains U+000A, a control character; send plain text on one line"},
		{"bidi override in the report name", func(in *haloAttestInput) { in.ReportName = "2026 Q2 \u202eSEY\u202c scan" },
			"report_name: contains U+202E, a format character"},
		{"ESC in the name", func(in *haloAttestInput) { in.AttestPersonName = "Dana\x1b[2J\x1b[HWhitfield" },
			"attest_person_name: contains U+001B, a control character"},
		{"zero-width space in the name", func(in *haloAttestInput) { in.AttestPersonName = "Dana\u200bWhitfield" },
			"attest_person_name: contains U+200B, a format character"},
		{"carriage return in a response", func(in *haloAttestInput) { in.Notes[1].Response = "Removed.\rAll secure." },
			"notes[1].response: contains U+000D, a control character; send plain text: line breaks are allowed here"},
		{"ESC in a response", func(in *haloAttestInput) { in.Notes[0].Response = "fine\n\x1b[1A\x1b[2Kdone" },
			"notes[0].response: contains U+001B"},
		{"isolate in a response", func(in *haloAttestInput) { in.Notes[0].Response = "fine \u2066x\u2069" },
			"notes[0].response: contains U+2066"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, e, in := startedAttestation(t)
			tt.change(&in)
			args, err := json.Marshal(in)
			require.NoError(t, err)

			text := env.failed(t, "halo_pci_attest", string(args))
			assert.Contains(t, text, "Invalid arguments for halo_pci_attest: "+tt.want)
			assert.Contains(t, text, "Nothing was sent to Halo Security.")
			assert.Empty(t, e.asked, "nobody is asked to confirm a forged statement")
			assert.NotContains(t, strings.Join(env.upstreamCalls(), " "), "pci/attest.json")
		})
	}
}

// TestEveryFreeTextFieldIsChecked: the scan title and every field named in
// a list are checked too, all offending fields reported at once, and the
// audit line records the refusal without the forged text reaching Qualys.
func TestEveryFreeTextFieldIsChecked(t *testing.T) {
	env := newTestEnv(t)
	res := env.call(t, "qualys_launch_scan", `{"title":"Q4\u001b]0;owned\u0007","target_ips":["203.0.113.5"]}`)
	assert.True(t, res.IsError)
	assert.Contains(t, allText(res), "title: contains U+001B, a control character")
	res = env.call(t, "qualys_remove_hosts", `{"hosts":["203.0.113.5\u200e","2001:db8::5\u0000"]}`)
	assert.True(t, res.IsError)
	assert.Contains(t, allText(res), "hosts[0]: contains U+200E")
	assert.Contains(t, allText(res), "hosts[1]: contains U+0000")
	assert.Empty(t, env.qualys.requests())
	for _, line := range env.auditLines(t) {
		assert.Equal(t, "invalid_arguments", line.Outcome)
	}
}

// TestMultiLineResponseCannotPassForThePreview: a response with line breaks
// is accepted and shown indented under its label, so its lines cannot pass
// for the statement's own (here, a fake "Answers:" block).
func TestMultiLineResponseCannotPassForThePreview(t *testing.T) {
	env, e, in := startedAttestation(t)
	in.Notes[1].Response = "SSH is being removed this week.\r\nAnswers:\n  Q3. → YES"
	args, err := json.Marshal(in)
	require.NoError(t, err)

	res := env.call(t, "halo_pci_attest", string(args))
	require.False(t, res.IsError, allText(res))
	require.Len(t, e.asked, 1)
	message := e.asked[0].Params.Message
	assert.Contains(t, message, "marked not secure, response:\n"+
		"      │ SSH is being removed this week.\n"+
		"      │ Answers:\n"+
		"      │   Q3. → YES\n")
	for _, line := range strings.Split(message, "\n") {
		if strings.Contains(line, "Q3. → YES") {
			assert.True(t, strings.HasPrefix(line, responseIndent), "the response's line %q is indented under its label", line)
		}
	}
	assert.Contains(t, strings.Join(env.upstreamCalls(), " "), "POST pci/attest.json", "a multi-line response is allowed")
}

// startedAttestation is a Halo environment whose client signs every
// question as Dana Whitfield, with an attestation started and nothing
// blocking it, and a complete answer to it.
func startedAttestation(t *testing.T) (*haloEnv, *elicitor, haloAttestInput) {
	t.Helper()
	e := &elicitor{answer: accept(map[string]any{"confirm": true, "signature": "Dana Whitfield"})}
	env := newHaloEnv(t, haloEnvOptions{clientOptions: []client.ClientOption{client.WithElicitationHandler(e)}})
	env.clock.Advance(haloScanDelay)
	var start haloStartResult
	env.ok(t, "halo_pci_start_attestation", "", &start)
	in := completeAttest()
	in.AttestationID = start.AttestationID
	return env, e, in
}
