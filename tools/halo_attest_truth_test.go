package tools

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// signingEnv is a Halo environment whose client signs every question as
// Dana Whitfield; the clock is where the simulator starts (scans running,
// so starts list blockers).
func signingEnv(t *testing.T) (*haloEnv, *elicitor) {
	t.Helper()
	e := &elicitor{answer: accept(map[string]any{"confirm": true, "signature": "Dana Whitfield"})}
	return newHaloEnv(t, haloEnvOptions{clientOptions: []client.ClientOption{client.WithElicitationHandler(e)}}), e
}

func attestCalls(env *haloEnv) int {
	n := 0
	for _, c := range env.upstreamCalls() {
		if strings.HasPrefix(c, "POST pci/attest.json") {
			n++
		}
	}
	return n
}

// TestHaloAttestKnownBlockedIsRefusedBeforeAsking: the start this server
// remembers listed blockers, so nobody is asked to sign an attestation that
// would fail; the refusal names the blocking hosts and what to do.
func TestHaloAttestKnownBlockedIsRefusedBeforeAsking(t *testing.T) {
	env, e := signingEnv(t)
	var start haloStartResult
	env.ok(t, "halo_pci_start_attestation", "", &start)
	require.False(t, start.CanAttest, "the simulator's scans are still running")
	require.NotEmpty(t, start.TargetsRequireScan)
	env.clock.Advance(haloScanDelay) // the blockers clear, but this start listed them

	text := env.failed(t, "halo_pci_attest", attestArgs(t, start.AttestationID))
	assert.Contains(t, text, "Invalid arguments for halo_pci_attest: attestation_id: attestation "+start.AttestationID+" cannot succeed: when it was started, targets stood in the way (must be scanned first: ")
	assert.Contains(t, text, start.TargetsRequireScan[0].label())
	assert.Contains(t, text, "run halo_pci_start_attestation again and attest with its new attestation_id")
	assert.Contains(t, text, "Nothing was sent to Halo Security.")
	assert.Empty(t, e.asked, "nobody is asked to sign")
	assert.Zero(t, attestCalls(env))
}

// TestHaloAttestUnseenIDSaysSo: an attestation whose start this server did
// not see is still put to the person, with the preview saying plainly that
// nothing could be checked against its start.
func TestHaloAttestUnseenIDSaysSo(t *testing.T) {
	env, e := signingEnv(t)
	env.clock.Advance(haloScanDelay)
	elsewhere, err := env.halo.StartAttestation(context.Background()) // e.g. in Halo's web UI
	require.NoError(t, err)

	res := env.call(t, "halo_pci_attest", attestArgs(t, string(elsewhere.ID)))
	require.False(t, res.IsError, allText(res))
	require.Len(t, e.asked, 1)
	assert.Contains(t, e.asked[0].Params.Message,
		"Warning — This server did not start attestation "+string(elsewhere.ID)+" (or no longer remembers it): it cannot check the answers against what the start asked, nor whether targets block it")
	assert.Equal(t, 1, attestCalls(env))
}

// TestHaloAttestFailureAdviceFitsItsCause: after the person signed, a
// failure advises a new start only when Halo no longer knows the id;
// a refusal for another reason says to resolve what Halo names.
func TestHaloAttestFailureAdviceFitsItsCause(t *testing.T) {
	env, _ := signingEnv(t)
	unknown := env.failed(t, "halo_pci_attest", attestArgs(t, "19610641-126d-48eb-af6c-871983eb9c67"))
	assert.Contains(t, unknown, "pci attestation not found")
	assert.Contains(t, unknown, "run halo_pci_start_attestation and attest with its new attestation_id")

	elsewhere, err := env.halo.StartAttestation(context.Background())
	require.NoError(t, err)
	in := completeAttest()
	in.AttestationID = string(elsewhere.ID)
	in.Questions = in.Questions[:2] // Halo refuses: questions 3 and 4 unanswered
	args, err := json.Marshal(in)
	require.NoError(t, err)
	refused := env.failed(t, "halo_pci_attest", string(args))
	assert.Contains(t, refused, "resolve what Halo's message names, then call halo_pci_attest again")
	assert.NotContains(t, refused, "halo_pci_start_attestation", "a fresh start does not fix unanswered questions")
}
