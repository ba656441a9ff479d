package tools

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/providers/halo"
	"github.com/pci-mcp/pci-mcp/tools/guard"
)

const testAttestationID = "977b8ab9-417a-45a5-a689-6768f4680b0d"

// demoStart asks what the simulator's demo merchant is asked: questions 1-4
// and notes 4101 and 4102.
func demoStart() *halo.Attestation {
	return &halo.Attestation{
		ID:        testAttestationID,
		Questions: []halo.Question{{ID: 1}, {ID: 2}, {ID: 3}, {ID: 4}},
		Notes: []halo.Note{
			{ID: 4101, TargetID: 5, IssueID: 20342, TargetHost: "shop.example.com"},
			{ID: 4102, TargetID: 9, IssueID: 20117, TargetHost: "2001:db8:4a7f:10::25"},
		},
	}
}

// completeAttest answers everything demoStart asks.
func completeAttest() haloAttestInput {
	return haloAttestInput{
		AttestationID: testAttestationID, ReportName: "2026 Q2 external ASV scan",
		AttestPersonName: "Dana Whitfield", AttestPersonTitle: "IT Director",
		Questions: []haloQuestionAnswer{{1, "yes"}, {2, "yes"}, {3, "no"}, {4, "yes"}},
		Notes: []haloNoteAnswer{
			{TargetID: 5, IssueID: 20342, Secure: true, Response: "The widget is our payment provider's, loaded with SRI."},
			{TargetID: 9, IssueID: 20117, Secure: false, Response: "SSH is being removed this week."},
		},
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestHaloAttestCheck(t *testing.T) {
	tests := []struct {
		name   string
		change func(*haloAttestInput)
		want   string
	}{
		{"complete", func(*haloAttestInput) {}, ""},
		{"upper-case UUID", func(in *haloAttestInput) { in.AttestationID = "977B8AB9-417A-45A5-A689-6768F4680B0D" }, ""},
		{"not a UUID", func(in *haloAttestInput) { in.AttestationID = "attestation-1" },
			`attestation_id: "attestation-1" is not a UUID; pass the attestation_id halo_pci_start_attestation returned`},
		{"UUID without dashes", func(in *haloAttestInput) { in.AttestationID = "977b8ab9417a45a5a6896768f4680b0d" },
			`attestation_id: "977b8ab9417a45a5a6896768f4680b0d" is not a UUID; pass the attestation_id halo_pci_start_attestation returned`},
		{"blank report name", func(in *haloAttestInput) { in.ReportName = " \t" }, "report_name: must not be blank"},
		{"blank person and title", func(in *haloAttestInput) { in.AttestPersonName, in.AttestPersonTitle = " ", " " },
			"attest_person_name: must not be blank; attest_person_title: must not be blank"},
		{"blank response", func(in *haloAttestInput) { in.Notes[1].Response = "  " }, "notes[1].response: must not be blank"},
		{"question answered twice", func(in *haloAttestInput) { in.Questions[3].ID = 1 },
			"questions[3]: question 1 is answered twice; answer each question once"},
		{"note answered twice", func(in *haloAttestInput) { in.Notes[1].TargetID, in.Notes[1].IssueID = 5, 20342 },
			"notes[1]: the note for target_id 5 and issue_id 20342 is answered twice; answer each note once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := completeAttest()
			tt.change(&in)
			assert.Equal(t, tt.want, errText(in.check()))
		})
	}
}

func TestHaloAttestCheckTrims(t *testing.T) {
	in := completeAttest()
	in.ReportName, in.AttestationID, in.Notes[0].Response = " Q2 ", " "+testAttestationID+"\n", " ok "
	require.NoError(t, in.check())
	assert.Equal(t, "Q2", in.ReportName)
	assert.Equal(t, testAttestationID, in.AttestationID)
	assert.Equal(t, "ok", in.Notes[0].Response)
}

func TestHaloAttestCheckAgainstStart(t *testing.T) {
	tests := []struct {
		name   string
		start  func(*halo.Attestation)
		change func(*haloAttestInput)
		want   string
	}{
		{"every question and note answered", nil, nil, ""},
		{"answers in another order", nil, func(in *haloAttestInput) {
			in.Questions[0], in.Questions[3] = in.Questions[3], in.Questions[0]
			in.Notes[0], in.Notes[1] = in.Notes[1], in.Notes[0]
		}, ""},
		{"one question missing", nil, func(in *haloAttestInput) { in.Questions = in.Questions[:3] },
			"questions: question 4 is not answered; answer each yes or no"},
		{"two questions missing", nil, func(in *haloAttestInput) { in.Questions = []haloQuestionAnswer{{1, "yes"}, {3, "yes"}} },
			"questions: questions 2 and 4 are not answered; answer each yes or no"},
		{"no answers at all", nil, func(in *haloAttestInput) { in.Questions, in.Notes = nil, nil },
			"questions: questions 1, 2, 3 and 4 are not answered; answer each yes or no; " +
				"notes: notes 4101 (target_id 5, issue_id 20342) and 4102 (target_id 9, issue_id 20117) are not answered; give secure and a response for each"},
		{"question start did not ask", nil, func(in *haloAttestInput) { in.Questions = append(in.Questions, haloQuestionAnswer{7, "yes"}) },
			"questions[4]: question 7 was not asked by attestation " + testAttestationID + "; it asks 1, 2, 3 and 4"},
		{"one note missing", nil, func(in *haloAttestInput) { in.Notes = in.Notes[:1] },
			"notes: note 4102 (target_id 9, issue_id 20117) is not answered; give secure and a response for each"},
		{"note start did not list", nil, func(in *haloAttestInput) {
			in.Notes = append(in.Notes, haloNoteAnswer{TargetID: 5, IssueID: 999, Response: "n/a"})
		}, "notes[2]: attestation " + testAttestationID + " lists no note for target_id 5 and issue_id 999; answer only the notes halo_pci_start_attestation listed"},
		{"note matched to the wrong target", nil, func(in *haloAttestInput) { in.Notes[1].TargetID = 5 },
			"notes[1]: attestation " + testAttestationID + " lists no note for target_id 5 and issue_id 20117; answer only the notes halo_pci_start_attestation listed; " +
				"notes: note 4102 (target_id 9, issue_id 20117) is not answered; give secure and a response for each"},
		{"start listed no notes and none answered", func(a *halo.Attestation) { a.Notes = []halo.Note{} },
			func(in *haloAttestInput) { in.Notes = []haloNoteAnswer{} }, ""},
		{"start asked no questions", func(a *halo.Attestation) { a.Questions = []halo.Question{} }, nil,
			"questions[0]: question 1 was not asked by attestation " + testAttestationID + "; it asks no questions; " +
				"questions[1]: question 2 was not asked by attestation " + testAttestationID + "; it asks no questions; " +
				"questions[2]: question 3 was not asked by attestation " + testAttestationID + "; it asks no questions; " +
				"questions[3]: question 4 was not asked by attestation " + testAttestationID + "; it asks no questions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := demoStart()
			if tt.start != nil {
				tt.start(start)
			}
			in := completeAttest()
			if tt.change != nil {
				tt.change(&in)
			}
			require.NoError(t, in.check())
			assert.Equal(t, tt.want, errText(in.checkAgainst(start)))
		})
	}
}

func TestHaloAttestCheckRemembered(t *testing.T) {
	ctx := context.Background()
	m := NewAttestationMemory(guard.NewMemoryStore(nil), attestationMemoryTTL)
	in := attestInput{haloAttestInput: completeAttest()}
	in.Questions = in.Questions[:1]
	assert.NoError(t, in.checkRemembered(ctx, m), "an id this process never saw is left to Halo")

	require.NoError(t, m.Remember(ctx, demoStart(), nil))
	err := in.checkRemembered(ctx, m)
	assert.Equal(t, "questions: questions 2, 3 and 4 are not answered; answer each yes or no", errText(err))
	var argErr *ArgumentError
	assert.ErrorAs(t, err, &argErr, "reported as invalid arguments")
}

func TestHaloAttestRequest(t *testing.T) {
	in := completeAttest()
	assert.Equal(t, halo.AttestRequest{
		AttestationID: testAttestationID, ReportName: "2026 Q2 external ASV scan",
		AttestPersonName: "Dana Whitfield", AttestPersonTitle: "IT Director",
		Questions: []halo.QuestionAnswer{{QuestionID: 1, Answer: halo.AnswerYes}, {QuestionID: 2, Answer: halo.AnswerYes},
			{QuestionID: 3, Answer: halo.AnswerNo}, {QuestionID: 4, Answer: halo.AnswerYes}},
		Notes: []halo.NoteAnswer{
			{TargetID: 5, IssueID: 20342, Secure: true, Response: "The widget is our payment provider's, loaded with SRI."},
			{TargetID: 9, IssueID: 20117, Secure: false, Response: "SSH is being removed this week."},
		},
	}, in.attestRequest())
	assert.Equal(t, []string{
		"report: 2026 Q2 external ASV scan", "attested by: Dana Whitfield, IT Director", "attestation: " + testAttestationID,
	}, in.auditTargets())

	reordered := completeAttest()
	reordered.AttestationID = "977B8AB9-417A-45A5-A689-6768F4680B0D"
	reordered.Questions[0], reordered.Questions[2] = reordered.Questions[2], reordered.Questions[0]
	reordered.Notes[0], reordered.Notes[1] = reordered.Notes[1], reordered.Notes[0]
	assert.Equal(t, argsDigest(&in), argsDigest(&reordered), "the same attestation in another order")
	reordered.Notes[0].Secure = !reordered.Notes[0].Secure
	assert.NotEqual(t, argsDigest(&in), argsDigest(&reordered))
}

// TestHaloAttestValidationThroughMCP: a client that started an attestation
// gets every validation failure as a sentence, and nothing reaches Halo.
func TestHaloAttestValidationThroughMCP(t *testing.T) {
	env := newHaloEnv(t, haloEnvOptions{})
	env.clock.Advance(haloScanDelay)
	var start haloStartResult
	env.ok(t, "halo_pci_start_attestation", "", &start)
	id := start.AttestationID

	args := func(change func(map[string]any)) string {
		in := completeAttest()
		in.AttestationID = id
		data, err := json.Marshal(in)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(data, &m))
		change(m)
		data, err = json.Marshal(m)
		require.NoError(t, err)
		return string(data)
	}
	tests := []struct {
		name, args, want string
	}{
		{"bad UUID", args(func(m map[string]any) { m["attestation_id"] = "not-a-uuid" }),
			`attestation_id: "not-a-uuid" is not a UUID; pass the attestation_id halo_pci_start_attestation returned`},
		{"missing answer", args(func(m map[string]any) { m["questions"] = m["questions"].([]any)[1:] }),
			"questions: question 1 is not answered; answer each yes or no"},
		{"unknown note", args(func(m map[string]any) {
			m["notes"] = append(m["notes"].([]any), map[string]any{"target_id": 7, "issue_id": 1, "secure": true, "response": "fine"})
		}), "notes[2]: attestation " + id + " lists no note for target_id 7 and issue_id 1; answer only the notes halo_pci_start_attestation listed"},
		{"answer neither yes nor no", args(func(m map[string]any) { m["questions"].([]any)[0].(map[string]any)["answer"] = "maybe" }),
			"questions[0].answer: must be one of yes, no, not maybe"},
		{"notes left out", args(func(m map[string]any) { delete(m, "notes") }), "notes: is required"},
		{"secure left out", args(func(m map[string]any) { delete(m["notes"].([]any)[0].(map[string]any), "secure") }),
			"notes[0].secure: is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := env.failed(t, "halo_pci_attest", tt.args)
			assert.Equal(t, "Invalid arguments for halo_pci_attest: "+tt.want+". Nothing was sent to Halo Security.", text)
		})
	}

	// Valid arguments reach the guard: this client cannot show a form, so
	// it gets the preview and a token, and still nothing is sent.
	res := env.call(t, "halo_pci_attest", args(func(map[string]any) {}))
	require.False(t, res.IsError, allText(res))
	out := structured(t, res)
	assert.Equal(t, "confirmation_required", out["status"])
	preview := out["preview"].(map[string]any)
	assert.Len(t, preview["notes"], 2)
	assert.Equal(t, "Dana Whitfield", preview["attest_person_name"])

	calls := env.upstreamCalls()
	assert.NotContains(t, strings.Join(calls, " "), "pci/attest.json", "validation and preview send nothing to attest")
}

// attestArgs is a complete attestation for id as JSON.
func attestArgs(t *testing.T, id string) string {
	t.Helper()
	in := completeAttest()
	in.AttestationID = id
	data, err := json.Marshal(in)
	require.NoError(t, err)
	return string(data)
}

// TestHaloAttestThroughTheGuard: the attestation reaches Halo only after a
// person's yes — with the matching signature when the client can ask — and
// the report it creates is then listed.
func TestHaloAttestThroughTheGuard(t *testing.T) {
	tests := []struct {
		name       string
		answer     *mcp.ElicitationResult
		legacy     bool
		wantAttest bool
		wantText   string
	}{
		{"signed, 2025-11-25", accept(map[string]any{"confirm": true, "signature": "  dana whitfield "}), true, true, `"status":"done"`},
		{"signed, 2026-07-28", accept(map[string]any{"confirm": true, "signature": "Dana Whitfield"}), false, true, `"status":"done"`},
		{"wrong signature", accept(map[string]any{"confirm": true, "signature": "Dan Whitfield"}), true, false, "does not match attest_person_name"},
		{"wrong signature, 2026-07-28", accept(map[string]any{"confirm": true, "signature": "D. W."}), false, false, "does not match attest_person_name"},
		{"no signature", accept(map[string]any{"confirm": true}), true, false, "does not match attest_person_name"},
		{"declined", answerWith(mcp.ElicitationResponseActionDecline), true, false, "Cancelled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &elicitor{answer: tt.answer}
			options := []client.ClientOption{client.WithElicitationHandler(e)}
			if tt.legacy {
				options = append(options, client.WithProtocolVersion("2025-11-25"))
			}
			env := newHaloEnv(t, haloEnvOptions{clientOptions: options})
			env.clock.Advance(haloScanDelay)
			var start haloStartResult
			env.ok(t, "halo_pci_start_attestation", "", &start)

			res := env.call(t, "halo_pci_attest", attestArgs(t, start.AttestationID))
			require.Len(t, e.asked, 1)
			q := e.asked[0].Params
			assert.Contains(t, q.Message, "Signed by: “Dana Whitfield”, “IT Director”")
			assert.Contains(t, q.Message, "signed statement to your ASV")
			assert.Contains(t, q.Message, "To sign, type your full name: Dana Whitfield.")
			assert.Contains(t, q.Message, "→ NO", "each answer is shown")
			schema := q.RequestedSchema.(map[string]any)
			assert.ElementsMatch(t, []any{"confirm", "signature"}, toAnySlice(schema["required"]))

			text := allText(res)
			assert.Contains(t, text, tt.wantText)
			attested := strings.Contains(strings.Join(env.upstreamCalls(), " "), "POST pci/attest.json")
			assert.Equal(t, tt.wantAttest, attested, "what reached Halo")
			if tt.wantAttest {
				assert.False(t, res.IsError)
				report := structured(t, res)["result"].(map[string]any)
				assert.Equal(t, "draft", report["status"])
				var list struct {
					Reports []map[string]any `json:"reports"`
				}
				env.ok(t, "halo_pci_list_reports", `{}`, &list)
				assert.Contains(t, mustJSON(t, list), "2026 Q2 external ASV scan")
			}
		})
	}
}

// TestHaloAttestTokenRoute: a client without elicitation confirms with the
// token; the token is single use and the attestation id is spent after.
func TestHaloAttestTokenRoute(t *testing.T) {
	env := newHaloEnv(t, haloEnvOptions{})
	env.clock.Advance(haloScanDelay)
	var start haloStartResult
	env.ok(t, "halo_pci_start_attestation", "", &start)
	args := attestArgs(t, start.AttestationID)

	first := env.call(t, "halo_pci_attest", args)
	require.False(t, first.IsError, allText(first))
	token := structured(t, first)["confirmation_token"].(string)
	assert.Contains(t, allText(first), "Show this preview to the user")

	withToken := strings.TrimSuffix(args, "}") + `,"confirmation_token":"` + token + `"}`
	done := env.call(t, "halo_pci_attest", withToken)
	require.False(t, done.IsError, allText(done))
	assert.Equal(t, "done", structured(t, done)["status"])

	again := env.call(t, "halo_pci_attest", withToken)
	assert.True(t, again.IsError)
	assert.Contains(t, allText(again), "was already submitted through this server", "the spent id is refused before anyone is asked")
	n := 0
	for _, c := range env.upstreamCalls() {
		if strings.HasPrefix(c, "POST pci/attest.json") {
			n++
		}
	}
	assert.Equal(t, 1, n, "the attestation is sent exactly once")
}

// TestHaloAttestStoreFailureFailsClosed: when the remembered starts cannot
// be read, nobody is asked to sign and nothing is sent.
func TestHaloAttestStoreFailureFailsClosed(t *testing.T) {
	e := &elicitor{answer: accept(map[string]any{"confirm": true, "signature": "Dana Whitfield"})}
	env := newHaloEnv(t, haloEnvOptions{
		clientOptions: []client.ClientOption{client.WithElicitationHandler(e)},
		serve: func(t *testing.T, hc *halo.Client) *server.MCPServer {
			srv, _, err := NewServer(Options{Version: "test", Halo: hc, Redactor: hc.Redactor(), Store: failingStore{}})
			require.NoError(t, err)
			return srv
		},
	})
	env.clock.Advance(haloScanDelay)
	var start haloStartResult
	env.ok(t, "halo_pci_start_attestation", "", &start)
	text := env.failed(t, "halo_pci_attest", attestArgs(t, start.AttestationID))
	assert.Contains(t, text, "halo_pci_attest was not executed: the attestations this server started could not be read, because the guard's store did not answer (connection refused). Nothing was sent to Halo Security.")
	assert.Empty(t, e.asked, "nobody is asked")
	assert.NotContains(t, strings.Join(env.upstreamCalls(), " "), "pci/attest.json")
}

func TestIsUUID(t *testing.T) {
	for s, want := range map[string]bool{
		"123e4567-e89b-12d3-a456-426614174000":  true,
		"123E4567-E89B-12D3-A456-426614174000":  true,
		"":                                      false,
		"123e4567e89b12d3a456426614174000":      false,
		"123e4567-e89b-12d3-a456-42661417400":   false,
		"123e4567-e89b-12d3-a456-4266141740000": false,
		"123e4567-e89b-12d3-a456_426614174000":  false,
		"g23e4567-e89b-12d3-a456-426614174000":  false,
		"{23e4567-e89b-12d3-a456-426614174000}": false,
	} {
		assert.Equal(t, want, isUUID(s), "%q", s)
	}
}
