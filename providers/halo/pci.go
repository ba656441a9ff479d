package halo

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// Summary is the state of the account's PCI reports (pci/summary.json).
type Summary struct {
	ReportCount  upstream.Int `json:"report_count"`
	LastReportID upstream.Int `json:"last_report_id"`
	// Status is the newest report's status, e.g. "pending".
	Status upstream.String `json:"status"`
}

// Summary reads the PCI report summary (GET pci/summary.json).
func (c *Client) Summary(ctx context.Context) (*Summary, error) {
	var s Summary
	if err := c.get(ctx, "pci/summary.json", nil, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Attestation is what pci/start.json asks of the person attesting: the text
// to agree to, the questions and notes to answer, and the targets that block
// attesting until they are scanned or fixed.
type Attestation struct {
	// ID is the UUID to send back with the attestation.
	ID upstream.String `json:"id"`
	// Text is the statement the person agrees to.
	Text           upstream.String `json:"attestation"`
	TargetCount    upstream.Int    `json:"target_count"`
	TargetHostsOOS upstream.Int    `json:"target_hosts_oos"`
	// TargetIDsRequireScan must be scanned before attesting.
	TargetIDsRequireScan []upstream.Int `json:"target_ids_require_scan"`
	// TargetIDsHasVuln have issues to resolve before attesting.
	TargetIDsHasVuln []upstream.Int `json:"target_ids_has_vuln"`
	Questions        []Question     `json:"questions"`
	Notes            []Note         `json:"notes"`
}

// Blocked reports whether any target stands in the way of attesting.
func (a *Attestation) Blocked() bool {
	return len(a.TargetIDsRequireScan)+len(a.TargetIDsHasVuln) > 0
}

// Question must be answered yes or no in the attestation.
type Question struct {
	ID   upstream.Int    `json:"id"`
	Text upstream.String `json:"text"`
	// Type is "yesno" in every sample.
	Type upstream.String `json:"type"`
}

// Note is an ASV special note the person must respond to, for one issue on
// one target. An answer names it by target and issue, not by its id.
type Note struct {
	ID         upstream.Int    `json:"id"`
	IssueID    upstream.Int    `json:"issue_id"`
	IssueName  upstream.String `json:"issue_name"`
	TargetID   upstream.Int    `json:"target_id"`
	TargetHost upstream.String `json:"target_host"`
	Text       upstream.String `json:"text"`
	Type       upstream.String `json:"type"`
}

// StartAttestation starts the attestation process (GET pci/start.json). With
// no target in PCI scope Halo refuses with "no targets in pci scope".
func (c *Client) StartAttestation(ctx context.Context) (*Attestation, error) {
	var a Attestation
	if err := c.get(ctx, "pci/start.json", nil, &a); err != nil {
		return nil, err
	}
	a.TargetIDsRequireScan = orEmpty(a.TargetIDsRequireScan)
	a.TargetIDsHasVuln = orEmpty(a.TargetIDsHasVuln)
	a.Questions = orEmpty(a.Questions)
	a.Notes = orEmpty(a.Notes)
	return &a, nil
}

// Answers to a Question.
const (
	AnswerYes = "yes"
	AnswerNo  = "no"
)

// AttestRequest is a signed attestation for an Attestation from
// StartAttestation.
type AttestRequest struct {
	// AttestationID is Attestation.ID.
	AttestationID     string
	ReportName        string
	AttestPersonName  string
	AttestPersonTitle string
	Questions         []QuestionAnswer
	Notes             []NoteAnswer
}

// QuestionAnswer answers one Question with AnswerYes or AnswerNo.
type QuestionAnswer struct {
	QuestionID int64
	Answer     string
}

// NoteAnswer responds to the Note on TargetID about IssueID.
type NoteAnswer struct {
	TargetID int64
	IssueID  int64
	// Secure says whether the person considers the noted condition secure.
	Secure   bool
	Response string
}

// attestBody is the wire form of pci/attest.json, exactly as the seed's
// sample shows it: question ids as numbers, and every note value as a string
// ("target_id":"1", "secure":"1"|"0"). The seed types questions and notes as
// "JSON Array" but does not say whether Halo takes this POST as a JSON body
// or as a form; we send JSON [guess]. This type and newAttestBody are the one
// place to change should it be a form.
type attestBody struct {
	ID                string           `json:"id"`
	ReportName        string           `json:"report_name"`
	AttestPersonName  string           `json:"attest_person_name"`
	AttestPersonTitle string           `json:"attest_person_title"`
	Questions         []attestQuestion `json:"questions"`
	Notes             []attestNote     `json:"notes"`
}

type attestQuestion struct {
	ID     int64  `json:"id"`
	Answer string `json:"answer"`
}

type attestNote struct {
	TargetID string `json:"target_id"`
	IssueID  string `json:"issue_id"`
	Secure   string `json:"secure"`
	Response string `json:"response"`
}

func newAttestBody(r AttestRequest) attestBody {
	b := attestBody{
		ID:                r.AttestationID,
		ReportName:        r.ReportName,
		AttestPersonName:  r.AttestPersonName,
		AttestPersonTitle: r.AttestPersonTitle,
		// Never null: Halo requires both arrays.
		Questions: make([]attestQuestion, len(r.Questions)),
		Notes:     make([]attestNote, len(r.Notes)),
	}
	for i, q := range r.Questions {
		b.Questions[i] = attestQuestion{ID: q.QuestionID, Answer: q.Answer}
	}
	for i, n := range r.Notes {
		secure := "0"
		if n.Secure {
			secure = "1"
		}
		b.Notes[i] = attestNote{
			TargetID: strconv.FormatInt(n.TargetID, 10),
			IssueID:  strconv.FormatInt(n.IssueID, 10),
			Secure:   secure,
			Response: n.Response,
		}
	}
	return b
}

// Attest submits a signed attestation (POST pci/attest.json) and returns the
// draft report it creates. It is not idempotent and is never retried once it
// may have reached Halo. An unknown or used id is refused with "pci
// attestation not found".
func (c *Client) Attest(ctx context.Context, r AttestRequest) (*Report, error) {
	for _, required := range []string{r.AttestationID, r.ReportName, r.AttestPersonName, r.AttestPersonTitle} {
		if strings.TrimSpace(required) == "" {
			return nil, errors.New("halo: an attestation needs its id, a report name, and the attesting person's name and title")
		}
	}
	var answer struct {
		Success upstream.Int `json:"success"`
		Report  Report       `json:"report"`
	}
	req := upstream.Request{Effect: upstream.Write, Method: http.MethodPost, Path: "pci/attest.json", Body: newAttestBody(r)}
	if err := c.http.Do(ctx, req, &answer); err != nil {
		return nil, err
	}
	return &answer.Report, nil
}

// Report is a PCI report as attest and report-list show it.
type Report struct {
	PCIReportID upstream.Int    `json:"pci_report_id"`
	Name        upstream.String `json:"name"`
	// Status: "draft", "pending", and later approved, rejected or expired;
	// kept open.
	Status      upstream.String `json:"status"`
	TargetCount upstream.Int    `json:"target_count"`
	AttestName  upstream.String `json:"attest_name"`
	AttestTitle upstream.String `json:"attest_title"`
}

// ReportList is a page of PCI reports.
type ReportList struct {
	Pagination Pagination `json:"pagination"`
	Reports    []Report   `json:"reports"`
}

// ListReports lists the PCI reports (GET pci/report-list.json).
func (c *Client) ListReports(ctx context.Context, opts ListOptions) (*ReportList, error) {
	var answer listAnswer[struct {
		Report Report `json:"report"`
	}]
	if err := c.get(ctx, "pci/report-list.json", opts.query(), &answer); err != nil {
		return nil, err
	}
	out := &ReportList{Pagination: answer.Pagination, Reports: make([]Report, len(answer.List))}
	for i, item := range answer.List {
		out.Reports[i] = item.Report
	}
	return out, nil
}

// ReportDetail is one PCI report as report-get shows it.
type ReportDetail struct {
	Report
	TargetIDs []upstream.Int `json:"target_ids"`
	Notes     []ReportNote   `json:"notes"`
}

// ReportNote is an answered note in a report. The seed shows only an empty
// list; a note with its answer's secure flag and response is our reading
// [guess], and any of these fields may be missing. Secure is a boolean,
// as halo_pci_attest takes it, whether Halo sends 1, "1" or true; nil when
// Halo sends none.
type ReportNote struct {
	Note
	Secure   *upstream.Bool  `json:"secure,omitempty"`
	Response upstream.String `json:"response,omitempty"`
}

// GetReport reads one PCI report (GET pci/report-get.json). An unknown id is
// refused with "Report Not Found".
func (c *Client) GetReport(ctx context.Context, reportID int64) (*ReportDetail, error) {
	var answer struct {
		Report ReportDetail `json:"report"`
	}
	q := url.Values{"pci_report_id": {strconv.FormatInt(reportID, 10)}}
	if err := c.get(ctx, "pci/report-get.json", q, &answer); err != nil {
		return nil, err
	}
	answer.Report.TargetIDs = orEmpty(answer.Report.TargetIDs)
	answer.Report.Notes = orEmpty(answer.Report.Notes)
	return &answer.Report, nil
}

// orEmpty turns a missing or null list into an empty one, so answers encode
// lists as [] for consumers that expect an array.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
