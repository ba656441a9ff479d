package tools

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/providers/halo"
)

// haloStartResult is halo_pci_start_attestation's structured result as a
// client decodes it.
type haloStartResult struct {
	Summary            string               `json:"summary"`
	CanAttest          bool                 `json:"can_attest"`
	AttestationID      string               `json:"attestation_id"`
	Attestation        string               `json:"attestation"`
	TargetCount        int                  `json:"target_count"`
	TargetsOOS         int                  `json:"target_hosts_oos"`
	TargetsRequireScan []haloBlockingTarget `json:"targets_require_scan"`
	TargetsHaveVulns   []haloBlockingTarget `json:"targets_has_vuln"`
	Questions          []halo.Question      `json:"questions"`
	Notes              []halo.Note          `json:"notes"`
}

const haloDemoAttestNeeds = ", report_name, attest_person_name, attest_person_title, an answer yes or no to questions 1, 2, 3 and 4, " +
	"and secure true or false with a response for notes 4101 (target_id 5, issue_id 20342) and 4102 (target_id 9, issue_id 20117). " +
	"Show the person the attestation, questions and notes first: they sign it."

// TestHaloStartNamesBlockersUntilScansFinish: at first the demo merchant's
// payments API needs its first scan and the storefront has a vulnerability;
// once their scans finish, nothing blocks and the summary says what
// halo_pci_attest needs.
func TestHaloStartNamesBlockersUntilScansFinish(t *testing.T) {
	env := newHaloEnv(t, haloEnvOptions{})

	var blocked haloStartResult
	env.ok(t, "halo_pci_start_attestation", "", &blocked)
	assert.Equal(t, "1 target must be scanned before you can attest: api.example.com (id 7). "+
		"1 target has vulnerabilities to resolve before you can attest: shop.example.com (id 5). "+
		"Follow their scans with halo_get_target and halo_get_scan; once the scans have finished and the vulnerabilities are fixed, "+
		"call halo_pci_start_attestation again.", blocked.Summary)
	assert.False(t, blocked.CanAttest)
	assert.Equal(t, []haloBlockingTarget{{TargetID: 7, Host: "api.example.com", Name: "Payments API"}}, blocked.TargetsRequireScan)
	assert.Equal(t, []haloBlockingTarget{{TargetID: 5, Host: "shop.example.com", Name: "Storefront"}}, blocked.TargetsHaveVulns)
	assert.Equal(t, 3, blocked.TargetCount)
	assert.Equal(t, 1, blocked.TargetsOOS)
	assert.Contains(t, blocked.Attestation, "Example Shop Ltd. attests that this scan includes all components")
	assert.Len(t, blocked.Questions, 4)
	assert.Len(t, blocked.Notes, 2)
	calls := env.upstreamCalls()
	require.Len(t, calls, 3)
	assert.Equal(t, "GET pci/start.json", calls[0])
	assert.ElementsMatch(t, []string{"GET target/get.json?target_id=7", "GET target/get.json?target_id=5"}, calls[1:],
		"each blocking target looked up once")

	env.clock.Advance(haloScanDelay)
	var clear haloStartResult
	env.ok(t, "halo_pci_start_attestation", "", &clear)
	assert.True(t, clear.CanAttest)
	assert.Empty(t, clear.TargetsRequireScan)
	assert.Empty(t, clear.TargetsHaveVulns)
	assert.NotEqual(t, blocked.AttestationID, clear.AttestationID, "every start is a fresh attestation")
	assert.Equal(t, "Nothing blocks attesting. halo_pci_attest needs attestation_id "+clear.AttestationID+haloDemoAttestNeeds, clear.Summary)
	assert.NotContains(t, clear.Summary, "must be scanned")
	assert.Len(t, env.upstreamCalls(), 4, "nothing to look up when nothing blocks")
}

func TestHaloStartWithNothingInScope(t *testing.T) {
	env := newHaloEnv(t, haloEnvOptions{empty: true})
	text := env.failed(t, "halo_pci_start_attestation", "")
	assert.Equal(t, `Halo Security refused halo_pci_start_attestation (HTTP 400) (Halo Security said: "no targets in pci scope"). `+
		`Nothing can be attested until at least one target is in PCI scope: put the hosts that handle card data in PCI scope in Halo Security `+
		`(halo_list_targets shows the account's targets), then call halo_pci_start_attestation again.`, text)
	assert.Equal(t, []string{"GET pci/start.json"}, env.upstreamCalls())
}

// TestHaloStartSurvivesAFailedLookup: a target Halo cannot describe is
// named by id, and the attestation is still returned.
func TestHaloStartSurvivesAFailedLookup(t *testing.T) {
	env := newHaloEnv(t, haloEnvOptions{wrap: func(sim http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/api/v1/target/get.json" && r.URL.Query().Get("target_id") == "7" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = io.WriteString(w, `{"code":503,"message":"try again later"}`)
				return
			}
			sim.ServeHTTP(w, r)
		})
	}})
	var got haloStartResult
	env.ok(t, "halo_pci_start_attestation", "", &got)
	assert.Equal(t, []haloBlockingTarget{{TargetID: 7}}, got.TargetsRequireScan)
	assert.Equal(t, []haloBlockingTarget{{TargetID: 5, Host: "shop.example.com", Name: "Storefront"}}, got.TargetsHaveVulns)
	assert.Contains(t, got.Summary, "1 target must be scanned before you can attest: target 7 (name unavailable).")
	assert.Contains(t, got.Summary, "1 target has vulnerabilities to resolve before you can attest: shop.example.com (id 5).")
	assert.NotEmpty(t, got.AttestationID)
	assert.Len(t, got.Questions, 4)
}

// TestHaloStartLooksUpOnlyWhatItNames: with many blockers, only the targets
// the summary lists are looked up, from both lists, each once.
func TestHaloStartLooksUpOnlyWhatItNames(t *testing.T) {
	var mu sync.Mutex
	var lookedUp []string
	env := newHaloEnv(t, haloEnvOptions{wrap: func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if r.URL.Path == "/api/v1/target/get.json" {
				id := r.URL.Query().Get("target_id")
				mu.Lock()
				lookedUp = append(lookedUp, id)
				mu.Unlock()
				fmt.Fprintf(w, `{"target":{"target_id":%s,"target":"t%s.example.com","target_name":"T%s"}}`, id, id, id)
				return
			}
			_, _ = io.WriteString(w, `{"id":"6f1c2b7e-3d4a-4e5f-8a9b-0c1d2e3f4a5b","attestation":"text","target_count":20,"target_hosts_oos":0,`+
				`"target_ids_require_scan":[1,2,3,4,5,6,7,8,9,10,11,12],"target_ids_has_vuln":[3,30,31],"questions":[],"notes":[]}`)
		})
	}})
	var got haloStartResult
	env.ok(t, "halo_pci_start_attestation", "", &got)
	assert.ElementsMatch(t, []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "30", "31"}, lookedUp)
	assert.Equal(t, haloBlockingTarget{TargetID: 12}, got.TargetsRequireScan[11], "beyond the summary: id only")
	assert.Equal(t, haloBlockingTarget{TargetID: 31, Host: "t31.example.com", Name: "T31"}, got.TargetsHaveVulns[2])
	assert.Contains(t, got.Summary, "12 targets must be scanned before you can attest: t1.example.com (id 1), ")
	assert.Contains(t, got.Summary, "t10.example.com (id 10) and 2 more.")
	assert.Contains(t, got.Summary, "3 targets have vulnerabilities to resolve before you can attest: t3.example.com (id 3), t30.example.com (id 30) and t31.example.com (id 31).")
	assert.NotContains(t, got.Summary, "name unavailable")
}

func TestHaloStartSummary(t *testing.T) {
	many := make([]haloBlockingTarget, 12)
	for i := range many {
		many[i] = haloBlockingTarget{TargetID: int64(i + 1), Host: "h" + string(rune('a'+i)) + ".example.com"}
	}
	many[1].Host = ""
	tests := []struct {
		name string
		out  haloStartOutput
		want string
	}{
		{"many targets, one unnamed, listed up to the bound",
			haloStartOutput{TargetsRequireScan: many},
			"12 targets must be scanned before you can attest: ha.example.com (id 1), target 2 (name unavailable), hc.example.com (id 3), " +
				"hd.example.com (id 4), he.example.com (id 5), hf.example.com (id 6), hg.example.com (id 7), hh.example.com (id 8), " +
				"hi.example.com (id 9), hj.example.com (id 10) and 2 more. " +
				"Follow their scans with halo_get_target and halo_get_scan; once the scans have finished and the vulnerabilities are fixed, call halo_pci_start_attestation again."},
		{"two with vulnerabilities",
			haloStartOutput{TargetsHaveVulns: many[:2]},
			"2 targets have vulnerabilities to resolve before you can attest: ha.example.com (id 1) and target 2 (name unavailable). " +
				"Follow their scans with halo_get_target and halo_get_scan; once the scans have finished and the vulnerabilities are fixed, call halo_pci_start_attestation again."},
		{"one question, no notes",
			haloStartOutput{AttestationID: "A", Questions: []halo.Question{{ID: 1}}, Notes: []halo.Note{}},
			"Nothing blocks attesting. halo_pci_attest needs attestation_id A, report_name, attest_person_name, attest_person_title, " +
				"an answer yes or no to question 1, and notes: [] (none to answer). Show the person the attestation, questions and notes first: they sign it."},
		{"one note, no questions",
			haloStartOutput{AttestationID: "A", Notes: []halo.Note{{ID: 8, TargetID: 2, IssueID: 3}}},
			"Nothing blocks attesting. halo_pci_attest needs attestation_id A, report_name, attest_person_name, attest_person_title, " +
				"questions: [] (none asked), and secure true or false with a response for note 8 (target_id 2, issue_id 3). Show the person the attestation, questions and notes first: they sign it."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.out.summary())
		})
	}
}
