package oauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/cmd/pci-mcp/internal/oauth"
	"github.com/pci-mcp/pci-mcp/cmd/pci-mcp/internal/oauth/oauthtest"
)

const audience = "https://pci-mcp.example.test/mcp"

func newVerifier(t *testing.T, iss *oauthtest.Issuer, mod func(*oauth.Config)) *oauth.Verifier {
	t.Helper()
	cfg := oauth.Config{Issuer: iss.URL(), Audience: audience}
	if mod != nil {
		mod(&cfg)
	}
	v, err := oauth.New(cfg)
	require.NoError(t, err)
	return v
}

func TestVerifyAcceptsATokenForThisServer(t *testing.T) {
	iss := oauthtest.Start(t)
	v := newVerifier(t, iss, nil)
	raw := iss.Mint(t, oauthtest.Token{Subject: "alice", Email: "alice@example.test", Audience: []string{audience}, Scope: "pci:read pci:write openid"})
	id, err := v.Verify(context.Background(), raw)
	require.NoError(t, err)
	assert.Equal(t, "alice", id.Subject)
	assert.Equal(t, "alice@example.test", id.Email)
	assert.Equal(t, []string{"pci:read", "pci:write", "openid"}, id.Scopes)
	assert.True(t, id.HasScope("pci:write"))
	assert.False(t, id.HasScope("pci:destructive"))
}

func TestVerifyRefuses(t *testing.T) {
	iss := oauthtest.Start(t)
	forger, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ok := oauthtest.Token{Subject: "alice", Audience: []string{audience}, Scope: "pci:read"}
	for _, tc := range []struct {
		name   string
		mod    func(*oauthtest.Token)
		raw    string
		reason string
	}{
		{name: "wrong audience", mod: func(tk *oauthtest.Token) { tk.Audience = []string{"https://other.example.test"} }, reason: "its audience is not this server"},
		{name: "no audience", mod: func(tk *oauthtest.Token) { tk.Audience = nil }, reason: "its audience is not this server"},
		{name: "another issuer", mod: func(tk *oauthtest.Token) { tk.Issuer = "https://evil.example.test" }, reason: "issued by another issuer"},
		{name: "expired", mod: func(tk *oauthtest.Token) { tk.Expires = time.Now().Add(-2 * time.Minute) }, reason: "expired"},
		{name: "not yet valid", mod: func(tk *oauthtest.Token) { tk.NotBefore = time.Now().Add(5 * time.Minute) }, reason: "not valid yet"},
		{name: "no subject", mod: func(tk *oauthtest.Token) { tk.Subject = "" }, reason: "no sub claim"},
		{name: "forged with the issuer's kid", mod: func(tk *oauthtest.Token) { tk.Key, tk.KeyID = forger, "key-1" }, reason: "does not verify"},
		{name: "forged with an unknown kid", mod: func(tk *oauthtest.Token) { tk.Key, tk.KeyID = forger, "forged" }, reason: "a key the issuer does not publish"},
		{name: "not a JWT", raw: "not-a-jwt", reason: "not a signed JWT"},
		{name: "unsigned", raw: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.", reason: "not a signed JWT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(t, iss, nil)
			raw := tc.raw
			if raw == "" {
				tk := ok
				tc.mod(&tk)
				raw = iss.Mint(t, tk)
			}
			_, err := v.Verify(context.Background(), raw)
			var invalid *oauth.InvalidTokenError
			require.True(t, errors.As(err, &invalid), "%v", err)
			assert.Contains(t, invalid.Reason, tc.reason)
		})
	}
}

// A small clock skew is forgiven: a token that expired 10s ago still works.
func TestVerifyLeeway(t *testing.T) {
	iss := oauthtest.Start(t)
	v := newVerifier(t, iss, nil)
	raw := iss.Mint(t, oauthtest.Token{Subject: "alice", Audience: []string{audience}, Expires: time.Now().Add(-10 * time.Second)})
	_, err := v.Verify(context.Background(), raw)
	assert.NoError(t, err)
}

// A rotated key is fetched when a token names a kid not held; tokens of
// the old key then fail, and unknown kids do not refetch at every request.
func TestVerifyRefreshesKeysOnUnknownKid(t *testing.T) {
	iss := oauthtest.Start(t)
	v := newVerifier(t, iss, func(c *oauth.Config) { c.MinRefresh = time.Millisecond })
	tok := oauthtest.Token{Subject: "alice", Audience: []string{audience}}
	old := iss.Mint(t, tok)
	_, err := v.Verify(context.Background(), old)
	require.NoError(t, err)
	require.Equal(t, 1, iss.JWKSFetches())

	iss.Rotate()
	time.Sleep(5 * time.Millisecond)
	_, err = v.Verify(context.Background(), iss.Mint(t, tok))
	require.NoError(t, err, "the new key is fetched on its unknown kid")
	assert.Equal(t, 2, iss.JWKSFetches())
	_, err = v.Verify(context.Background(), old)
	assert.Error(t, err, "the rotated-out key no longer verifies")

	slow := newVerifier(t, iss, func(c *oauth.Config) { c.MinRefresh = time.Hour })
	_, err = slow.Verify(context.Background(), iss.Mint(t, tok))
	require.NoError(t, err)
	before := iss.JWKSFetches()
	for range 5 {
		_, err = slow.Verify(context.Background(), iss.Mint(t, oauthtest.Token{Subject: "x", Audience: []string{audience}, Key: mustKey(t), KeyID: "nope"}))
		assert.Error(t, err)
	}
	assert.Equal(t, before, iss.JWKSFetches(), "forged kids do not hammer the issuer")
}

func mustKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return k
}

// Identity providers differ: scp as an array, a subject in another claim.
func TestConfigurableClaims(t *testing.T) {
	iss := oauthtest.Start(t)
	v := newVerifier(t, iss, func(c *oauth.Config) { c.ScopeClaim, c.SubjectClaim = "scp", "oid" })
	raw := iss.Mint(t, oauthtest.Token{Subject: "ignored", Audience: []string{audience},
		Extra: map[string]any{"scp": []string{"pci:read", "pci:destructive"}, "oid": "object-42"}})
	id, err := v.Verify(context.Background(), raw)
	require.NoError(t, err)
	assert.Equal(t, "object-42", id.Subject)
	assert.Equal(t, []string{"pci:read", "pci:destructive"}, id.Scopes)
}

func TestUnreachableIssuerIsNotAnInvalidToken(t *testing.T) {
	iss := oauthtest.Start(t)
	v, err := oauth.New(oauth.Config{Issuer: "http://127.0.0.1:1", Audience: audience})
	require.NoError(t, err)
	_, err = v.Verify(context.Background(), iss.Mint(t, oauthtest.Token{Subject: "a", Audience: []string{audience}}))
	var unavailable *oauth.UnavailableError
	require.True(t, errors.As(err, &unavailable), "%v", err)
	assert.True(t, strings.Contains(err.Error(), "could not be fetched"))
}
