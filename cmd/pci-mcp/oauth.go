package main

import (
	"context"
	"net/http"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/pci-mcp/pci-mcp/cmd/pci-mcp/internal/oauth"
	"github.com/pci-mcp/pci-mcp/tools"
	"github.com/pci-mcp/pci-mcp/tools/guard"
)

// OAuth 2.1 resource-server mode: with PCI_MCP_OAUTH_ISSUER and
// PCI_MCP_OAUTH_AUDIENCE set, every request to the MCP endpoints needs an
// access token from that issuer for this server, each call is attributed
// to the token's subject, and the token's scopes decide which tools the
// person sees and may call.

const (
	envOAuthIssuer       = "PCI_MCP_OAUTH_ISSUER"
	envOAuthAudience     = "PCI_MCP_OAUTH_AUDIENCE"
	envOAuthSubjectClaim = "PCI_MCP_OAUTH_SUBJECT_CLAIM"
	envOAuthScopeClaim   = "PCI_MCP_OAUTH_SCOPE_CLAIM"
	envFourEyes          = "PCI_MCP_APPROVAL_FOUR_EYES"
)

// oauthSettings are the resource server's settings (environment only).
type oauthSettings struct {
	issuer, audience, subjectClaim, scopeClaim string
	// fourEyes is PCI_MCP_APPROVAL_FOUR_EYES: the requester of a call may
	// not approve it.
	fourEyes bool
}

func (o oauthSettings) enabled() bool { return o.issuer != "" || o.audience != "" }

func (c *config) readOAuth(getenv func(string) string) error {
	c.oauth = oauthSettings{
		issuer: getenv(envOAuthIssuer), audience: getenv(envOAuthAudience),
		subjectClaim: getenv(envOAuthSubjectClaim), scopeClaim: getenv(envOAuthScopeClaim),
	}
	switch v := getenv(envFourEyes); v {
	case "", "false", "0":
	case "true", "1":
		c.oauth.fourEyes = true
	default:
		return usageError("%s=%q: must be true or false", envFourEyes, v)
	}
	return nil
}

// validateOAuth checks the OAuth settings: both or neither, and not with
// the shared bearer token (two ways of saying who may call would leave it
// unclear which one decides).
func (c *config) validateOAuth() error {
	if !c.oauth.enabled() {
		if c.oauth.fourEyes {
			return usageError("%s needs identities to tell the requester from the approver: set %s and %s", envFourEyes, envOAuthIssuer, envOAuthAudience)
		}
		return nil
	}
	if c.oauth.issuer == "" || c.oauth.audience == "" {
		return usageError("set both %s (your identity provider's issuer URL) and %s (this server's resource identifier, e.g. https://pci-mcp.example.com/mcp), or neither",
			envOAuthIssuer, envOAuthAudience)
	}
	if c.http.authToken != "" {
		return usageError("%s and %s are two ways of authenticating callers: set one of them, not both", envAuthToken, envOAuthIssuer)
	}
	if _, err := c.newVerifier(); err != nil {
		return usageError("%s: %v", envOAuthIssuer, err)
	}
	return nil
}

func (c *config) newVerifier() (*oauth.Verifier, error) {
	return oauth.New(oauth.Config{
		Issuer: c.oauth.issuer, Audience: c.oauth.audience,
		SubjectClaim: c.oauth.subjectClaim, ScopeClaim: c.oauth.scopeClaim,
	})
}

// toolScope is the scope a tool needs: reads pci:read; removals,
// attestations and acknowledgements (the guarded, destructive tools)
// pci:destructive; every other change (adds, launches) pci:write.
func toolScope(t mcp.Tool) string {
	switch {
	case t.Annotations.DestructiveHint != nil && *t.Annotations.DestructiveHint:
		return oauth.ScopeDestructive
	case t.Annotations.ReadOnlyHint != nil && *t.Annotations.ReadOnlyHint:
		return oauth.ScopeRead
	}
	return oauth.ScopeWrite
}

// scopeFilter is mcp-go's per-request tool filter: a person sees in
// tools/list, and may call, only the tools their token's scopes cover.
// Without an identity (stdio, the shared bearer token) it keeps every tool.
func scopeFilter(ctx context.Context, in []mcp.Tool) []mcp.Tool {
	id, ok := guard.IdentityFrom(ctx)
	if !ok {
		return in
	}
	out := in[:0:0]
	for _, t := range in {
		if id.HasScope(toolScope(t)) {
			out = append(out, t)
		}
	}
	return out
}

// toolScopes maps each served tool to its scope, for the HTTP-level 403.
func toolScopes(served []tools.Tool) oauth.ToolScopes {
	out := oauth.ToolScopes{}
	for _, t := range served {
		out[t.Name] = toolScope(t.Definition())
	}
	return out
}

// authenticate puts the configured authentication in front of an MCP
// endpoint: the OAuth resource server (token, then body, then scopes), or
// the shared bearer token, or nothing on loopback without one.
func authenticate(a *app, next http.Handler) http.Handler {
	if a.oauth == nil {
		return requireBearer(a.cfg.http.authToken, readBody(next))
	}
	return a.oauth.Authenticate(readBody(a.oauth.RequireScopes(toolScopes(a.tools), requestBody, next)))
}

// mountOAuthMetadata serves the protected resource metadata (RFC 9728),
// unauthenticated, as a client needs it to find where to get a token.
func mountOAuthMetadata(a *app, mux *http.ServeMux) {
	if a.oauth == nil {
		return
	}
	for _, p := range a.oauth.MetadataPaths() {
		mux.Handle("GET "+p, a.oauth.MetadataHandler())
	}
}
