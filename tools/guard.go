package tools

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pci-mcp/pci-mcp/tools/guard"
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
// in its guard.Store, so each executes at most once. It fails closed:
// anything it cannot verify, or a store that does not answer, sends nothing.
type Guard struct {
	key        []byte
	ttl        time.Duration
	now        func() time.Time
	tokensOnly bool
	// operator: every elicitation is answered at the operator's terminal.
	operator bool
	store    guard.Store
	// instance is this process's random id, carried by every token when the
	// store is this process's memory: the used marks die with the process,
	// so a token from an earlier run (or another replica without a shared
	// store) is refused outright. Empty when the store is shared.
	instance string
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
	// OperatorAnswers says that every elicitation this guard's server gets
	// is answered by the operator at a terminal: set only by `pci-mcp call`,
	// whose server has no transport but its own in-process client, so no
	// remote client can be taken for the operator. Such answers are
	// recorded as confirmation "operator".
	OperatorAnswers bool
	// Store keeps the used marks; nil means a memory store for this process
	// (guard.NewMemoryStore). Unless the store is shared (guard.IsShared),
	// tokens are bound to this process instance and refused after a restart.
	Store guard.Store
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
	g := &Guard{key: mac.Sum(nil), ttl: opts.TTL, now: opts.Now, tokensOnly: opts.TokensOnly, operator: opts.OperatorAnswers, store: opts.Store}
	if g.ttl <= 0 {
		g.ttl = DefaultConfirmTTL
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.store == nil {
		g.store = guard.NewMemoryStore(g.now)
	}
	if !guard.IsShared(g.store) {
		instance := make([]byte, 16)
		if _, err := rand.Read(instance); err != nil {
			return nil, fmt.Errorf("generating the process instance id: %w", err)
		}
		g.instance = hex.EncodeToString(instance)
	}
	return g, nil
}

// TTL is how long tokens last.
func (g *Guard) TTL() time.Duration { return g.ttl }

// answeredBy names who gave an answer by elicitation: the operator, when
// this server's only client is the terminal of `pci-mcp call`.
func (g *Guard) answeredBy(method string) string {
	if method == confirmedElicitation && g.operator {
		return confirmedOperator
	}
	return method
}

// Store is the guard's memory, for the other single-use and shared state of
// a confirmation (remembered attestation starts, approvals).
func (g *Guard) Store() guard.Store { return g.store }

// tokenPurpose keeps the two kinds of token apart: a confirmation token can
// never stand in for an elicitation state, or the reverse.
type tokenPurpose string

const (
	purposeToken tokenPurpose = "token"
	purposeState tokenPurpose = "state"
)

// claims are what a token binds: the tool, the account it acts on, the
// exact arguments (canonical digest), the MCP session where there is one,
// the issuing process instance when the guard's store is not shared, and
// an expiry.
type claims struct {
	Purpose tokenPurpose `json:"p"`
	Tool    string       `json:"t"`
	Account string       `json:"a,omitempty"`
	Digest  string       `json:"d"`
	Session string       `json:"s,omitempty"`
	// Subject is the authenticated person the token was issued to (OAuth
	// mode): another person's call cannot use it.
	Subject  string `json:"u,omitempty"`
	Instance string `json:"i,omitempty"`
	Expires  int64  `json:"e"`
	Nonce    string `json:"n"`
}

// tokenPrefix marks our tokens, so a stray value is recognised as not one.
const tokenPrefix = "pcimcp1."

// issue returns a signed token for the claims and its expiry.
func (g *Guard) issue(purpose tokenPurpose, tool, account, digest, session, subject string) (string, time.Time) {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	expires := g.now().Add(g.ttl).Truncate(time.Second)
	c := claims{Purpose: purpose, Tool: tool, Account: account, Digest: digest, Session: session, Subject: subject, Instance: g.instance,
		Expires: expires.Unix(), Nonce: hex.EncodeToString(nonce)}
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

// errIssuedBeforeRestart refuses a token of another process instance.
var errIssuedBeforeRestart = refuse("the confirmation token was issued before the server restarted; call the tool again for a new one")

// verify checks a token against the call it comes with. It does not consume
// it: spend does, just before the call executes.
func (g *Guard) verify(token string, purpose tokenPurpose, tool, account, digest, session, subject string) (claims, error) {
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
	case c.Instance != g.instance:
		// First: nothing else about a token from an earlier run matters.
		return claims{}, errIssuedBeforeRestart
	case c.Purpose != purpose:
		return claims{}, refuse("this value is not a confirmation token for this step")
	case c.Tool != tool:
		return claims{}, refuse("the confirmation token was issued for %s, not %s", c.Tool, tool)
	case c.Account != account:
		// What a person confirmed for one merchant never acts on another.
		return claims{}, refuse("the confirmation token was issued for account %s, not %s; call again without confirmation_token to get a preview for %s", c.Account, account, account)
	case c.Digest != digest:
		return claims{}, refuse("the arguments differ from the ones the user confirmed; call again without confirmation_token to get a new preview")
	case c.Subject != subject:
		// Before the session: another person's token says so, whatever session it came in.
		return claims{}, refuse("the confirmation token was issued to another person; call again without confirmation_token to get your own preview")
	case c.Session != session:
		return claims{}, refuse("the confirmation token was issued to another session")
	}
	if now := g.now(); !now.Before(time.Unix(c.Expires, 0)) {
		return claims{}, refuse("the confirmation token expired at %s; call again without confirmation_token to get a new preview", time.Unix(c.Expires, 0).UTC().Format(time.RFC3339))
	}
	return c, nil
}

// redeem verifies a token against the call it comes with and marks it used:
// nil means this call, and no other, may execute.
func (g *Guard) redeem(ctx context.Context, token string, purpose tokenPurpose, tool, account, digest, session string) error {
	c, err := g.verify(token, purpose, tool, account, digest, session, guard.SubjectFrom(ctx))
	if err != nil {
		return err
	}
	return g.spend(ctx, c)
}

// usedKeyPrefix names the guard's used marks in its store.
const usedKeyPrefix = "confirm:used:"

// spend marks a verified token used. It refuses if another call spent it
// first: two concurrent calls with one token, on this replica or another
// sharing the store, execute at most once. A store error is a refusal too:
// the caller sends nothing.
func (g *Guard) spend(ctx context.Context, c claims) error {
	// Keep the mark a little past expiry, so a clock step cannot revive it.
	first, err := g.store.Claim(ctx, usedKeyPrefix+c.Nonce, time.Unix(c.Expires, 0).Add(time.Minute))
	switch {
	case err != nil:
		return storeFailure(err)
	case !first:
		return errTokenUsed
	}
	return nil
}

// storeFailure words a store error for the person: the guard cannot tell
// whether the confirmation was used, so it does not act on it.
func storeFailure(err error) error {
	return fmt.Errorf("the confirmation could not be checked, because the guard's store did not answer (%w)", err)
}

// errTokenUsed is spend's refusal, worded like verify's.
var errTokenUsed = errors.New("the confirmation token was already used; each confirmation allows one call")
