package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
)

// attemptResult is what one send of a request produced.
type attemptResult struct {
	status   int
	body     []byte
	err      *Error
	duration time.Duration
	// delivered is false only when the request provably never reached the
	// server in full: no connection was made, or writing it failed.
	delivered bool
}

func (a attemptResult) outcome() string {
	if a.err == nil {
		return "ok"
	}
	return a.err.Kind.String()
}

// attempt sends r once, bounded by the per-attempt timeout, and classifies
// the result.
func (c *Client) attempt(ctx context.Context, r Request, target string, payload []byte) attemptResult {
	start := time.Now()
	ctx, cancel := context.WithTimeoutCause(ctx, c.cfg.Timeout, errAttemptTimeout)
	defer cancel()

	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				wrote.Store(true)
			}
		},
	}
	ctx = httptrace.WithClientTrace(ctx, trace)

	req, err := c.newHTTPRequest(ctx, r, target, payload)
	if err != nil {
		return attemptResult{err: c.newError(r, func(e *Error) { e.Kind = KindNetwork; e.Cause = err })}
	}

	res := attemptResult{}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		res.delivered = wrote.Load()
		res.err = c.transportError(ctx, r, err, res.delivered)
		res.duration = time.Since(start)
		return res
	}
	defer resp.Body.Close()
	res.delivered = true
	res.status = resp.StatusCode

	body, tooLarge, readErr := readLimited(resp.Body, c.cfg.MaxResponseBytes)
	res.duration = time.Since(start)
	switch {
	case tooLarge:
		res.err = c.newError(r, func(e *Error) {
			e.Kind = KindTooLarge
			e.StatusCode = resp.StatusCode
			e.ContentType = resp.Header.Get("Content-Type")
			e.Message = fmt.Sprintf("the answer is larger than the %s limit", byteSize(c.cfg.MaxResponseBytes))
			e.OutcomeUnknown = r.Effect == Write && resp.StatusCode < 300
		})
		return res
	case readErr != nil:
		// The status line arrived but the body did not: for a write the
		// upstream may well have acted on it.
		res.err = c.transportError(ctx, r, readErr, true)
		res.err.StatusCode = resp.StatusCode
		return res
	}
	// Scrubbed where the bytes enter, before anything decodes, excerpts,
	// escapes or strips them: an answer that echoes a credential in any
	// spelling loses it here, whole, not after a transformation that would
	// hide it from the redactor (or cut it in half).
	body = c.redactor.RedactBytes(body)
	res.body = body
	res.err = c.checkAnswer(r, resp, body)
	return res
}

var errAttemptTimeout = errors.New("upstream request timed out")

func (c *Client) newHTTPRequest(ctx context.Context, r Request, target string, payload []byte) (*http.Request, error) {
	var bodyReader *bytes.Reader
	if payload != nil {
		bodyReader = bytes.NewReader(payload)
	}
	var req *http.Request
	var err error
	if bodyReader != nil {
		req, err = http.NewRequestWithContext(ctx, r.Method, target, bodyReader)
	} else {
		req, err = http.NewRequestWithContext(ctx, r.Method, target, nil)
	}
	if err != nil {
		return nil, err
	}
	for name, values := range c.cfg.Header {
		req.Header[name] = values
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cfg.Authorize != nil {
		c.cfg.Authorize(req)
	}
	return req, nil
}

// transportError classifies a failure to get a complete answer.
func (c *Client) transportError(ctx context.Context, r Request, err error, delivered bool) *Error {
	return c.newError(r, func(e *Error) {
		e.Cause = err
		switch {
		case errors.Is(context.Cause(ctx), errAttemptTimeout):
			e.Kind = KindTimeout
			e.Cause = fmt.Errorf("no complete answer within %s", c.cfg.Timeout)
		case ctx.Err() != nil:
			e.Kind = KindCanceled
		default:
			e.Kind = KindNetwork
		}
		e.OutcomeUnknown = delivered && r.Effect == Write
	})
}

// checkAnswer turns an error status, a non-JSON answer or a provider error
// body into an *Error; it returns nil for a good answer.
func (c *Client) checkAnswer(r Request, resp *http.Response, body []byte) *Error {
	contentType := resp.Header.Get("Content-Type")
	isJSON := json.Valid(body)
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300

	// Some providers (Halo) signal errors in the body whatever the status.
	if isJSON && c.cfg.ErrorBody != nil {
		if failed, message, code := c.cfg.ErrorBody(body); failed {
			return c.statusError(r, resp, func(e *Error) {
				e.Message = trimMessage(message)
				e.Code = code
			})
		}
	}
	if !ok {
		return c.statusError(r, resp, func(e *Error) {
			e.ContentType = contentType
			switch kind := markupKind(contentType, body); {
			case isJSON:
				e.Message = trimMessage(jsonMessage(body))
			case kind != "":
				e.Page, e.Message = kind, pageSummary(kind, body)
			default:
				e.Message = excerpt(body)
			}
		})
	}
	if !isJSON {
		return c.newError(r, func(e *Error) {
			e.Kind = KindNotJSON
			e.StatusCode = resp.StatusCode
			e.ContentType = contentType
			e.Page = markupKind(contentType, body)
			e.Message = describeNonJSON(resp.StatusCode, contentType, body)
			// The upstream answered 2xx: a write was very likely processed,
			// but we cannot read what it said.
			e.OutcomeUnknown = r.Effect == Write
		})
	}
	return nil
}

func (c *Client) statusError(r Request, resp *http.Response, fill func(*Error)) *Error {
	return c.newError(r, func(e *Error) {
		e.Kind = KindStatus
		e.StatusCode = resp.StatusCode
		e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		// A 5xx to a write leaves its outcome unknown: the gateway may have
		// failed after the service acted. 4xx answers say it was refused.
		e.OutcomeUnknown = r.Effect == Write && resp.StatusCode >= 500
		fill(e)
	})
}

// describeNonJSON says what came back instead of JSON, with a short excerpt a
// person can recognise (an HTML title, an XML error).
func describeNonJSON(status int, contentType string, body []byte) string {
	if len(bytes.TrimSpace(body)) == 0 {
		return fmt.Sprintf("HTTP %d with an empty body instead of JSON", status)
	}
	media := contentType
	if parsed, _, err := mime.ParseMediaType(contentType); err == nil {
		media = parsed
	}
	if media == "" {
		media = "no content type"
	}
	if strings.Contains(media, "json") {
		return fmt.Sprintf("HTTP %d with truncated or malformed JSON (%s): %q", status, media, excerpt(body))
	}
	if kind := markupKind(contentType, body); kind != "" {
		if title := pageSummary(kind, body); title != "" {
			return fmt.Sprintf("HTTP %d with an %s page instead of JSON: %q", status, kind, title)
		}
		return fmt.Sprintf("HTTP %d with an %s page instead of JSON", status, kind)
	}
	return fmt.Sprintf("HTTP %d with %s instead of JSON: %q", status, media, excerpt(body))
}

const excerptLen = 160

// excerpt returns a short, single-line, printable rendering of body: markup
// tags dropped, whitespace collapsed, control bytes removed.
func excerpt(body []byte) string {
	var b strings.Builder
	inTag, space := false, false
	for len(body) > 0 && b.Len() < excerptLen {
		r, size := utf8.DecodeRune(body)
		body = body[size:]
		switch {
		case r == '<':
			inTag = true
			continue
		case r == '>' && inTag:
			inTag = false
			space = true
			continue
		case inTag:
			continue
		case r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r):
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	out := b.String()
	if len(body) > 0 && len(out) >= excerptLen {
		out += "…"
	}
	return out
}

// trimMessage bounds an upstream message to one readable line.
func trimMessage(s string) string {
	return excerpt([]byte(s))
}

// jsonMessage digs the human message out of an error body of unknown shape:
// "message", "errorMessage", "error", "errors[0].message", or a "data" string.
func jsonMessage(body []byte) string {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return ""
	}
	return findMessage(v, 0)
}

func findMessage(v any, depth int) string {
	if depth > 4 {
		return ""
	}
	switch t := v.(type) {
	case string:
		return t
	case []any:
		var parts []string
		for _, item := range t {
			if m := findMessage(item, depth+1); m != "" {
				parts = append(parts, m)
			}
		}
		return strings.Join(parts, "; ")
	case map[string]any:
		for _, key := range []string{"message", "errorMessage", "error_message", "error", "errors", "detail", "data"} {
			if inner, ok := t[key]; ok {
				if m := findMessage(inner, depth+1); m != "" {
					return m
				}
			}
		}
	}
	return ""
}

func describeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := typeErr.Field
		if field == "" {
			field = "(top level)"
		}
		return fmt.Sprintf("field %s is a JSON %s, expected %s", field, typeErr.Value, typeErr.Type)
	}
	return err.Error()
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
