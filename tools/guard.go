package tools

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// DefaultConfirmTTL is how long a confirmation token, or a pending
// confirmation question, stays valid.
const DefaultConfirmTTL = 5 * time.Minute

// MinStateKeyLen is the shortest PCI_MCP_STATE_KEY accepted: 32 bytes, as
// `openssl rand -hex 32` gives (64 characters).
const MinStateKeyLen = 32

// Guard keeps a human in the loop for destructive tools. It issues and
// verifies the signed tokens of both confirmation paths — the confirmation
// token a client without elicitation passes back, and the request state a
// 2026-07-28 client echoes with its answer — and remembers which were used,
// so each executes at most once. It fails closed: anything it cannot verify
// sends nothing.
type Guard struct {
	key        []byte
	ttl        time.Duration
	now        func() time.Time
	tokensOnly bool

	mu   sync.Mutex
	used map[string]time.Time // nonce → expiry, pruned as they expire
}

// GuardOptions configure NewGuard.
type GuardOptions struct {
	// Key signs tokens. Replicas sharing a key verify each other's tokens;
	// empty means a random per-process key.
	Key []byte
	// TTL bounds a token's life; zero means DefaultConfirmTTL.
	TTL time.Duration
	// Now is the clock; nil means time.Now. Tests inject one.
	Now func() time.Time
	// TokensOnly skips elicitation and always uses the confirmation-token
	// route: for clients that claim elicitation support but decline every
	// question without showing it.
	TokensOnly bool
}

// NewGuard returns a guard. A key shorter than MinStateKeyLen is refused.
func NewGuard(opts GuardOptions) (*Guard, error) {
	key := opts.Key
	if len(key) == 0 {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("generating the confirmation key: %w", err)
		}
	} else if len(key) < MinStateKeyLen {
		return nil, fmt.Errorf("the state key must be at least %d bytes (e.g. `openssl rand -hex 32`)", MinStateKeyLen)
	}
	// Derive the MAC key so the configured secret itself is never used raw.
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("pci-mcp confirmation tokens v1"))
	g := &Guard{key: mac.Sum(nil), ttl: opts.TTL, now: opts.Now, tokensOnly: opts.TokensOnly, used: map[string]time.Time{}}
	if g.ttl <= 0 {
		g.ttl = DefaultConfirmTTL
	}
	if g.now == nil {
		g.now = time.Now
	}
	return g, nil
}

// TTL is how long tokens last.
func (g *Guard) TTL() time.Duration { return g.ttl }

// tokenPurpose keeps the two kinds of token apart: a confirmation token can
// never stand in for an elicitation state, or the reverse.
type tokenPurpose string

const (
	purposeToken tokenPurpose = "token"
	purposeState tokenPurpose = "state"
)

// claims are what a token binds: the tool, the account it acts on, the
// exact arguments (canonical digest), the MCP session where there is one,
// and an expiry.
type claims struct {
	Purpose tokenPurpose `json:"p"`
	Tool    string       `json:"t"`
	Account string       `json:"a,omitempty"`
	Digest  string       `json:"d"`
	Session string       `json:"s,omitempty"`
	Expires int64        `json:"e"`
	Nonce   string       `json:"n"`
}

// tokenPrefix marks our tokens, so a stray value is recognised as not one.
const tokenPrefix = "pcimcp1."

// issue returns a signed token for the claims and its expiry.
func (g *Guard) issue(purpose tokenPurpose, tool, account, digest, session string) (string, time.Time) {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	expires := g.now().Add(g.ttl).Truncate(time.Second)
	c := claims{Purpose: purpose, Tool: tool, Account: account, Digest: digest, Session: session, Expires: expires.Unix(), Nonce: hex.EncodeToString(nonce)}
	payload, _ := json.Marshal(c)
	body := base64.RawURLEncoding.EncodeToString(payload)
	return tokenPrefix + body + "." + base64.RawURLEncoding.EncodeToString(g.sign(body)), expires
}

func (g *Guard) sign(body string) []byte {
	mac := hmac.New(sha256.New, g.key)
	mac.Write([]byte(body))
	return mac.Sum(nil)
}

// tokenError says why a token was refused, in words for the person.
type tokenError struct{ reason string }

func (e *tokenError) Error() string { return e.reason }

func refuse(format string, args ...any) error {
	return &tokenError{reason: fmt.Sprintf(format, args...)}
}

// verify checks a token against the call it comes with. It does not consume
// it: consume does, just before the call executes.
func (g *Guard) verify(token string, purpose tokenPurpose, tool, account, digest, session string) (claims, error) {
	body, sig, ok := strings.Cut(strings.TrimPrefix(token, tokenPrefix), ".")
	if !strings.HasPrefix(token, tokenPrefix) || !ok {
		return claims{}, refuse("the confirmation token is malformed; it must be passed back exactly as it was issued")
	}
	gotSig, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(gotSig, g.sign(body)) {
		return claims{}, refuse("the confirmation token does not verify: it was altered, or issued by a server with a different PCI_MCP_STATE_KEY")
	}
	payload, err := base64.RawURLEncoding.DecodeString(body)
	var c claims
	if err != nil || json.Unmarshal(payload, &c) != nil {
		return claims{}, refuse("the confirmation token is malformed")
	}
	switch {
	case c.Purpose != purpose:
		return claims{}, refuse("this value is not a confirmation token for this step")
	case c.Tool != tool:
		return claims{}, refuse("the confirmation token was issued for %s, not %s", c.Tool, tool)
	case c.Account != account:
		// What a person confirmed for one merchant never acts on another.
		return claims{}, refuse("the confirmation token was issued for account %s, not %s; call again without confirmation_token to get a preview for %s", c.Account, account, account)
	case c.Digest != digest:
		return claims{}, refuse("the arguments differ from the ones the user confirmed; call again without confirmation_token to get a new preview")
	case c.Session != session:
		return claims{}, refuse("the confirmation token was issued to another session")
	}
	if now := g.now(); !now.Before(time.Unix(c.Expires, 0)) {
		return claims{}, refuse("the confirmation token expired at %s; call again without confirmation_token to get a new preview", time.Unix(c.Expires, 0).UTC().Format(time.RFC3339))
	}
	if g.isUsed(c.Nonce) {
		return claims{}, refuse("the confirmation token was already used; each confirmation allows one call")
	}
	return c, nil
}

// consume marks the token used. It reports false if another call consumed
// it first: two concurrent calls with one token execute at most once.
func (g *Guard) consume(c claims) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	for nonce, exp := range g.used {
		if now.After(exp) {
			delete(g.used, nonce)
		}
	}
	if _, dup := g.used[c.Nonce]; dup {
		return false
	}
	// Keep it a little past expiry, so a clock step cannot revive it.
	g.used[c.Nonce] = time.Unix(c.Expires, 0).Add(time.Minute)
	return true
}

func (g *Guard) isUsed(nonce string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, used := g.used[nonce]
	return used
}

// errTokenUsed is consume's refusal, worded like verify's.
var errTokenUsed = errors.New("the confirmation token was already used; each confirmation allows one call")
