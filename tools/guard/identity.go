package guard

import (
	"context"
	"slices"
)

// Identity is the authenticated person behind a request, when the server
// runs as an OAuth resource server: who is recorded in the audit trail, and
// whom confirmations, sessions and approvals are bound to. It never leaves
// pci-mcp: nothing of it is sent to Qualys or Halo.
type Identity struct {
	// Subject is the token's subject claim: stable and unique per person at
	// the identity provider.
	Subject string
	// Email is the email claim when the token has one (for people reading
	// the audit trail; bindings use Subject).
	Email string
	// Scopes are the token's granted scopes.
	Scopes []string
}

// HasScope reports whether the identity was granted scope.
func (i Identity) HasScope(scope string) bool { return slices.Contains(i.Scopes, scope) }

type identityKey struct{}

// WithIdentity returns ctx carrying the request's identity.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// IdentityFrom returns the request's identity; false when the server does
// not authenticate people (stdio, a shared bearer token).
func IdentityFrom(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok && id.Subject != ""
}

// SubjectFrom is the request's subject, or "" without an identity: what
// bindings compare, so a token, session or approval of one person is
// refused to another.
func SubjectFrom(ctx context.Context) string {
	id, _ := IdentityFrom(ctx)
	return id.Subject
}
