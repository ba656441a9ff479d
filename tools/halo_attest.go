package tools

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pci-mcp/pci-mcp/providers/halo"
	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// This file is halo_pci_attest's input and its validation. The tool itself
// is registered through the confirmation guard, which runs, in order:
// decodeArguments (schema, then check), checkRemembered against the
// attestation memory, then the confirmation, and only then sends
// attestRequest to Halo. Every refusal here is an *ArgumentError or
// argumentErrors, reported as invalid arguments with nothing sent.

// haloAttestInput is the argument of halo_pci_attest: a signed attestation
// for an id from halo_pci_start_attestation. Bounds on text are ours [guess]:
// Halo documents none.
type haloAttestInput struct {
	AttestationID     string               `json:"attestation_id" jsonschema:"maxLength=64,format=uuid" jsonschema_description:"From halo_pci_start_attestation."`
	ReportName        string               `json:"report_name" jsonschema:"maxLength=200" jsonschema_description:"e.g. 2026 Q2 external ASV scan"`
	AttestPersonName  string               `json:"attest_person_name" jsonschema:"maxLength=200" jsonschema_description:"Full name of the person attesting."`
	AttestPersonTitle string               `json:"attest_person_title" jsonschema:"maxLength=200"`
	Questions         []haloQuestionAnswer `json:"questions" jsonschema:"maxItems=100"`
	Notes             []haloNoteAnswer     `json:"notes" jsonschema:"maxItems=1000" jsonschema_description:"[] if start listed none."`
}

// haloQuestionAnswer answers one question of the attestation.
type haloQuestionAnswer struct {
	ID     numericID `json:"id" jsonschema:"minimum=0"`
	Answer string    `json:"answer" jsonschema:"enum=yes,enum=no"`
}

// haloNoteAnswer responds to one note, named by its target and issue.
type haloNoteAnswer struct {
	TargetID numericID `json:"target_id" jsonschema:"minimum=0"`
	IssueID  numericID `json:"issue_id" jsonschema:"minimum=0"`
	Secure   bool      `json:"secure" jsonschema_description:"The person confirms the condition is secure."`
	Response string    `json:"response" text:"multiline" jsonschema:"maxLength=4000" jsonschema_description:"The person's explanation."`
}

// isUUID reports whether s is the textual form of a UUID, in either case:
// 8-4-4-4-12 hex digits. (Written out rather than as a regular expression,
// whose compilation every start-up would pay.)
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// noteKey is how Halo matches a note answer to a note: its target and issue.
type noteKey struct{ targetID, issueID int64 }

func (k noteKey) String() string {
	return fmt.Sprintf("target_id %d and issue_id %d", k.targetID, k.issueID)
}

// check trims the text and requires every field present and not blank, the
// attestation id a UUID, and no question or note answered twice. The schema
// has already required every field and bounded it.
func (in *haloAttestInput) check() error {
	var errs argumentErrors
	for _, f := range []struct {
		name  string
		value *string
	}{
		{"attestation_id", &in.AttestationID}, {"report_name", &in.ReportName},
		{"attest_person_name", &in.AttestPersonName}, {"attest_person_title", &in.AttestPersonTitle},
	} {
		*f.value = strings.TrimSpace(*f.value)
		if *f.value == "" {
			errs = append(errs, argError(f.name, "must not be blank"))
		}
	}
	if in.AttestationID != "" && !isUUID(in.AttestationID) {
		errs = append(errs, argError("attestation_id", "%q is not a UUID; pass the attestation_id halo_pci_start_attestation returned", in.AttestationID))
	}
	seenQuestions := map[int64]bool{}
	for i, q := range in.Questions {
		if seenQuestions[int64(q.ID)] {
			errs = append(errs, argError(fmt.Sprintf("questions[%d]", i), "question %d is answered twice; answer each question once", q.ID))
		}
		seenQuestions[int64(q.ID)] = true
	}
	seenNotes := map[noteKey]bool{}
	for i := range in.Notes {
		n := &in.Notes[i]
		n.Response = strings.TrimSpace(n.Response)
		field := fmt.Sprintf("notes[%d]", i)
		if n.Response == "" {
			errs = append(errs, argError(field+".response", "must not be blank"))
		}
		key := noteKey{int64(n.TargetID), int64(n.IssueID)}
		if seenNotes[key] {
			errs = append(errs, argError(field, "the note for %s is answered twice; answer each note once", key))
		}
		seenNotes[key] = true
	}
	return errs.orNil()
}

// checkRemembered recalls the start this deployment saw for the attestation
// id, keeping it for the preview, and checks the answers against it; when it
// saw none, Halo alone judges them. An id already attested through this
// server is refused: Halo's ids are single use.
func (in *attestInput) checkRemembered(ctx context.Context, m *AttestationMemory) error {
	r, err := m.Recall(ctx, in.AttestationID)
	if err != nil || r == nil {
		return err
	}
	in.remembered = r
	if r.Attested {
		return argError("attestation_id", "attestation %s was already submitted through this server and cannot be used again; run halo_pci_start_attestation for a new attestation_id",
			in.AttestationID)
	}
	if r.Start.Blocked() {
		return blockedError(in.AttestationID, r)
	}
	return in.checkAgainst(r.Start)
}

// blockedError refuses an attestation whose start listed blockers: Halo
// would refuse it, so nobody is asked to sign it.
func blockedError(id string, r *RememberedStart) error {
	name := func(ids []upstream.Int) string {
		labels := make([]string, len(ids))
		for i, id := range ids {
			labels[i] = haloBlockingTarget{TargetID: int64(id), Host: r.Hosts[int64(id)]}.label()
		}
		return joinAll(labels)
	}
	var blockers []string
	if ids := r.Start.TargetIDsRequireScan; len(ids) > 0 {
		blockers = append(blockers, "must be scanned first: "+name(ids))
	}
	if ids := r.Start.TargetIDsHasVuln; len(ids) > 0 {
		blockers = append(blockers, "have vulnerabilities to resolve: "+name(ids))
	}
	return argError("attestation_id", "attestation %s cannot succeed: when it was started, targets stood in the way (%s). "+
		"Once they are resolved, run halo_pci_start_attestation again and attest with its new attestation_id",
		id, strings.Join(blockers, "; "))
}

// checkAgainst requires an answer for every question and note start asked
// for, listing the missing ones by id, and refuses answers to questions or
// notes start did not ask about.
func (in *haloAttestInput) checkAgainst(start *halo.Attestation) error {
	var errs argumentErrors

	asked := make([]int64, len(start.Questions))
	for i, q := range start.Questions {
		asked[i] = int64(q.ID)
	}
	answered := map[int64]bool{}
	for i, q := range in.Questions {
		if !slices.Contains(asked, int64(q.ID)) {
			errs = append(errs, argError(fmt.Sprintf("questions[%d]", i), "question %d was not asked by attestation %s; it asks %s",
				q.ID, in.AttestationID, describeIDs(asked, "no questions")))
			continue
		}
		answered[int64(q.ID)] = true
	}
	var unanswered []string
	for _, id := range asked {
		if !answered[id] {
			unanswered = append(unanswered, strconv.FormatInt(id, 10))
		}
	}
	if len(unanswered) > 0 {
		errs = append(errs, argError("questions", "%s %s not answered; answer each yes or no",
			pluralNoun(len(unanswered), "question", "questions")+" "+joinAll(unanswered), pluralNoun(len(unanswered), "is", "are")))
	}

	listed := map[noteKey]halo.Note{}
	for _, n := range start.Notes {
		listed[noteKey{int64(n.TargetID), int64(n.IssueID)}] = n
	}
	covered := map[noteKey]bool{}
	for i, n := range in.Notes {
		key := noteKey{int64(n.TargetID), int64(n.IssueID)}
		if _, ok := listed[key]; !ok {
			errs = append(errs, argError(fmt.Sprintf("notes[%d]", i), "attestation %s lists no note for %s; answer only the notes halo_pci_start_attestation listed",
				in.AttestationID, key))
			continue
		}
		covered[key] = true
	}
	var uncovered []string
	for _, n := range start.Notes {
		if key := (noteKey{int64(n.TargetID), int64(n.IssueID)}); !covered[key] {
			uncovered = append(uncovered, fmt.Sprintf("%d (target_id %d, issue_id %d)", n.ID, n.TargetID, n.IssueID))
		}
	}
	if len(uncovered) > 0 {
		errs = append(errs, argError("notes", "%s %s not answered; give secure and a response for each",
			pluralNoun(len(uncovered), "note", "notes")+" "+joinAll(uncovered), pluralNoun(len(uncovered), "is", "are")))
	}
	return errs.orNil()
}

// attestRequest is the attestation as the Halo client sends it.
func (in *haloAttestInput) attestRequest() halo.AttestRequest {
	r := halo.AttestRequest{
		AttestationID:     in.AttestationID,
		ReportName:        in.ReportName,
		AttestPersonName:  in.AttestPersonName,
		AttestPersonTitle: in.AttestPersonTitle,
		Questions:         make([]halo.QuestionAnswer, len(in.Questions)),
		Notes:             make([]halo.NoteAnswer, len(in.Notes)),
	}
	for i, q := range in.Questions {
		r.Questions[i] = halo.QuestionAnswer{QuestionID: int64(q.ID), Answer: q.Answer}
	}
	for i, n := range in.Notes {
		r.Notes[i] = halo.NoteAnswer{TargetID: int64(n.TargetID), IssueID: int64(n.IssueID), Secure: n.Secure, Response: n.Response}
	}
	return r
}

// auditTargets names what the attestation signs.
func (in *haloAttestInput) auditTargets() []string {
	return []string{
		"report: " + in.ReportName,
		"attested by: " + in.AttestPersonName + ", " + in.AttestPersonTitle,
		"attestation: " + in.AttestationID,
	}
}

// canonical orders the answers, so the same attestation with its answers in
// another order is the same request.
func (in *haloAttestInput) canonical() any {
	c := *in
	c.AttestationID = attestationKey(in.AttestationID)
	c.Questions = slices.SortedFunc(slices.Values(in.Questions), func(a, b haloQuestionAnswer) int { return cmp.Compare(a.ID, b.ID) })
	c.Notes = slices.SortedFunc(slices.Values(in.Notes), func(a, b haloNoteAnswer) int {
		return cmp.Or(cmp.Compare(a.TargetID, b.TargetID), cmp.Compare(a.IssueID, b.IssueID))
	})
	return c
}

// describeIDs writes ids as "1, 2 and 3", or none when there are none.
func describeIDs(ids []int64, none string) string {
	if len(ids) == 0 {
		return none
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return joinAll(parts)
}

// orNil returns nil for no errors, the error itself for one, and the list
// otherwise.
func (e argumentErrors) orNil() error {
	switch len(e) {
	case 0:
		return nil
	case 1:
		return e[0]
	}
	return e
}

// attestInput is halo_pci_attest's argument: the attestation plus the
// confirmation token of the guard's token route.
type attestInput struct {
	haloAttestInput
	confirmationInput

	// remembered is the start this deployment saw for the id, if any: set
	// by checkRemembered for the preview.
	remembered *RememberedStart
}

// attestNotice reminds the person what signing means.
const attestNotice = "This is a signed statement to your ASV (Halo Security) that the answers and notes above are true " +
	"for your PCI DSS external scan scope. It creates a PCI report in your name; it cannot be withdrawn here."

// userLookupTimeout bounds the lookup of the key's user for the preview; the
// preview says "unknown account" rather than wait.
const userLookupTimeout = 5 * time.Second

func haloAttest() Tool {
	return newGuardedTool(spec{
		name:    "halo_pci_attest",
		toolset: ToolsetHalo,
		title:   "Submit the PCI attestation (Halo)",
		description: "Submit the PCI attestation, answering each question and note halo_pci_start_attestation listed; the user signs it by name. " +
			confirmedFirst,
		annotations:  destructiveHints,
		outcomeCheck: "list reports with halo_pci_list_reports to see whether the report was created",
	}, guardSpec[attestInput, *AttestationPreview]{
		validate: func(ctx context.Context, d *Deps, in *attestInput) error {
			return in.checkRemembered(ctx, d.Attestations)
		},
		preview:   attestationPreview,
		signature: func(in *attestInput) string { return in.AttestPersonName },
	}, func(ctx context.Context, d *Deps, in *attestInput) (*halo.Report, error) {
		report, err := d.Halo.Attest(ctx, in.attestRequest())
		if err != nil {
			return nil, attestFailure(err, in.AttestationID)
		}
		// The id is spent: Halo will not take it again.
		if err := d.Attestations.MarkAttested(ctx, in.AttestationID); err != nil {
			d.Log.Warn("recording the attestation as submitted failed", "attestation_id", in.AttestationID, "err", err)
		}
		return report, nil
	})
}

// attestFailure gives the advice that fits why Halo refused: a new start
// only when Halo no longer knows the id; otherwise what its message names.
// Timeouts, server errors and answers lost on the way are described by
// errorResult without advice of this kind.
func attestFailure(err error, id string) error {
	hint := "Nothing was attested: resolve what Halo's message names, then call halo_pci_attest again."
	if ue, ok := upstream.AsError(err); ok && (ue.NotFound() || strings.Contains(strings.ToLower(ue.Message), "attestation not found")) {
		hint = "Halo has no open attestation with this id (an id is used up once attested, and a new start replaces it): " +
			"run halo_pci_start_attestation and attest with its new attestation_id."
	}
	return about(err, "attestation "+id, hint)
}

// unseenNotice is added to the preview of an attestation whose start this
// server did not see: its questions and notes could not be checked here.
const unseenNotice = "This server did not start attestation %s (or no longer remembers it): it cannot check the answers against what the start asked, " +
	"nor whether targets block it; Halo Security will check when it is sent."

// attestationPreview shows the statement as the person will sign it: with
// question texts and note issues and hosts when this process saw the start.
func attestationPreview(ctx context.Context, d *Deps, in *attestInput) *AttestationPreview {
	p := &AttestationPreview{
		Preview: Preview{
			Provider: halo.ProviderName,
			User:     haloAccount(ctx, d),
			Action:   "submit a signed PCI attestation (attestation " + in.AttestationID + ")",
			Notice:   attestNotice,
		},
		ReportName:  in.ReportName,
		PersonName:  in.AttestPersonName,
		PersonTitle: in.AttestPersonTitle,
		Questions:   make([]QuestionPreview, len(in.Questions)),
		Notes:       make([]NotePreview, len(in.Notes)),
	}
	var start *halo.Attestation
	if in.remembered != nil {
		start = in.remembered.Start
	} else {
		p.Unseen = fmt.Sprintf(unseenNotice, in.AttestationID)
	}
	for i, q := range in.Questions {
		p.Questions[i] = QuestionPreview{ID: int(q.ID), Answer: q.Answer}
		if start != nil {
			for _, asked := range start.Questions {
				if int64(asked.ID) == int64(q.ID) {
					p.Questions[i].Text = string(asked.Text)
				}
			}
		}
	}
	for i, n := range in.Notes {
		p.Notes[i] = NotePreview{TargetID: int(n.TargetID), IssueID: int(n.IssueID), Secure: n.Secure, Response: n.Response}
		if start != nil {
			for _, listed := range start.Notes {
				if int64(listed.TargetID) == int64(n.TargetID) && int64(listed.IssueID) == int64(n.IssueID) {
					p.Notes[i].Issue = string(listed.IssueName)
					p.Notes[i].Target = string(listed.TargetHost)
				}
			}
		}
	}
	return p
}

// haloAccount names the API key's user, looking it up once; "" when Halo
// cannot say in time.
func haloAccount(ctx context.Context, d *Deps) string {
	if name := d.upstreamUser(ToolsetHalo); name != "" {
		return name
	}
	ctx, cancel := context.WithTimeout(ctx, userLookupTimeout)
	defer cancel()
	if _, err := d.Halo.User(ctx); err != nil {
		d.Log.Debug("halo user lookup for the preview failed", "err", err)
	}
	return d.upstreamUser(ToolsetHalo)
}
