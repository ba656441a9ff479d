package tools

import (
	"fmt"
	"strings"
)

// Preview is exactly what a destructive call will send, for the person who
// must agree to it first.
type Preview struct {
	// Account is the named account (merchant) the change applies to; the
	// guard fills it in, so no preview can name another.
	Account  string `json:"account"`
	Provider string `json:"provider"`
	// User is the upstream user the account acts as.
	User string `json:"user,omitempty"`
	// Action says what will happen, e.g. "remove 2 hosts from PCI scope".
	Action string `json:"action"`
	// Items are every host or virtual host, in the order they will be sent;
	// a range says how many addresses it holds.
	Items []string `json:"items,omitempty"`
	// NotInScope are the items of which nothing is in PCI scope now, as a
	// read of the account before asking found: removing them changes
	// nothing.
	NotInScope []string `json:"not_in_scope,omitempty"`
	// ScopeUnchecked says why the scope could not be read, when it could not.
	ScopeUnchecked string `json:"scope_unchecked,omitempty"`
	// Notice is the plain consequence of saying yes.
	Notice string `json:"notice"`
}

// base returns the common part of a preview.
func (p *Preview) base() *Preview { return p }

// AttestationPreview is the signed statement an attestation submits.
type AttestationPreview struct {
	Preview
	ReportName  string            `json:"report_name"`
	PersonName  string            `json:"attest_person_name"`
	PersonTitle string            `json:"attest_person_title"`
	Questions   []QuestionPreview `json:"questions"`
	Notes       []NotePreview     `json:"notes"`
	// Unseen, when set, says that this server did not see the start of the
	// attestation, so nothing above was checked against it.
	Unseen string `json:"unseen,omitempty"`
}

// QuestionPreview is one attestation question with the answer given.
type QuestionPreview struct {
	ID     int    `json:"id"`
	Text   string `json:"text,omitempty"`
	Answer string `json:"answer"`
}

// NotePreview is one note with the response given.
type NotePreview struct {
	TargetID int    `json:"target_id"`
	IssueID  int    `json:"issue_id"`
	Issue    string `json:"issue,omitempty"`
	Target   string `json:"target,omitempty"`
	Secure   bool   `json:"secure"`
	Response string `json:"response"`
}

// Text renders the preview for a person: the message of the confirmation
// question, or what an assistant shows before asking.
func (p *Preview) Text() string {
	var b strings.Builder
	p.writeHeader(&b)
	b.WriteString(p.Notice)
	return b.String()
}

func (p *Preview) writeHeader(b *strings.Builder) {
	// The account comes first and stands out: acting on the wrong merchant
	// is the mistake a person must be able to catch here.
	user := p.User
	if user == "" {
		user = "unknown"
	}
	fmt.Fprintf(b, "ACCOUNT %s (%s user %s)\n%s\n", p.Account, p.Provider, user, capitalise(p.Action))
	for i, item := range p.Items {
		fmt.Fprintf(b, "  %d. %s\n", i+1, item)
	}
	for _, item := range p.NotInScope {
		fmt.Fprintf(b, "Warning — not in PCI scope: %s (removing it changes nothing)\n", item)
	}
	if p.ScopeUnchecked != "" {
		fmt.Fprintf(b, "Warning — %s.\n", p.ScopeUnchecked)
	}
}

// Text renders the attestation as the statement the person signs.
func (a *AttestationPreview) Text() string {
	var b strings.Builder
	a.writeHeader(&b)
	// The person's own words are quoted, so where each ends is plain.
	fmt.Fprintf(&b, "Report: %s\nSigned by: %s, %s\n", quoted(a.ReportName), quoted(a.PersonName), quoted(a.PersonTitle))
	if len(a.Questions) > 0 {
		b.WriteString("Answers:\n")
	}
	for _, q := range a.Questions {
		text := q.Text
		if text == "" {
			text = fmt.Sprintf("question %d", q.ID)
		}
		fmt.Fprintf(&b, "  Q%d. %s → %s\n", q.ID, text, strings.ToUpper(q.Answer))
	}
	if len(a.Notes) > 0 {
		b.WriteString("Notes:\n")
	}
	for _, n := range a.Notes {
		what := n.Issue
		if what == "" {
			what = fmt.Sprintf("issue %d", n.IssueID)
		}
		target := n.Target
		if target == "" {
			target = fmt.Sprintf("target %d", n.TargetID)
		}
		secure := "not secure"
		if n.Secure {
			secure = "secure"
		}
		fmt.Fprintf(&b, "  %s on %s: marked %s, response:\n", what, target, secure)
		writeIndented(&b, n.Response)
	}
	if a.Unseen != "" {
		b.WriteString("Warning — " + a.Unseen + "\n")
	}
	b.WriteString(a.Notice)
	return b.String()
}

// responseIndent starts every line of a multi-line value in a preview: no
// line of the preview's own structure starts with it, so a value cannot
// pass for one.
const responseIndent = "      │ "

// writeIndented writes a multi-line value, each of its lines under its
// label behind responseIndent. Arguments hold no control character but line
// breaks (checkText), so nothing else can move what is shown.
func writeIndented(b *strings.Builder, value string) {
	for line := range strings.Lines(value) {
		b.WriteString(responseIndent)
		b.WriteString(strings.TrimRight(line, "\r\n"))
		b.WriteByte('\n')
	}
}

// quoted writes a one-line value between quotation marks.
func quoted(s string) string { return "“" + s + "”" }

// previewer is a preview of either kind.
type previewer interface {
	Text() string
	base() *Preview
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// plural returns "1 host" or "3 hosts".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
