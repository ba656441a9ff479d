package halosim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// attestRequest is the body of pci/attest.json [seed]. Members stay raw so that each can be
// checked on its own and named in the answer when it is wrong.
type attestRequest struct {
	ID                json.RawMessage `json:"id"`
	ReportName        json.RawMessage `json:"report_name"`
	AttestPersonName  json.RawMessage `json:"attest_person_name"`
	AttestPersonTitle json.RawMessage `json:"attest_person_title"`
	Questions         json.RawMessage `json:"questions"`
	Notes             json.RawMessage `json:"notes"`
}

// attestAnswer is the body of a successful pci/attest.json [seed].
type attestAnswer struct {
	Success int           `json:"success"`
	Report  reportSummary `json:"report"`
}

// questionAnswer and noteAnswer are the checked items of the request's arrays.
type (
	questionAnswer struct {
		id     int
		answer string
	}
	noteAnswer struct {
		targetID, issueID int
		secure            int
		response          string
	}
)

// pciAttest answers pci/attest.json. It checks, in order: the body is JSON with every
// required field; the id is one pci/start issued and no attest has used; every question is
// answered yes or no; every note is answered; no target still needs a scan or has a
// vulnerability. Only a success uses up the id, so a refused attestation can be corrected
// and sent again.
func (s *Simulator) pciAttest(_ *http.Request, body []byte, now time.Time) response {
	var req attestRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return badRequest("%s", msgInvalidJSON)
	}
	fields, bad := requiredMembers([]member{
		{name: "id", raw: req.ID}, {name: "report_name", raw: req.ReportName},
		{name: "attest_person_name", raw: req.AttestPersonName},
		{name: "attest_person_title", raw: req.AttestPersonTitle},
		{name: "questions", raw: req.Questions, array: true}, {name: "notes", raw: req.Notes, array: true},
	})
	if bad != nil {
		return *bad
	}
	questions, bad := parseQuestionAnswers(req.Questions)
	if bad != nil {
		return *bad
	}
	notes, bad := parseNoteAnswers(req.Notes)
	if bad != nil {
		return *bad
	}

	att := s.attestations[fields["id"]]
	if att == nil {
		return fail(http.StatusNotFound, codeValidation, msgAttestationNotFound)
	}
	if bad := checkQuestions(att.questions, questions); bad != nil {
		return *bad
	}
	answered, bad := checkNotes(att.notes, notes)
	if bad != nil {
		return *bad
	}
	if requireScan, hasVuln := s.account.blockers(now); len(requireScan)+len(hasVuln) > 0 {
		var parts []string
		if len(requireScan) > 0 {
			parts = append(parts, fmt.Sprintf(fmtRequireScan, s.account.describeTargets(requireScan)))
		}
		if len(hasVuln) > 0 {
			parts = append(parts, fmt.Sprintf(fmtHasVuln, s.account.describeTargets(hasVuln)))
		}
		return badRequest(fmtBlockers, strings.Join(parts, "; "))
	}

	decision := reportApproved
	if slices.ContainsFunc(answered, func(n reportNote) bool { return n.Secure == 0 }) {
		decision = reportRejected
	}
	rep := &report{
		id: s.nextReportID, name: fields["report_name"],
		attestName: fields["attest_person_name"], attestTitle: fields["attest_person_title"],
		status: "draft", targetIDs: s.account.pciTargetIDs(), notes: answered,
		attestedAt: now, reviewedAt: now.Add(s.reviewAfter), decision: decision,
	}
	s.nextReportID++
	s.account.reports = append(s.account.reports, rep)
	delete(s.attestations, att.id)
	// The answer shows the report as created, "draft" [seed], even when it
	// is reviewed at once.
	created := rep.summary(now)
	created.Status = rep.status
	return ok(attestAnswer{Success: 1, Report: created})
}

// member is one named member of a request body.
type member struct {
	name  string
	raw   json.RawMessage
	array bool // checked for shape later, by its own parser
}

// requiredMembers checks that every member is present, and that string members are non-blank
// strings, naming every missing member in one answer. It returns the trimmed string values by
// name; arrays are checked for shape later.
func requiredMembers(members []member) (map[string]string, *response) {
	values := map[string]string{}
	var missing []string
	for _, m := range members {
		if isNull(m.raw) {
			missing = append(missing, m.name)
			continue
		}
		if m.array {
			continue
		}
		var v string
		if err := json.Unmarshal(m.raw, &v); err != nil {
			r := badRequest(fmtFieldNotString, m.name)
			return nil, &r
		}
		if v = strings.TrimSpace(v); v == "" {
			missing = append(missing, m.name)
			continue
		}
		values[m.name] = v
	}
	if len(missing) > 0 {
		r := badRequest(fmtMissingFields, strings.Join(missing, ", "))
		return nil, &r
	}
	return values, nil
}

// arrayItems decodes a JSON array of objects. The documentation types questions and notes as
// "JSON Array" without saying how they travel, so an array sent as a JSON-encoded string (as
// a form field would carry it) is accepted too [guess].
func arrayItems(raw json.RawMessage, name string) ([]map[string]json.RawMessage, *response) {
	var encoded string
	if json.Unmarshal(raw, &encoded) == nil {
		raw = json.RawMessage(encoded)
	}
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || slices.ContainsFunc(items, func(m map[string]json.RawMessage) bool { return m == nil }) {
		r := badRequest(fmtBadArray, name)
		return nil, &r
	}
	return items, nil
}

// parseQuestionAnswers checks the shape of the questions array: [{"id":1,"answer":"yes"}].
func parseQuestionAnswers(raw json.RawMessage) ([]questionAnswer, *response) {
	items, bad := arrayItems(raw, "questions")
	if bad != nil {
		return nil, bad
	}
	out := make([]questionAnswer, len(items))
	for i, item := range items {
		id, okID := flexInt(item["id"])
		if !okID {
			r := badRequest(fmtBadItemField, "questions", i, "id")
			return nil, &r
		}
		var answer string
		if err := json.Unmarshal(item["answer"], &answer); err != nil {
			r := badRequest(fmtBadItemField, "questions", i, "answer")
			return nil, &r
		}
		out[i] = questionAnswer{id: id, answer: answer}
	}
	return out, nil
}

// parseNoteAnswers checks the shape of the notes array:
// [{"target_id":"1","issue_id":"2","secure":"1","response":"..."}], numbers allowed for the
// seed's numeric strings.
func parseNoteAnswers(raw json.RawMessage) ([]noteAnswer, *response) {
	items, bad := arrayItems(raw, "notes")
	if bad != nil {
		return nil, bad
	}
	out := make([]noteAnswer, len(items))
	for i, item := range items {
		var a noteAnswer
		var okT, okI bool
		a.targetID, okT = flexInt(item["target_id"])
		a.issueID, okI = flexInt(item["issue_id"])
		switch {
		case !okT:
			r := badRequest(fmtBadItemField, "notes", i, "target_id")
			return nil, &r
		case !okI:
			r := badRequest(fmtBadItemField, "notes", i, "issue_id")
			return nil, &r
		}
		secure, okS := flexBool(item["secure"])
		if !okS {
			r := badRequest(fmtBadSecure, a.targetID, a.issueID)
			return nil, &r
		}
		a.secure = secure
		if raw, present := item["response"]; present && !isNull(raw) {
			if err := json.Unmarshal(raw, &a.response); err != nil {
				r := badRequest(fmtBadItemField, "notes", i, "response")
				return nil, &r
			}
		}
		out[i] = a
	}
	return out, nil
}

// checkQuestions requires a yes or no answer for every question the attestation asked, and
// nothing else.
func checkQuestions(asked []pciQuestion, answers []questionAnswer) *response {
	got := map[int]bool{}
	for _, a := range answers {
		if !slices.ContainsFunc(asked, func(q pciQuestion) bool { return q.ID == a.id }) {
			r := badRequest(fmtUnknownQuestion, a.id)
			return &r
		}
		switch strings.ToLower(strings.TrimSpace(a.answer)) {
		case "yes", "no":
			got[a.id] = true
		default:
			r := badRequest(fmtBadAnswer, a.id, a.answer)
			return &r
		}
	}
	var unanswered []int
	for _, q := range asked {
		if !got[q.ID] {
			unanswered = append(unanswered, q.ID)
		}
	}
	if len(unanswered) > 0 {
		r := badRequest(fmtUnanswered, joinInts(unanswered))
		return &r
	}
	return nil
}

// checkNotes requires an answer with a response for every note the attestation listed, and
// nothing else, and returns the notes with their answers for the report.
func checkNotes(listed []pciNote, answers []noteAnswer) ([]reportNote, *response) {
	byKey := map[[2]int]noteAnswer{}
	for _, a := range answers {
		if !slices.ContainsFunc(listed, func(n pciNote) bool { return n.TargetID == a.targetID && n.IssueID == a.issueID }) {
			r := badRequest(fmtUnknownNote, a.targetID, a.issueID)
			return nil, &r
		}
		if strings.TrimSpace(a.response) == "" {
			r := badRequest(fmtNoResponse, a.targetID, a.issueID)
			return nil, &r
		}
		byKey[[2]int{a.targetID, a.issueID}] = a
	}
	answered := []reportNote{}
	var uncovered []string
	for _, n := range listed {
		a, found := byKey[[2]int{n.TargetID, n.IssueID}]
		if !found {
			uncovered = append(uncovered, fmt.Sprintf("note %d (target_id %d, issue_id %d)", n.ID, n.TargetID, n.IssueID))
			continue
		}
		answered = append(answered, reportNote{pciNote: n, Secure: a.secure, Response: strings.TrimSpace(a.response)})
	}
	if len(uncovered) > 0 {
		r := badRequest(fmtUncoveredNotes, strings.Join(uncovered, ", "))
		return nil, &r
	}
	return answered, nil
}

// isNull reports whether a member is missing or JSON null.
func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// flexInt reads a whole number sent as a JSON number or as a numeric string.
func flexInt(raw json.RawMessage) (int, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		return n, err == nil
	}
	var n int
	if json.Unmarshal(raw, &n) == nil {
		return n, true
	}
	return 0, false
}

// flexBool reads the seed's "1"/"0" flag, also sent as a number or a JSON boolean.
func flexBool(raw json.RawMessage) (int, bool) {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		if b {
			return 1, true
		}
		return 0, true
	}
	n, ok := flexInt(raw)
	return n, ok && (n == 0 || n == 1)
}
