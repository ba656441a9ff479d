package guard

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Session ids that only the server can mint. An MCP session id (the
// Streamable HTTP Mcp-Session-Id, the HTTP+SSE sessionId) is signed with
// the state key, so this process after a restart, and every replica sharing
// PCI_MCP_STATE_KEY, recognises the ids it issued and nothing else. The id
// also carries what the guard needs to know about the session — what the
// client declared it can be asked at initialize — so that whichever process
// answers treats the session as the first one did, without shared memory.
//
// An id is bound to its principal (who opened the session: a digest of the
// bearer token, later also an OAuth subject): the principal is mixed into
// the signature, not written into the id, so the id says nothing about it
// and verifies only for the same principal. To any other caller the session
// does not exist.

// sessionIDPrefix marks our session ids (and their format version).
const sessionIDPrefix = "pcimcp-s1."

// Elicitation is what a client declared at initialize that it can be asked
// (the elicitation capability's modes).
type Elicitation struct {
	// Form: the client can show a form (an empty elicitation capability
	// means form, as the specification says).
	Form bool
	// URL: the client can open a URL for its user.
	URL bool
}

// Declared reports whether the client declared any elicitation at all.
func (e Elicitation) Declared() bool { return e.Form || e.URL }

// Session is what a verified session id says about its session.
type Session struct {
	// ID is the session id itself.
	ID string
	// KnowsCapabilities reports whether the id records the client's
	// declaration: a Streamable HTTP id is minted answering initialize, so
	// it does; an HTTP+SSE id is minted when the event stream opens, before
	// the client has said anything, and the stream's own memory (which
	// lives exactly as long as the session) holds the declaration instead.
	KnowsCapabilities bool
	// Elicitation is the client's declaration, when KnowsCapabilities.
	Elicitation Elicitation
}

// Flags in an id's payload.
const (
	flagKnowsCapabilities byte = 1 << iota
	flagForm
	flagURL
)

// payload layout: one flags byte, then a 16-byte random nonce that makes
// every id unique.
const payloadLen = 1 + 16

// ErrUnknownSession is Verify's answer for an id this deployment did not
// issue to this principal: forged, altered, from a server with another
// state key, or opened by another bearer. The transport answers 404, as the
// Streamable HTTP specification says for an unknown session.
var ErrUnknownSession = errors.New("unknown session: this server did not issue this session id to this caller; initialize a new session")

// Sessions mints and verifies session ids with a key derived from the state
// key. It is safe for concurrent use.
type Sessions struct {
	key []byte
}

// NewSessions returns a minter. stateKey is PCI_MCP_STATE_KEY: replicas
// sharing it accept each other's ids, and a restart with it accepts the ids
// of the run before. An empty stateKey means a random key for this process:
// its ids die with it.
func NewSessions(stateKey []byte) (*Sessions, error) {
	if len(stateKey) == 0 {
		stateKey = make([]byte, 32)
		if _, err := rand.Read(stateKey); err != nil {
			return nil, fmt.Errorf("generating the session key: %w", err)
		}
	}
	// A key of its own, so a session id's signature can never stand in for
	// a confirmation token's, and the state key itself is never used raw.
	mac := hmac.New(sha256.New, stateKey)
	mac.Write([]byte("pci-mcp session ids v1"))
	return &Sessions{key: mac.Sum(nil)}, nil
}

// Mint issues a new session id for principal ("" when the transport asks
// for no credentials) with what the client declared. Pass known=false when
// the declaration is not known yet (an HTTP+SSE stream being opened).
func (s *Sessions) Mint(principal string, known bool, e Elicitation) string {
	payload := make([]byte, payloadLen)
	if known {
		payload[0] |= flagKnowsCapabilities
		if e.Form {
			payload[0] |= flagForm
		}
		if e.URL {
			payload[0] |= flagURL
		}
	}
	_, _ = rand.Read(payload[1:])
	body := base64.RawURLEncoding.EncodeToString(payload)
	return sessionIDPrefix + body + "." + base64.RawURLEncoding.EncodeToString(s.sign(body, principal))
}

// Verify checks that id was minted by this deployment for principal and
// returns what it says; anything else is ErrUnknownSession.
func (s *Sessions) Verify(id, principal string) (Session, error) {
	rest, ok := strings.CutPrefix(id, sessionIDPrefix)
	body, sig, cut := strings.Cut(rest, ".")
	if !ok || !cut {
		return Session{}, ErrUnknownSession
	}
	gotSig, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(gotSig, s.sign(body, principal)) {
		return Session{}, ErrUnknownSession
	}
	payload, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(payload) != payloadLen {
		return Session{}, ErrUnknownSession
	}
	flags := payload[0]
	return Session{
		ID:                id,
		KnowsCapabilities: flags&flagKnowsCapabilities != 0,
		Elicitation:       Elicitation{Form: flags&flagForm != 0, URL: flags&flagURL != 0},
	}, nil
}

// CallerTag is a short keyed digest of principal, safe to write into a
// readable confirmation token: it binds the token to the caller without
// saying who the caller is, and without the key nobody can test a guess.
// It is "" for the empty principal.
func (s *Sessions) CallerTag(principal string) string {
	if principal == "" {
		return ""
	}
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte("caller\x00" + principal))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:16])
}

// sign is the id's signature: the payload and the principal, each
// length-prefixed so that no two (payload, principal) pairs sign alike.
func (s *Sessions) sign(body, principal string) []byte {
	mac := hmac.New(sha256.New, s.key)
	fmt.Fprintf(mac, "session\x00%d:%s\x00%d:%s", len(body), body, len(principal), principal)
	return mac.Sum(nil)
}

// Request is what the transport knows about the request a tool call
// arrived on, for the guard: the verified session, the caller, and whether
// a question from the server can reach the client on it. A request served
// without it (stdio) carries no Request.
type Request struct {
	// Session is the verified session; its ID is "" when the request has
	// none (protocol 2026-07-28, which has no sessions).
	Session Session
	// Caller is Sessions.CallerTag of the principal; confirmation tokens
	// issued on this request are bound to it. "" without credentials.
	Caller string
	// CannotAsk, when not "", says why no server-to-client request (an
	// elicitation/create) can reach the client on this request: for
	// instance, its Accept admits application/json only, so the response
	// cannot become an event stream. The guard refuses at once rather than
	// wait for an answer that cannot come.
	CannotAsk string
}

type requestKey struct{}

// WithRequest returns ctx carrying r.
func WithRequest(ctx context.Context, r Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// RequestFromContext returns the Request the transport put in ctx.
func RequestFromContext(ctx context.Context) (Request, bool) {
	r, ok := ctx.Value(requestKey{}).(Request)
	return r, ok
}
