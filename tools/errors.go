package tools

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// This file is the one home of upstream error mapping: every failure a tool
// meets becomes a result a person can act on, naming what failed, the input
// at fault and what to do next.

// subjectError names the thing a call was about ("scan 123"), so a 404 reads
// "scan 123 not found" and says where to find valid ids.
type subjectError struct {
	subject string
	hint    string
	err     error
}

func (e *subjectError) Error() string { return e.subject + ": " + e.err.Error() }
func (e *subjectError) Unwrap() error { return e.err }

// about attaches the subject of a call to its error, if any.
func about(err error, subject, hint string) error {
	if err == nil {
		return nil
	}
	return &subjectError{subject: subject, hint: hint, err: err}
}

// invalidArgumentsResult reports arguments refused before anything was sent.
func invalidArgumentsResult(s spec, err error) *mcp.CallToolResult {
	return errorText(invalidArgumentsText(s, err))
}

func invalidArgumentsText(s spec, err error) string {
	return fmt.Sprintf("Invalid arguments for %s: %s. Nothing was sent to %s.", s.name, err.Error(), s.toolset.provider())
}

// errorResult maps a handler's failure to a tool result.
func (d *Deps) errorResult(s spec, err error) *mcp.CallToolResult {
	return errorText(d.Redactor.Redact(d.describeFailure(s, err)))
}

func (d *Deps) describeFailure(s spec, err error) string {
	var argErr *ArgumentError
	var argErrs argumentErrors
	if errors.As(err, &argErr) || errors.As(err, &argErrs) {
		return invalidArgumentsText(s, err)
	}
	var subject *subjectError
	errors.As(err, &subject)
	ue, ok := upstream.AsError(err)
	if !ok {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return fmt.Sprintf("%s was cancelled before it finished.", s.name)
		}
		return fmt.Sprintf("%s failed: %v", s.name, err)
	}
	text := d.describeUpstream(s, ue, subject)
	if ue.OutcomeUnknown {
		text += " " + outcomeUnknown(s)
	}
	return text
}

// describeUpstream says what the provider's answer means for the person.
func (d *Deps) describeUpstream(s spec, ue *upstream.Error, subject *subjectError) string {
	provider := s.toolset.provider()
	said := ""
	switch {
	case ue.Page != "" && ue.Kind == upstream.KindStatus:
		said = " (" + pageAnswer(provider, ue) + ")"
	case ue.Message != "":
		said = fmt.Sprintf(" (%s said: %q)", provider, ue.Message)
	}
	switch ue.Kind {
	case upstream.KindTimeout:
		return fmt.Sprintf("%s did not answer %s in time (%s).", provider, s.name, causeText(ue)) + retryLater(s)
	case upstream.KindCanceled:
		return fmt.Sprintf("%s was cancelled before %s answered.", s.name, provider)
	case upstream.KindNetwork:
		return fmt.Sprintf("Could not reach %s: %s.", provider, causeText(ue)) + retryLater(s)
	case upstream.KindTooLarge:
		return fmt.Sprintf("%s's answer to %s was too large: %s. Ask for fewer items (a smaller limit).", provider, s.name, ue.Message)
	case upstream.KindNotJSON:
		return fmt.Sprintf("%s answered %s with something other than its API's JSON: %s. This is usually a gateway or maintenance page.", provider, s.name, ue.Message) + retryLater(s)
	}

	switch {
	case ue.Unauthorized() && ue.StatusCode != 403:
		return d.credentialsHint(s.toolset, ue.StatusCode) + said
	case ue.StatusCode == 403:
		return fmt.Sprintf("%s refused %s (HTTP 403)%s: the account may lack API access or the permission for this action.", provider, s.name, said)
	case ue.NotFound() && subject != nil:
		return fmt.Sprintf("%s not found%s. %s", subject.subject, said, subject.hint)
	case ue.NotFound():
		return fmt.Sprintf("%s found nothing for %s (HTTP 404)%s.", provider, s.name, said)
	case ue.StatusCode == 429:
		wait := "a minute"
		if ue.RetryAfter > 0 {
			wait = ue.RetryAfter.Round(time.Second).String()
		}
		return fmt.Sprintf("%s is limiting the request rate (HTTP 429)%s. Wait %s and try again.", provider, said, wait)
	case ue.StatusCode >= 500 && ue.Page != "":
		return fmt.Sprintf("%s to %s: usually a gateway or maintenance page, not the API's answer.", pageAnswer(provider, ue), s.name) + retryLater(s)
	case ue.StatusCode >= 500:
		return fmt.Sprintf("%s had a server error answering %s (HTTP %d)%s.", provider, s.name, ue.StatusCode, said) + retryLater(s)
	case ue.StatusCode >= 400:
		return fmt.Sprintf("%s refused %s (HTTP %d)%s.", provider, s.name, ue.StatusCode, said) + refusalAdvice(subject, "Check the arguments against the message.")
	}
	// An error body on a 2xx answer (Halo signals errors this way).
	msg := ue.Message
	if msg == "" {
		msg = ue.Error()
	}
	return fmt.Sprintf("%s refused %s: %s.", provider, s.name, strings.TrimSuffix(msg, ".")) + refusalAdvice(subject, "")
}

// pageAnswer says what came back when the upstream answered with a page:
// `Qualys answered HTTP 502 with an HTML page: "502 Bad Gateway"`.
func pageAnswer(provider string, ue *upstream.Error) string {
	text := fmt.Sprintf("%s answered HTTP %d with an %s page", provider, ue.StatusCode, ue.Page)
	if ue.Message != "" {
		text += fmt.Sprintf(": %q", ue.Message)
	}
	return text
}

// refusalAdvice is the sentence that follows a refusal: the call's own hint
// when it recognised the refusal (see about), otherwise def.
func refusalAdvice(subject *subjectError, def string) string {
	if subject != nil && subject.hint != "" {
		return " " + subject.hint
	}
	if def != "" {
		return " " + def
	}
	return ""
}

// credentialsHint tells the person which settings to check: the account's
// own (named accounts say where their secrets come from), else the
// single-account variables.
func (d *Deps) credentialsHint(ts Toolset, status int) string {
	check, of := d.credentials, ""
	if d.accountName != "" && d.accountName != DefaultAccountName {
		of = " of account " + d.accountName
	}
	switch ts {
	case ToolsetQualys:
		check = cmp.Or(check, "QUALYS_USERNAME and QUALYS_PASSWORD")
		return fmt.Sprintf("Qualys rejected the credentials%s (HTTP %d): check %s, that the account has API access, and that SAML-SSO is off for it (the PCI API does not accept SSO accounts).", of, status, check)
	case ToolsetHalo:
		check = cmp.Or(check, "HALO_API_KEY")
		return fmt.Sprintf("Halo Security rejected the API key%s (HTTP %d): check %s and that the key is still active.", of, status, check)
	}
	return fmt.Sprintf("%s rejected the credentials (HTTP %d).", ts.provider(), status)
}

func retryLater(s spec) string {
	if s.annotations.ReadOnlyHint != nil && *s.annotations.ReadOnlyHint {
		return " Try again in a minute."
	}
	return ""
}

// outcomeUnknown warns that a change may have happened, and how to check,
// so nobody blindly repeats it.
func outcomeUnknown(s spec) string {
	text := "The request reached " + s.toolset.provider() + " but no clear answer came back, so it may or may not have taken effect. Do not simply repeat it"
	if s.outcomeCheck != "" {
		return text + ": " + s.outcomeCheck + " first."
	}
	return text + "."
}

func causeText(ue *upstream.Error) string {
	if ue.Cause == nil {
		return "the connection failed"
	}
	// Drop net/http's `Post "https://host/path": ` prefix; the person needs
	// the reason, and the URL is already known from the tool.
	msg := ue.Cause.Error()
	if strings.HasPrefix(msg, ue.Method+" \"") {
		if _, rest, ok := strings.Cut(msg, "\": "); ok {
			msg = rest
		}
	}
	return msg
}
