package halosim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// summaryStatusNoReports is pci/summary's status before any report exists [guess: the
// documentation shows only "pending"].
const summaryStatusNoReports = "none"

// pciSummaryAnswer is the body of pci/summary.json [seed].
type pciSummaryAnswer struct {
	ReportCount  int    `json:"report_count"`
	LastReportID int    `json:"last_report_id"`
	Status       string `json:"status"`
}

// pciStartAnswer is the body of pci/start.json, fields in the seed's order [seed].
type pciStartAnswer struct {
	ID                   string        `json:"id"`
	Attestation          string        `json:"attestation"`
	TargetCount          int           `json:"target_count"`
	TargetHostsOOS       int           `json:"target_hosts_oos"`
	TargetIDsRequireScan []int         `json:"target_ids_require_scan"`
	TargetIDsHasVuln     []int         `json:"target_ids_has_vuln"`
	Questions            []pciQuestion `json:"questions"`
	Notes                []pciNote     `json:"notes"`
}

// pciQuestion is a question the attesting person must answer [seed].
type pciQuestion struct {
	ID   int    `json:"id"`
	Text string `json:"text"`
	Type string `json:"type"`
}

// pciNote is a special note the attesting person must answer [seed].
type pciNote struct {
	ID         int    `json:"id"`
	IssueID    int    `json:"issue_id"`
	IssueName  string `json:"issue_name"`
	TargetID   int    `json:"target_id"`
	TargetHost string `json:"target_host"`
	Text       string `json:"text"`
	Type       string `json:"type"`
}

// reportNote is an answered note as report-get lists it. The seed shows only an empty list,
// so this shape (the note plus the answer) is a guess.
type reportNote struct {
	pciNote
	Secure   int    `json:"secure"`
	Response string `json:"response"`
}

// reportSummary is a report as pci/attest and pci/report-list show it, in the seed's order.
type reportSummary struct {
	AttestName  string `json:"attest_name"`
	TargetCount int    `json:"target_count"`
	Name        string `json:"name"`
	PCIReportID int    `json:"pci_report_id"`
	AttestTitle string `json:"attest_title"`
	Status      string `json:"status"`
}

// reportDetail is a report as pci/report-get shows it, in the seed's order.
type reportDetail struct {
	AttestName  string       `json:"attest_name"`
	TargetCount int          `json:"target_count"`
	Notes       []reportNote `json:"notes"`
	Name        string       `json:"name"`
	PCIReportID int          `json:"pci_report_id"`
	AttestTitle string       `json:"attest_title"`
	TargetIDs   []int        `json:"target_ids"`
	Status      string       `json:"status"`
}

// reportListItem wraps each report in report-list's list [seed].
type reportListItem struct {
	Report reportSummary `json:"report"`
}

// reportGetAnswer is the body of pci/report-get.json [seed].
type reportGetAnswer struct {
	Request listRequest  `json:"request"`
	Report  reportDetail `json:"report"`
}

// attestation is what pci/start promised: the questions and notes an attest call with its id
// must answer. Blockers are not part of it: attest checks them as they are when it is called.
type attestation struct {
	id        string
	questions []pciQuestion
	notes     []pciNote
}

// attestationQuestions are the yes/no questions every attestation asks, after the customer
// attestation of the PCI ASV Program Guide.
func attestationQuestions() []pciQuestion {
	texts := []string{
		"Does this scan include every internet-facing IP address, host name and domain that is in scope for PCI DSS?",
		"Is every component excluded from this scan properly segmented from your cardholder data environment?",
		"Were the scans run without interference from active protection systems, such as an IPS or WAF blocking the scanner's IP addresses?",
		"Is all evidence you submitted to resolve scan exceptions, including any compensating controls, accurate and complete?",
	}
	qs := make([]pciQuestion, len(texts))
	for i, text := range texts {
		qs[i] = pciQuestion{ID: i + 1, Text: text, Type: "yesno"}
	}
	return qs
}

// attestationText is the statement pci/start asks the merchant to agree to, after the ASV
// Program Guide's customer attestation.
func attestationText(merchant string) string {
	return merchant + " attests that this scan includes all components which should be in scope for PCI DSS, " +
		"that any component considered out of scope for this scan is properly segmented from the cardholder data " +
		"environment, and that any evidence submitted to resolve scan exceptions, including compensating controls " +
		"if applicable, is accurate and complete. " + merchant + " also acknowledges that accurate and complete " +
		"scoping of this external scan is its responsibility, and that this scan result only indicates whether the " +
		"scanned systems comply with the external vulnerability scan requirement of PCI DSS (requirement 11.3.2); " +
		"it does not represent overall compliance with PCI DSS or with any other PCI DSS requirement."
}

// pciSummary answers pci/summary.json: the status is the newest report's.
func (s *Simulator) pciSummary(_ *http.Request, _ []byte, now time.Time) response {
	a := pciSummaryAnswer{ReportCount: len(s.account.reports), Status: summaryStatusNoReports}
	if last := s.account.lastReport(); last != nil {
		a.LastReportID, a.Status = last.id, last.statusAt(now)
	}
	return ok(a)
}

// pciStart answers pci/start.json with a fresh attestation id and remembers what it asked.
func (s *Simulator) pciStart(_ *http.Request, _ []byte, now time.Time) response {
	inScope := s.account.pciTargets()
	if len(inScope) == 0 {
		return badRequest("%s", msgNoTargetsInScope)
	}
	s.issuedIDs++
	att := &attestation{
		id:        attestationID(s.issuedIDs),
		questions: attestationQuestions(),
		notes:     s.account.specialNotes(now),
	}
	s.attestations[att.id] = att
	requireScan, hasVuln := s.account.blockers(now)
	return ok(pciStartAnswer{
		ID:                   att.id,
		Attestation:          attestationText(s.account.merchant),
		TargetCount:          len(inScope),
		TargetHostsOOS:       len(s.account.targets) - len(inScope),
		TargetIDsRequireScan: requireScan,
		TargetIDsHasVuln:     hasVuln,
		Questions:            att.questions,
		Notes:                att.notes,
	})
}

// pciReportList answers pci/report-list.json, oldest report first.
func (s *Simulator) pciReportList(r *http.Request, _ []byte, now time.Time) response {
	p, bad := parseListParams(r.URL.Query())
	if bad != nil {
		return *bad
	}
	items := make([]reportListItem, len(s.account.reports))
	for i, rep := range s.account.reports {
		items[i] = reportListItem{Report: rep.summary(now)}
	}
	return ok(page(items, p, len(s.account.targets)))
}

// pciReportGet answers pci/report-get.json.
func (s *Simulator) pciReportGet(r *http.Request, _ []byte, now time.Time) response {
	q := r.URL.Query()
	// The seed echoes the same request object as report-list does, sort included.
	p, bad := parseListParams(q)
	if bad != nil {
		return *bad
	}
	id, bad := requiredInt(q.Get("pci_report_id"), "pci_report_id")
	if bad != nil {
		return *bad
	}
	rep := s.account.findReport(id)
	if rep == nil {
		return fail(http.StatusNotFound, codeValidation, msgReportNotFound)
	}
	return ok(reportGetAnswer{
		Request: listRequest{TargetCount: len(s.account.targets), Sort: p.sort},
		Report: reportDetail{
			AttestName: rep.attestName, TargetCount: len(rep.targetIDs), Notes: rep.notes, Name: rep.name,
			PCIReportID: rep.id, AttestTitle: rep.attestTitle, TargetIDs: rep.targetIDs, Status: rep.statusAt(now),
		},
	})
}

// summary is the report as attest and report-list show it at now.
func (rep *report) summary(now time.Time) reportSummary {
	return reportSummary{
		AttestName: rep.attestName, TargetCount: len(rep.targetIDs), Name: rep.name,
		PCIReportID: rep.id, AttestTitle: rep.attestTitle, Status: rep.statusAt(now),
	}
}

// requiredInt parses a required whole-number query parameter, answering 400 when it is
// missing or not a number.
func requiredInt(value, name string) (int, *response) {
	value = strings.TrimSpace(value)
	if value == "" {
		r := badRequest(fmtParamRequired, name)
		return 0, &r
	}
	n, err := strconv.Atoi(value)
	if err != nil {
		r := badRequest(fmtParamNotValid, name)
		return 0, &r
	}
	return n, nil
}

// joinInts writes ids as "2, 4".
func joinInts(ids []int) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Itoa(id)
	}
	return strings.Join(parts, ", ")
}

// describeTargets writes target ids with their hosts, as "7 (api.example.com)", for error
// sentences a person reads.
func (a *account) describeTargets(ids []int) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Itoa(id)
		if t := a.findTarget(id); t != nil {
			parts[i] = fmt.Sprintf("%d (%s)", id, t.host)
		}
	}
	return strings.Join(parts, ", ")
}
