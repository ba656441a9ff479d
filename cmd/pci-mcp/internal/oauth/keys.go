package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// keySet is the issuer's signing keys, found through its metadata (OpenID
// discovery, else RFC 8414) and fetched from its jwks_uri; fetched again
// when a token names a key id it does not hold (a rotation), no more often
// than MinRefresh.
type keySet struct {
	cfg Config

	mu        sync.Mutex
	jwksURI   string
	keys      jose.JSONWebKeySet
	fetchedAt time.Time
}

func newKeySet(cfg Config) *keySet { return &keySet{cfg: cfg} }

// maxDocumentBytes bounds a metadata or JWKS document.
const maxDocumentBytes = 1 << 20

// lookup returns the keys that may have signed a token naming kid (every
// key when the token names none).
func (s *keySet) lookup(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fetchedAt.IsZero() {
		if err := s.fetch(ctx); err != nil {
			return nil, err
		}
	}
	keys := s.match(kid)
	if len(keys) == 0 && s.cfg.Now().Sub(s.fetchedAt) >= s.cfg.MinRefresh {
		if err := s.fetch(ctx); err != nil {
			return nil, err
		}
		keys = s.match(kid)
	}
	if len(keys) == 0 {
		return nil, invalid("signed with a key the issuer does not publish (kid %q)", kid)
	}
	return keys, nil
}

func (s *keySet) match(kid string) []jose.JSONWebKey {
	var out []jose.JSONWebKey
	for _, k := range s.keys.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		if kid == "" || k.KeyID == kid {
			out = append(out, k)
		}
	}
	return out
}

// fetch reads the metadata (once) and the key set. The caller holds mu.
func (s *keySet) fetch(ctx context.Context) error {
	if s.jwksURI == "" {
		uri, err := s.discover(ctx)
		if err != nil {
			return &UnavailableError{Err: err}
		}
		s.jwksURI = uri
	}
	var set jose.JSONWebKeySet
	if err := s.getJSON(ctx, s.jwksURI, &set); err != nil {
		return &UnavailableError{Err: err}
	}
	s.keys, s.fetchedAt = set, s.cfg.Now()
	return nil
}

// discover finds the jwks_uri in the issuer's metadata: OpenID Connect
// discovery first, then OAuth authorization server metadata (RFC 8414, the
// well-known path inserted before the issuer's path).
func (s *keySet) discover(ctx context.Context) (string, error) {
	issuer := strings.TrimSuffix(s.cfg.Issuer, "/")
	u, err := url.Parse(s.cfg.Issuer)
	if err != nil {
		return "", fmt.Errorf("issuer %q: %v", s.cfg.Issuer, err)
	}
	candidates := []string{
		issuer + "/.well-known/openid-configuration",
		u.Scheme + "://" + u.Host + "/.well-known/oauth-authorization-server" + strings.TrimSuffix(u.Path, "/"),
	}
	var errs []string
	for _, c := range candidates {
		var meta struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		if err := s.getJSON(ctx, c, &meta); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		if meta.Issuer != s.cfg.Issuer {
			// RFC 8414 section 3.3: metadata for another issuer is not this one's.
			return "", fmt.Errorf("%s names the issuer %q, not %q", c, meta.Issuer, s.cfg.Issuer)
		}
		if meta.JWKSURI == "" {
			return "", fmt.Errorf("%s has no jwks_uri", c)
		}
		return meta.JWKSURI, nil
	}
	return "", fmt.Errorf("no metadata: %s", strings.Join(errs, "; "))
}

func (s *keySet) getJSON(ctx context.Context, target string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", target, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentBytes))
	if err != nil {
		return fmt.Errorf("GET %s: %v", target, err)
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("GET %s: not JSON: %v", target, err)
	}
	return nil
}
