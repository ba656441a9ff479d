// Package oauthtest is a local OAuth issuer for tests: an httptest server
// publishing OpenID discovery metadata and a JWKS, and signing access
// tokens with its private key through go-jose, as an identity provider
// would.
package oauthtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Issuer is a running test identity provider.
type Issuer struct {
	srv *httptest.Server

	mu  sync.Mutex
	key *ecdsa.PrivateKey
	kid string
	gen int
	// jwksFetches counts GETs of the key set.
	jwksFetches atomic.Int32
}

// Start starts an issuer on a free loopback port, stopped at t's end.
func Start(t testing.TB) *Issuer {
	t.Helper()
	iss := &Issuer{}
	iss.Rotate()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{
			"issuer":                                iss.URL(),
			"jwks_uri":                              iss.URL() + "/jwks",
			"authorization_endpoint":                iss.URL() + "/authorize",
			"token_endpoint":                        iss.URL() + "/token",
			"id_token_signing_alg_values_supported": []string{"ES256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		iss.jwksFetches.Add(1)
		iss.mu.Lock()
		set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: iss.key.Public(), KeyID: iss.kid, Algorithm: string(jose.ES256), Use: "sig"}}}
		iss.mu.Unlock()
		writeJSON(w, set)
	})
	iss.srv = httptest.NewServer(mux)
	t.Cleanup(iss.srv.Close)
	return iss
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// URL is the issuer identifier (and base URL).
func (i *Issuer) URL() string { return i.srv.URL }

// JWKSFetches is how many times the key set was fetched.
func (i *Issuer) JWKSFetches() int { return int(i.jwksFetches.Load()) }

// Rotate replaces the signing key (and its kid): tokens signed before no
// longer verify once a verifier fetches the new set.
func (i *Issuer) Rotate() {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.gen++
	i.key, i.kid = key, fmt.Sprintf("key-%d", i.gen)
}

// Token describes an access token to mint.
type Token struct {
	Subject  string
	Email    string
	Audience []string
	Scope    string // space-separated
	// Issuer overrides the iss claim (default: this issuer).
	Issuer string
	// Expires and NotBefore default to an hour from now and now.
	Expires, NotBefore time.Time
	// Extra claims, merged last (e.g. "scp").
	Extra map[string]any
	// Key signs instead of the issuer's key (a forger's), with KeyID.
	Key   *ecdsa.PrivateKey
	KeyID string
}

// Mint signs tok.
func (i *Issuer) Mint(t testing.TB, tok Token) string {
	t.Helper()
	i.mu.Lock()
	key, kid := i.key, i.kid
	i.mu.Unlock()
	if tok.Key != nil {
		key, kid = tok.Key, tok.KeyID
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{}).WithType("at+jwt").WithHeader(jose.HeaderKey("kid"), kid))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if tok.Expires.IsZero() {
		tok.Expires = now.Add(time.Hour)
	}
	if tok.NotBefore.IsZero() {
		tok.NotBefore = now.Add(-time.Second)
	}
	if tok.Issuer == "" {
		tok.Issuer = i.URL()
	}
	std := jwt.Claims{
		Issuer: tok.Issuer, Subject: tok.Subject, Audience: jwt.Audience(tok.Audience),
		Expiry: jwt.NewNumericDate(tok.Expires), NotBefore: jwt.NewNumericDate(tok.NotBefore),
		IssuedAt: jwt.NewNumericDate(now), ID: fmt.Sprintf("jti-%d", now.UnixNano()),
	}
	extra := map[string]any{}
	if tok.Scope != "" {
		extra["scope"] = tok.Scope
	}
	if tok.Email != "" {
		extra["email"] = tok.Email
	}
	for k, v := range tok.Extra {
		extra[k] = v
	}
	raw, err := jwt.Signed(signer).Claims(std).Claims(extra).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
