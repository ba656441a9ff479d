package halosim

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// attestBody is a complete, correct attestation for the demo merchant, in the seed's
// encoding (numbers as strings in notes). Tests change one thing at a time.
func attestBody(id string) map[string]any {
	return map[string]any{
		"id":                  id,
		"report_name":         "2026 Q2 external ASV scan",
		"attest_person_name":  "Dana Whitfield",
		"attest_person_title": "IT Director",
		"questions": []any{
			map[string]any{"id": 1, "answer": "yes"},
			map[string]any{"id": 2, "answer": "yes"},
			map[string]any{"id": 3, "answer": "yes"},
			map[string]any{"id": 4, "answer": "yes"},
		},
		"notes": []any{
			map[string]any{"target_id": "5", "issue_id": "20342", "secure": "1",
				"response": "The widget is our payment provider's, loaded with SRI and monitored for change."},
			map[string]any{"target_id": "9", "issue_id": "20117", "secure": "1",
				"response": "SSH is limited to the office range and requires keys."},
		},
	}
}

func encode(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSummaryFollowsTheReports(t *testing.T) {
	h := newHarness(t, Options{})
	assertAnswer(t, h.get("pci/summary.json"), 200, `{"report_count":2,"last_report_id":127345,"status":"approved"}`)
	h.clock.Advance(testScanDelay)
	assertAnswer(t, h.attest(encode(t, attestBody(h.startID()))), 200,
		`{"success":1,"report":{"attest_name":"Dana Whitfield","target_count":3,"name":"2026 Q2 external ASV scan","pci_report_id":127346,"attest_title":"IT Director","status":"draft"}}`)
	assertAnswer(t, h.get("pci/summary.json"), 200, `{"report_count":3,"last_report_id":127346,"status":"draft"}`)

	empty := newHarness(t, Options{Empty: true})
	assertAnswer(t, empty.get("pci/summary.json"), 200, `{"report_count":0,"last_report_id":0,"status":"none"}`)
}

func TestStartWithNothingInScope(t *testing.T) {
	h := newHarness(t, Options{Empty: true})
	assertAnswer(t, h.get("pci/start.json"), 400, `{"code":0,"message":"no targets in pci scope"}`)
	assertAnswer(t, h.get("target/list.json"), 200,
		`{"request":{"target_count":0,"sort":"0"},"pagination":{"total":0,"start":0,"limit":100},"list":[]}`)
	assertAnswer(t, h.get("pci/report-list.json"), 200,
		`{"request":{"target_count":0,"sort":"0"},"pagination":{"total":0,"start":0,"limit":100},"list":[]}`)
}

func TestStartBlockersClearWhenThePendingScansFinish(t *testing.T) {
	h := newHarness(t, Options{})
	assertAnswer(t, h.get("pci/start.json"), 200, golden(t, "start_blocked.json"))

	// One second before the scans finish nothing has changed but the id.
	h.clock.Advance(testScanDelay - time.Second)
	var blocked struct {
		ID          string `json:"id"`
		RequireScan []int  `json:"target_ids_require_scan"`
		HasVuln     []int  `json:"target_ids_has_vuln"`
	}
	if err := json.Unmarshal([]byte(h.get("pci/start.json").body), &blocked); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(blocked.RequireScan, blocked.HasVuln) != "[7] [5]" {
		t.Errorf("blockers just before the scans finish = %v %v, want [7] [5]", blocked.RequireScan, blocked.HasVuln)
	}
	if blocked.ID != attestationID(2) || blocked.ID == attestationID(1) {
		t.Errorf("second start id = %q, want a fresh id", blocked.ID)
	}

	h.clock.Advance(time.Second)
	assertAnswer(t, h.get("pci/start.json"), 200, golden(t, "start_clear.json"))
}

func TestAttestRefusals(t *testing.T) {
	tests := []struct {
		name    string
		blocked bool // attest before the pending scans finish
		change  func(body map[string]any)
		raw     string // sent instead of the body when set
		status  int
		want    string
	}{
		{name: "unknown id", change: func(b map[string]any) { b["id"] = "00000000-0000-4000-8000-000000000000" },
			status: 404, want: `{"code":0,"message":"pci attestation not found"}`},
		{name: "not JSON", raw: `id=1`,
			status: 400, want: `{"code":0,"message":"request body must be a JSON object"}`},
		{name: "missing fields", change: func(b map[string]any) {
			delete(b, "report_name")
			b["attest_person_title"] = "  "
			b["notes"] = nil
		}, status: 400, want: `{"code":0,"message":"missing required fields: report_name, attest_person_title, notes"}`},
		{name: "name not a string", change: func(b map[string]any) { b["attest_person_name"] = 7 },
			status: 400, want: `{"code":0,"message":"attest_person_name must be a string"}`},
		{name: "questions not an array", change: func(b map[string]any) { b["questions"] = map[string]any{"id": 1} },
			status: 400, want: `{"code":0,"message":"questions must be a JSON array of objects"}`},
		{name: "question id not a number", change: func(b map[string]any) {
			b["questions"].([]any)[1] = map[string]any{"id": "two", "answer": "yes"}
		}, status: 400, want: `{"code":0,"message":"questions[1].id not valid"}`},
		{name: "missing answer", change: func(b map[string]any) { b["questions"] = b["questions"].([]any)[:2] },
			status: 400, want: `{"code":0,"message":"questions not answered: 3, 4"}`},
		{name: "answer not yes or no", change: func(b map[string]any) {
			b["questions"].([]any)[0] = map[string]any{"id": 1, "answer": "maybe"}
		}, status: 400, want: `{"code":0,"message":"question 1 answer \"maybe\" not valid: answer \"yes\" or \"no\""}`},
		{name: "question not asked", change: func(b map[string]any) {
			b["questions"] = append(b["questions"].([]any), map[string]any{"id": 9, "answer": "yes"})
		}, status: 400, want: `{"code":0,"message":"question 9 is not part of this attestation"}`},
		{name: "uncovered note", change: func(b map[string]any) { b["notes"] = b["notes"].([]any)[:1] },
			status: 400, want: `{"code":0,"message":"notes not answered: note 4102 (target_id 9, issue_id 20117)"}`},
		{name: "no notes answered", change: func(b map[string]any) { b["notes"] = []any{} },
			status: 400, want: `{"code":0,"message":"notes not answered: note 4101 (target_id 5, issue_id 20342), note 4102 (target_id 9, issue_id 20117)"}`},
		{name: "note answered without a response", change: func(b map[string]any) {
			b["notes"].([]any)[1].(map[string]any)["response"] = ""
		}, status: 400, want: `{"code":0,"message":"note for target_id 9 and issue_id 20117: response required"}`},
		{name: "note not listed", change: func(b map[string]any) {
			b["notes"] = append(b["notes"].([]any), map[string]any{"target_id": "7", "issue_id": "20117", "secure": "1", "response": "x"})
		}, status: 400, want: `{"code":0,"message":"no note for target_id 7 and issue_id 20117 in this attestation"}`},
		{name: "secure not a flag", change: func(b map[string]any) {
			b["notes"].([]any)[0].(map[string]any)["secure"] = "2"
		}, status: 400, want: `{"code":0,"message":"note for target_id 5 and issue_id 20342: secure must be \"1\" or \"0\""}`},
		{name: "blockers remain", blocked: true,
			status: 400, want: `{"code":0,"message":"cannot attest while blockers remain: targets needing a scan: 7 (api.example.com); targets with vulnerabilities to resolve: 5 (shop.example.com)"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			if !tt.blocked {
				h.clock.Advance(testScanDelay)
			}
			id := h.startID()
			body := attestBody(id)
			if tt.change != nil {
				tt.change(body)
			}
			send := encode(t, body)
			if tt.raw != "" {
				send = tt.raw
			}
			assertAnswer(t, h.attest(send), tt.status, tt.want)

			// A refusal creates no report and leaves the id usable.
			assertAnswer(t, h.get("pci/summary.json"), 200, `{"report_count":2,"last_report_id":127345,"status":"approved"}`)
			h.clock.Advance(testScanDelay)
			if got := h.attest(encode(t, attestBody(id))); got.status != 200 {
				t.Errorf("corrected attestation with the same id: %d %s", got.status, got.body)
			}
		})
	}
}

func TestAttestSucceedsOnceAndMakesADraftReport(t *testing.T) {
	h := newHarness(t, Options{})
	id := h.startID() // taken while blocked; usable once the blockers clear
	h.clock.Advance(testScanDelay)
	body := encode(t, attestBody(id))
	assertAnswer(t, h.attest(body), 200,
		`{"success":1,"report":{"attest_name":"Dana Whitfield","target_count":3,"name":"2026 Q2 external ASV scan","pci_report_id":127346,"attest_title":"IT Director","status":"draft"}}`)

	t.Run("id is single use", func(t *testing.T) {
		assertAnswer(t, h.attest(body), 404, `{"code":0,"message":"pci attestation not found"}`)
	})
	t.Run("report-get shows the answered notes", func(t *testing.T) {
		assertAnswer(t, h.get("pci/report-get.json?pci_report_id=127346"), 200, golden(t, "report_get_127346.json"))
	})
	t.Run("report-list shows it last", func(t *testing.T) {
		assertAnswer(t, h.get("pci/report-list.json?start=2"), 200, `{
			"request":{"target_count":4,"sort":"0","start":2},
			"pagination":{"total":3,"start":2,"limit":100},
			"list":[{"report":{"attest_name":"Dana Whitfield","target_count":3,"name":"2026 Q2 external ASV scan","pci_report_id":127346,"attest_title":"IT Director","status":"draft"}}]}`)
	})
	t.Run("numbers, booleans and encoded arrays are accepted too", func(t *testing.T) {
		b := attestBody(h.startID())
		b["report_name"] = "Q2 rescan"
		b["notes"] = encode(t, []any{
			map[string]any{"target_id": 5, "issue_id": 20342, "secure": 0, "response": "Removing the widget next sprint."},
			map[string]any{"target_id": 9, "issue_id": 20117, "secure": true, "response": "Keys only."},
		})
		b["questions"] = []any{
			map[string]any{"id": "1", "answer": "yes"}, map[string]any{"id": 2, "answer": "No"},
			map[string]any{"id": 3, "answer": "yes"}, map[string]any{"id": 4, "answer": "yes"},
		}
		assertAnswer(t, h.attest(encode(t, b)), 200,
			`{"success":1,"report":{"attest_name":"Dana Whitfield","target_count":3,"name":"Q2 rescan","pci_report_id":127347,"attest_title":"IT Director","status":"draft"}}`)
		got := h.get("pci/report-get.json?pci_report_id=127347").body
		if !strings.Contains(got, `"secure":0,"response":"Removing the widget next sprint."`) ||
			!strings.Contains(got, `"secure":1,"response":"Keys only."`) {
			t.Errorf("report-get does not carry the answers: %s", got)
		}
	})
}

func TestReportGet(t *testing.T) {
	h := newHarness(t, Options{})
	tests := []struct {
		name   string
		query  string
		status int
		want   string
	}{
		{"earlier report", "pci_report_id=127301", 200, `{"request":{"target_count":4,"sort":"0"},"report":{
			"attest_name":"Dana Whitfield","target_count":2,"notes":[],"name":"2025 Q4 external ASV scan",
			"pci_report_id":127301,"attest_title":"IT Director","target_ids":[5,9],"status":"expired"}}`},
		{"unknown report", "pci_report_id=999", 404, `{"code":0,"message":"Report Not Found"}`},
		{"missing id", "", 400, `{"code":0,"message":"pci_report_id required"}`},
		{"id not a number", "pci_report_id=12a", 400, `{"code":0,"message":"pci_report_id not valid: must be a whole number"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertAnswer(t, h.get("pci/report-get.json?"+tt.query), tt.status, tt.want)
		})
	}
}

func TestReportList(t *testing.T) {
	h := newHarness(t, Options{})
	first := `{"report":{"attest_name":"Dana Whitfield","target_count":2,"name":"2025 Q4 external ASV scan","pci_report_id":127301,"attest_title":"IT Director","status":"expired"}}`
	second := `{"report":{"attest_name":"Dana Whitfield","target_count":2,"name":"2026 Q1 external ASV scan","pci_report_id":127345,"attest_title":"IT Director","status":"approved"}}`
	tests := []struct {
		name   string
		query  string
		status int
		want   string
	}{
		{"defaults", "", 200, `{"request":{"target_count":4,"sort":"0"},"pagination":{"total":2,"start":0,"limit":100},"list":[` + first + `,` + second + `]}`},
		{"newest first", "sort=1&sort_desc=1", 200, `{"request":{"target_count":4,"sort":"1"},"pagination":{"total":2,"start":0,"limit":100},"list":[` + second + `,` + first + `]}`},
		{"second page", "start=1&limit=1", 200, `{"request":{"target_count":4,"sort":"0","start":1},"pagination":{"total":2,"start":1,"limit":1},"list":[` + second + `]}`},
		{"past the end", "start=5", 200, `{"request":{"target_count":4,"sort":"0","start":5},"pagination":{"total":2,"start":5,"limit":100},"list":[]}`},
		{"negative start", "start=-1", 400, `{"code":0,"message":"start not valid: must be a whole number of 0 or more"}`},
		{"limit 0", "limit=0", 400, `{"code":0,"message":"limit not valid: must be between 1 and 1000"}`},
		{"limit over 1000", "limit=1001", 400, `{"code":0,"message":"limit not valid: must be between 1 and 1000"}`},
		{"limit not a number", "limit=ten", 400, `{"code":0,"message":"limit not valid: must be between 1 and 1000"}`},
		{"sort not a number", "sort=name", 400, `{"code":0,"message":"sort not valid: must be a whole number"}`},
		{"sort_desc not a flag", "sort_desc=yes", 400, `{"code":0,"message":"sort_desc not valid: must be between 0 and 1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertAnswer(t, h.get("pci/report-list.json?"+tt.query), tt.status, tt.want)
		})
	}
}
