package oauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/pci-mcp/pci-mcp/tools/guard"
)

// MetadataPath is where RFC 9728 puts a protected resource's metadata.
const MetadataPath = "/.well-known/oauth-protected-resource"

// MetadataURL is the URL of the resource's metadata: RFC 9728 inserts the
// well-known path between the resource's host and its path. When the
// audience is not an http(s) URL, the request's own host stands in.
func (v *Verifier) MetadataURL(r *http.Request) string {
	if u, err := url.Parse(v.cfg.Audience); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		return u.Scheme + "://" + u.Host + MetadataPath + strings.TrimSuffix(u.Path, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + MetadataPath
}

// MetadataPaths are the paths the metadata is served on: the plain one and,
// for an audience with a path, the one RFC 9728 derives from it.
func (v *Verifier) MetadataPaths() []string {
	paths := []string{MetadataPath}
	if u, err := url.Parse(v.cfg.Audience); err == nil && u.Host != "" {
		if p := strings.TrimSuffix(u.Path, "/"); p != "" {
			paths = append(paths, MetadataPath+p)
		}
	}
	return paths
}

// MetadataHandler serves the protected resource metadata (RFC 9728): this
// server's resource identifier, the issuer to get tokens from, and the
// scopes it understands.
func (v *Verifier) MetadataHandler() http.Handler {
	body, _ := json.Marshal(struct {
		Resource               string   `json:"resource"`
		AuthorizationServers   []string `json:"authorization_servers"`
		ScopesSupported        []string `json:"scopes_supported"`
		BearerMethodsSupported []string `json:"bearer_methods_supported"`
		ResourceName           string   `json:"resource_name"`
	}{v.cfg.Audience, []string{v.cfg.Issuer}, Scopes, []string{"header"}, "pci-mcp"})
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "max-age=300")
		_, _ = w.Write(body)
	})
}

// Authenticate lets through only requests with a valid access token, their
// identity in the request context (guard.IdentityFrom). The Authorization
// header is then removed: nothing past this point — mcp-go, a tool, a log
// line, an upstream request — sees the token.
func (v *Verifier) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := bearerToken(r.Header.Get("Authorization"))
		if !ok {
			v.challenge(w, r, http.StatusUnauthorized, "",
				"this server needs Authorization: Bearer <an access token from "+v.cfg.Issuer+" for "+v.cfg.Audience+">")
			return
		}
		id, err := v.Verify(r.Context(), raw)
		var invalidToken *InvalidTokenError
		switch {
		case errors.As(err, &invalidToken):
			v.challenge(w, r, http.StatusUnauthorized, `error="invalid_token", error_description="`+quoteSafe(invalidToken.Reason)+`"`,
				"the access token was refused: "+invalidToken.Reason)
			return
		case err != nil:
			w.Header().Set("Retry-After", "10")
			http.Error(w, "the access token cannot be checked now: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		r.Header.Del("Authorization")
		next.ServeHTTP(w, r.WithContext(guard.WithIdentity(r.Context(), id)))
	})
}

// InsufficientScope answers 403 for a call the token's scopes do not allow
// (RFC 6750 section 3.1), naming the scope that would.
func (v *Verifier) InsufficientScope(w http.ResponseWriter, r *http.Request, scope, tool string) {
	v.challenge(w, r, http.StatusForbidden, `error="insufficient_scope", scope="`+scope+`"`,
		fmt.Sprintf("calling %s needs the scope %s, which the access token does not grant", tool, scope))
}

// challenge writes a refusal with the WWW-Authenticate header that points
// a client at the metadata (RFC 9728 section 5.1).
func (v *Verifier) challenge(w http.ResponseWriter, r *http.Request, code int, params, msg string) {
	h := `Bearer resource_metadata="` + v.MetadataURL(r) + `"`
	if params != "" {
		h += ", " + params
	}
	w.Header().Set("WWW-Authenticate", h)
	http.Error(w, msg, code)
}

// quoteSafe keeps a reason inside a quoted-string (RFC 6750 allows no
// backslash or double quote in error_description).
func quoteSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < 0x20 || r > 0x7e {
			return '\''
		}
		return r
	}, s)
}

// bearerToken extracts the token of an "Authorization: Bearer <token>"
// header; the scheme is case-insensitive.
func bearerToken(header string) (string, bool) {
	scheme, token, found := strings.Cut(header, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
