package upstream

import (
	"encoding/base64"
	"slices"
	"strings"
)

// Redacted replaces a secret wherever one would have been shown.
const Redacted = "[REDACTED]"

// minSecretLen keeps very short values (an empty password, "x") out of the
// redactor: replacing every "x" in a message would destroy it and protect
// nothing.
const minSecretLen = 4

// Redactor removes known secret values from text. It is the one place
// credentials are scrubbed from error messages, upstream excerpts, log lines
// and audit lines. The zero value and a nil *Redactor redact nothing.
type Redactor struct {
	replacer *strings.Replacer
	secrets  []string
}

// NewRedactor returns a redactor for the given secrets. Empty and very short
// values are ignored.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	r.add(secrets...)
	return r
}

// BasicAuthSecrets returns the forms in which a Basic-auth credential can
// leak: the password and the base64 of "user:password" as sent on the wire.
func BasicAuthSecrets(username, password string) []string {
	if password == "" {
		return nil
	}
	encoded := base64.StdEncoding.EncodeToString([]byte(username + ":" + password))
	return []string{password, encoded}
}

// With returns a redactor that also removes the given secrets.
func (r *Redactor) With(secrets ...string) *Redactor {
	out := &Redactor{}
	if r != nil {
		out.add(r.secrets...)
	}
	out.add(secrets...)
	return out
}

func (r *Redactor) add(secrets ...string) {
	for _, s := range secrets {
		if len(s) >= minSecretLen {
			r.secrets = append(r.secrets, s)
		}
	}
	pairs := make([]string, 0, 2*len(r.secrets))
	// Longer secrets first, so a secret that contains another is replaced
	// whole rather than leaving a recognisable remainder.
	ordered := slices.Clone(r.secrets)
	slices.SortFunc(ordered, func(a, b string) int { return len(b) - len(a) })
	for _, s := range ordered {
		pairs = append(pairs, s, Redacted)
	}
	r.replacer = strings.NewReplacer(pairs...)
}

// Redact returns s with every known secret replaced.
func (r *Redactor) Redact(s string) string {
	if r == nil || r.replacer == nil || len(r.secrets) == 0 {
		return s
	}
	return r.replacer.Replace(s)
}

// Contains reports whether s holds any known secret.
func (r *Redactor) Contains(s string) bool {
	if r == nil {
		return false
	}
	for _, secret := range r.secrets {
		if strings.Contains(s, secret) {
			return true
		}
	}
	return false
}
