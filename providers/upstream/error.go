package upstream

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Kind classifies what went wrong with an upstream request, so callers can
// choose what to tell a person without parsing error strings.
type Kind int

const (
	// KindStatus: the upstream answered with an error status or an error body.
	KindStatus Kind = iota + 1
	// KindTimeout: no complete answer arrived within the per-request timeout.
	KindTimeout
	// KindNetwork: the connection failed (refused, reset, DNS failure, ...).
	KindNetwork
	// KindTooLarge: the answer exceeded the response size cap.
	KindTooLarge
	// KindNotJSON: the answer was not the JSON the API documents (an HTML
	// error page from a gateway, XML, an empty or truncated body).
	KindNotJSON
	// KindCanceled: the caller gave up (the MCP request was cancelled or the
	// server is shutting down).
	KindCanceled
)

// String names the kind for logs and audit lines.
func (k Kind) String() string {
	switch k {
	case KindStatus:
		return "status"
	case KindTimeout:
		return "timeout"
	case KindNetwork:
		return "network"
	case KindTooLarge:
		return "too_large"
	case KindNotJSON:
		return "not_json"
	case KindCanceled:
		return "canceled"
	}
	return "unknown"
}

// Error is the single error type every provider returns for a failed
// upstream request. Its text never contains a credential: every string in it
// has passed through the client's Redactor.
type Error struct {
	Provider string // display name, e.g. "Qualys"
	Method   string
	Path     string // path relative to the base URL, without the query
	Kind     Kind
	// StatusCode is the HTTP status of the last answer, 0 when none arrived.
	StatusCode int
	// Code is the provider's own error code from the body, when it sent one
	// (Halo's "code"); it is not always the HTTP status.
	Code *int
	// Message is the upstream's own message (JSON or text), trimmed.
	Message string
	// ContentType of the last answer, for non-JSON answers.
	ContentType string
	// Page is "HTML" or "XML" when the answer was a page (a gateway's or a
	// maintenance page) rather than the API's JSON; Message is then the
	// page's title, first heading or message, never its raw text.
	Page string
	// OutcomeUnknown is set when a request that changes state may have been
	// processed: it reached the server and no definite answer came back.
	OutcomeUnknown bool
	// Attempts is how many times the request was sent.
	Attempts int
	// RetryAfter is the wait the upstream asked for on 429/503, if any.
	RetryAfter time.Duration
	// Cause is the underlying transport error, already redacted.
	Cause error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s %s", e.Provider, e.Method, e.Path)
	switch {
	case e.StatusCode != 0:
		fmt.Fprintf(&b, ": HTTP %d", e.StatusCode)
		if text := http.StatusText(e.StatusCode); text != "" {
			fmt.Fprintf(&b, " %s", text)
		}
	case e.Kind == KindTimeout:
		b.WriteString(": timed out")
	case e.Kind == KindCanceled:
		b.WriteString(": cancelled")
	}
	if e.Page != "" && e.Kind == KindStatus {
		fmt.Fprintf(&b, ": an %s page", e.Page)
		if e.Message != "" {
			fmt.Fprintf(&b, " %q", e.Message)
		}
	} else if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	} else if e.Cause != nil {
		fmt.Fprintf(&b, ": %v", e.Cause)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Cause }

// AsError returns the *Error inside err, if there is one.
func AsError(err error) (*Error, bool) {
	var ue *Error
	if errors.As(err, &ue) {
		return ue, true
	}
	return nil, false
}

// NotFound reports whether the upstream said the thing asked for does not
// exist, by HTTP status or by its own error code.
func (e *Error) NotFound() bool {
	return e.StatusCode == http.StatusNotFound || (e.Code != nil && *e.Code == http.StatusNotFound)
}

// Unauthorized reports whether the upstream rejected the credentials.
func (e *Error) Unauthorized() bool {
	return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden ||
		(e.Code != nil && (*e.Code == http.StatusUnauthorized || *e.Code == http.StatusForbidden))
}
