package upstream

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"html"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Redacted replaces a secret wherever one would have been shown.
const Redacted = "[REDACTED]"

// minSecretLen keeps very short values (an empty password, "x") out of the
// redactor: replacing every "x" in a message would destroy it and protect
// nothing.
const minSecretLen = 4

// Redactor removes known secret values from text, in every form a secret
// takes on its way through pci-mcp: as typed, JSON-escaped (with and without
// HTML escaping), Go-quoted, URL-encoded, HTML-escaped, and the base64 of a
// Basic credential (BasicAuthSecrets). It is the one place credentials are
// scrubbed: from an upstream's raw answer before anything decodes, excerpts,
// escapes or strips it, and again from every string that leaves the process
// (tool results, errors, log lines, audit lines, confirmation questions).
//
// One Redactor serves the whole process; Add registers secrets as they are
// configured (accounts, stores, webhooks) and is safe while others redact.
// The zero value and a nil *Redactor redact nothing.
type Redactor struct {
	mu    sync.Mutex // serialises Add
	state atomic.Pointer[redactorState]
}

// redactorState is immutable once published, so Redact needs no lock.
type redactorState struct {
	secrets  []string // as configured
	forms    []string // every form of every secret, longest first
	rawForms [][]byte // forms, for searching answers without converting them
	replacer *strings.Replacer
}

// NewRedactor returns a redactor for the given secrets. Empty and very short
// values are ignored.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// BasicAuthSecrets returns the forms in which a Basic-auth credential can
// leak: the password and the base64 of "user:password" as sent on the wire
// (the unpadded form too, which is a prefix of the padded one).
func BasicAuthSecrets(username, password string) []string {
	if password == "" {
		return nil
	}
	credential := []byte(username + ":" + password)
	return []string{password, base64.StdEncoding.EncodeToString(credential), base64.RawStdEncoding.EncodeToString(credential)}
}

// With returns a new redactor that removes r's secrets and the given ones.
func (r *Redactor) With(secrets ...string) *Redactor {
	out := &Redactor{}
	out.Add(append(r.Secrets(), secrets...)...)
	return out
}

// Secrets returns the configured secrets (not their derived forms).
func (r *Redactor) Secrets() []string {
	if r == nil {
		return nil
	}
	if st := r.state.Load(); st != nil {
		return slices.Clone(st.secrets)
	}
	return nil
}

// Add registers more secrets. Values shorter than four bytes are ignored.
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var all []string
	if st := r.state.Load(); st != nil {
		all = slices.Clone(st.secrets)
	}
	for _, s := range secrets {
		if len(s) >= minSecretLen && !slices.Contains(all, s) {
			all = append(all, s)
		}
	}
	seen := map[string]bool{}
	var forms []string
	for _, s := range all {
		for _, f := range secretForms(s) {
			if len(f) >= minSecretLen && !seen[f] {
				seen[f] = true
				forms = append(forms, f)
			}
		}
	}
	// Longer forms first: strings.Replacer prefers earlier pairs at a
	// position, so a form that contains another is replaced whole rather
	// than leaving a recognisable remainder.
	slices.SortStableFunc(forms, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, Redacted)
	}
	rawForms := make([][]byte, len(forms))
	for i, f := range forms {
		rawForms[i] = []byte(f)
	}
	r.state.Store(&redactorState{secrets: all, forms: forms, rawForms: rawForms, replacer: strings.NewReplacer(pairs...)})
}

// secretForms lists the spellings of s that text can carry. Each escaping
// is applied alone and, for the escapers that nest in practice (a JSON
// string inside a Go-quoted message, JSON inside JSON), twice.
func secretForms(s string) []string {
	forms := []string{s, html.EscapeString(s), xmlEscape(s)}
	for _, esc := range []func(string) string{jsonEscape, jsonEscapeHTML, goQuote, goQuoteASCII} {
		once := esc(s)
		forms = append(forms, once, jsonEscape(once), jsonEscapeHTML(once), goQuote(once))
	}
	for _, enc := range []string{url.QueryEscape(s), url.PathEscape(s)} {
		// Percent-encoding's hex digits may come back in either case.
		forms = append(forms, enc, lowerHexEscapes(enc), strings.ReplaceAll(enc, "+", "%20"))
	}
	return forms
}

// jsonEscape is s as it appears inside a JSON string from an encoder that
// does not escape HTML; jsonEscapeHTML as encoding/json writes it by
// default (<, >, & as \u003c, \u003e, \u0026).
func jsonEscape(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return unquoteEnds(strings.TrimSuffix(b.String(), "\n"))
}

func jsonEscapeHTML(s string) string {
	data, _ := json.Marshal(s)
	return unquoteEnds(string(data))
}

func goQuote(s string) string      { return unquoteEnds(strconv.Quote(s)) }
func goQuoteASCII(s string) string { return unquoteEnds(strconv.QuoteToASCII(s)) }

func unquoteEnds(q string) string { return q[1 : len(q)-1] }

// xmlEscape is the named-entity spelling html.EscapeString does not use.
var xmlEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace

// lowerHexEscapes spells every %XX escape with lower-case hex digits, as
// some encoders write them. Only the two digits after a '%' change: s is the
// output of url.QueryEscape, so every '%' starts an escape.
func lowerHexEscapes(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = lowerHex(b[i+1]), lowerHex(b[i+2])
			i += 2
		}
	}
	return string(b)
}

func lowerHex(c byte) byte {
	if 'A' <= c && c <= 'F' {
		return c + ('a' - 'A')
	}
	return c
}

func (r *Redactor) current() *redactorState {
	if r == nil {
		return nil
	}
	st := r.state.Load()
	if st == nil || len(st.forms) == 0 {
		return nil
	}
	return st
}

// Redact returns s with every form of every known secret replaced.
func (r *Redactor) Redact(s string) string {
	st := r.current()
	if st == nil || !st.containsString(s) {
		return s
	}
	return st.replacer.Replace(s)
}

// RedactBytes is Redact for a raw answer: b itself when it holds no secret.
func (r *Redactor) RedactBytes(b []byte) []byte {
	st := r.current()
	if st == nil || !st.containsBytes(b) {
		return b
	}
	return []byte(st.replacer.Replace(string(b)))
}

// Contains reports whether s holds any form of a known secret.
func (r *Redactor) Contains(s string) bool {
	st := r.current()
	return st != nil && st.containsString(s)
}

func (st *redactorState) containsString(s string) bool {
	for _, f := range st.forms {
		if strings.Contains(s, f) {
			return true
		}
	}
	return false
}

func (st *redactorState) containsBytes(b []byte) bool {
	for _, f := range st.rawForms {
		if bytes.Contains(b, f) {
			return true
		}
	}
	return false
}
