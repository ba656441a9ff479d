// Package oauth makes pci-mcp an OAuth 2.1 resource server, as the MCP
// specification's authorization part describes: every request carries a
// JWT access token from the deployment's identity provider; the token's
// signature (keys from the issuer's metadata and JWKS), issuer, audience
// (RFC 8707: this server) and lifetime are checked; its subject is who the
// call is attributed to and its scopes say which tools the person may see
// and call. Tokens are verified with go-jose, never parsed by hand, and
// never passed on to Qualys or Halo.
package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/pci-mcp/pci-mcp/tools/guard"
)

// The scopes that map to tool kinds.
const (
	ScopeRead        = "pci:read"
	ScopeWrite       = "pci:write"
	ScopeDestructive = "pci:destructive"
)

// Scopes are every scope this server knows, for its metadata.
var Scopes = []string{ScopeRead, ScopeWrite, ScopeDestructive}

// DefaultLeeway is the clock skew allowed on exp and nbf.
const DefaultLeeway = 30 * time.Second

// Config is a resource server's settings.
type Config struct {
	// Issuer is the identity provider's issuer URL, exactly as its tokens'
	// iss claim and its metadata's issuer say it.
	Issuer string
	// Audience is this server's resource identifier: tokens must name it in
	// aud (RFC 8707), so a token minted for another service is refused.
	Audience string
	// SubjectClaim names the claim holding the subject (default "sub").
	SubjectClaim string
	// ScopeClaim names the claim holding the scopes (default "scope"; some
	// providers use "scp"), a space-separated string or an array.
	ScopeClaim string
	// Leeway is the clock skew allowed (default DefaultLeeway).
	Leeway time.Duration
	// HTTPClient fetches metadata and keys (default: 10s timeout).
	HTTPClient *http.Client
	// MinRefresh spaces fetches of the key set prompted by unknown key ids
	// (default 10s), so a stream of forged kids cannot hammer the issuer.
	MinRefresh time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Verifier checks access tokens.
type Verifier struct {
	cfg  Config
	keys *keySet
}

// New returns a verifier. It fetches nothing yet: the issuer's keys are
// fetched on the first token, so pci-mcp starts while the identity
// provider is briefly away.
func New(cfg Config) (*Verifier, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("both the issuer and the audience are needed")
	}
	if !strings.HasPrefix(cfg.Issuer, "https://") && !strings.HasPrefix(cfg.Issuer, "http://") {
		return nil, fmt.Errorf("issuer %q: must be an http(s) URL", cfg.Issuer)
	}
	if cfg.SubjectClaim == "" {
		cfg.SubjectClaim = "sub"
	}
	if cfg.ScopeClaim == "" {
		cfg.ScopeClaim = "scope"
	}
	if cfg.Leeway <= 0 {
		cfg.Leeway = DefaultLeeway
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.MinRefresh <= 0 {
		cfg.MinRefresh = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Verifier{cfg: cfg, keys: newKeySet(cfg)}, nil
}

// Config returns the verifier's settings, defaults filled in.
func (v *Verifier) Config() Config { return v.cfg }

// signatureAlgorithms are the asymmetric algorithms accepted: never "none",
// never HMAC (a resource server holds no shared secret with the issuer).
var signatureAlgorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

// InvalidTokenError is a token refused: the reason is safe to show (it
// quotes nothing of the token).
type InvalidTokenError struct{ Reason string }

func (e *InvalidTokenError) Error() string { return "invalid access token: " + e.Reason }

// UnavailableError means the issuer's keys could not be fetched: the token
// may be fine, the server cannot tell yet.
type UnavailableError struct{ Err error }

func (e *UnavailableError) Error() string {
	return "the identity provider's keys could not be fetched: " + e.Err.Error()
}

func (e *UnavailableError) Unwrap() error { return e.Err }

func invalid(format string, args ...any) error {
	return &InvalidTokenError{Reason: fmt.Sprintf(format, args...)}
}

// Verify checks raw and returns whose it is.
func (v *Verifier) Verify(ctx context.Context, raw string) (guard.Identity, error) {
	tok, err := jwt.ParseSigned(raw, signatureAlgorithms)
	if err != nil {
		return guard.Identity{}, invalid("not a signed JWT with an accepted algorithm")
	}
	if len(tok.Headers) != 1 {
		return guard.Identity{}, invalid("one signature expected")
	}
	kid := tok.Headers[0].KeyID
	keys, err := v.keys.lookup(ctx, kid)
	if err != nil {
		return guard.Identity{}, err
	}
	var std jwt.Claims
	var extra map[string]any
	verified := false
	for _, k := range keys {
		if err := tok.Claims(k.Key, &std, &extra); err == nil {
			verified = true
			break
		}
	}
	if !verified {
		return guard.Identity{}, invalid("the signature does not verify with the issuer's keys")
	}
	if std.Expiry == nil {
		return guard.Identity{}, invalid("no exp claim: access tokens must expire")
	}
	err = std.ValidateWithLeeway(jwt.Expected{
		Issuer:      v.cfg.Issuer,
		AnyAudience: jwt.Audience{v.cfg.Audience},
		Time:        v.cfg.Now(),
	}, v.cfg.Leeway)
	switch {
	case errors.Is(err, jwt.ErrInvalidIssuer):
		return guard.Identity{}, invalid("issued by another issuer than %s", v.cfg.Issuer)
	case errors.Is(err, jwt.ErrInvalidAudience):
		return guard.Identity{}, invalid("its audience is not this server (%s)", v.cfg.Audience)
	case errors.Is(err, jwt.ErrExpired):
		return guard.Identity{}, invalid("expired")
	case errors.Is(err, jwt.ErrNotValidYet), errors.Is(err, jwt.ErrIssuedInTheFuture):
		return guard.Identity{}, invalid("not valid yet")
	case err != nil:
		return guard.Identity{}, invalid("%v", err)
	}
	subject, _ := extra[v.cfg.SubjectClaim].(string)
	if subject == "" {
		return guard.Identity{}, invalid("no %s claim naming the person", v.cfg.SubjectClaim)
	}
	email, _ := extra["email"].(string)
	return guard.Identity{Subject: subject, Email: email, Scopes: scopesOf(extra[v.cfg.ScopeClaim])}, nil
}

// scopesOf reads a scope claim: a space-separated string (RFC 9068's
// "scope") or an array of strings (some providers' "scp").
func scopesOf(claim any) []string {
	switch c := claim.(type) {
	case string:
		return strings.Fields(c)
	case []any:
		var out []string
		for _, s := range c {
			if str, ok := s.(string); ok && str != "" {
				out = append(out, str)
			}
		}
		return out
	}
	return nil
}
