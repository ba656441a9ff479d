package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/pci-mcp/pci-mcp/tools/guard"
)

// Sessions over HTTP. Only this deployment mints session ids
// (guard.Sessions: signed with the state key, bound to the caller's bearer
// token), and the session gate stands before mcp-go on every MCP endpoint:
//
//   - an id this deployment did not issue to this caller — forged, altered,
//     from a server with another state key, or opened with another bearer —
//     is an unknown session: 404;
//   - a Streamable HTTP id records what the client declared at initialize
//     (form and URL elicitation), so that after a restart or on another
//     replica the guard still knows to ask the person, never falling back to
//     a token the model would hold;
//   - the client info and capabilities a session keeps are capped
//     (maxClientValueBytes), and so is the number of live sessions
//     (PCI_MCP_MAX_SESSIONS): at the limit a new one gets 503;
//   - each request tells the guard whether a question from the server can
//     reach the client on it (guard.Request.CannotAsk).
//
// Requests of protocol 2026-07-28 carry no session; they pass with only the
// caller's tag, to which their confirmation tokens are bound.

// defaultMaxSessions is PCI_MCP_MAX_SESSIONS's default.
const defaultMaxSessions = 1000

// sessionsRetryAfter is the Retry-After of a 503 at the session limit, in
// seconds: a slot frees when a client ends its session (DELETE, or an event
// stream closing) or once one has been idle for sessionIdleTTL.
const sessionsRetryAfter = 60

// maxClientValueBytes caps each client-provided value a session keeps
// (clientInfo, capabilities), as compact JSON. Real clients send a few
// hundred bytes; an initialize over it is refused with 400 naming the field,
// rather than kept truncated: a cut-down clientInfo or capabilities would
// misstate what the client is or can do.
const maxClientValueBytes = 8 << 10

// principalKey carries who is calling, as requireBearer established it.
type principalKey struct{}

// bearerPrincipal is the principal of a request that carried the bearer
// token: a digest of the token, never the token.
func bearerPrincipal(tokenSum [32]byte) string {
	return fmt.Sprintf("bearer-sha256:%x", tokenSum)
}

// principalFrom returns the request's principal, "" without credentials.
// In OAuth mode it is the token's subject: a session opened by one person
// is refused (404) to another, whatever token they hold.
func principalFrom(ctx context.Context) string {
	if id, ok := guard.IdentityFrom(ctx); ok {
		return "oauth-sub:" + id.Subject
	}
	p, _ := ctx.Value(principalKey{}).(string)
	return p
}

// liveSessions counts the sessions this process holds in memory and admits
// new ones up to max. An admission is reserved before mcp-go runs and kept
// once it mints the id, so concurrent initializes never overshoot.
type liveSessions struct {
	max int

	mu       sync.Mutex
	ids      map[string]struct{}
	reserved int
}

func newLiveSessions(limit int) *liveSessions {
	return &liveSessions{max: limit, ids: map[string]struct{}{}}
}

// admission is one reserved place for a session being opened.
type admission struct {
	live *liveSessions
	done bool // kept, or given back
}

// admit reserves a place, or reports false at the limit.
func (l *liveSessions) admit() (*admission, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ids)+l.reserved >= l.max {
		return nil, false
	}
	l.reserved++
	return &admission{live: l}, true
}

// keep turns the reservation into the live session id.
func (a *admission) keep(id string) {
	l := a.live
	l.mu.Lock()
	defer l.mu.Unlock()
	if a.done {
		return
	}
	a.done = true
	l.reserved--
	l.ids[id] = struct{}{}
}

// release gives the place back unless it was kept.
func (a *admission) release() {
	l := a.live
	l.mu.Lock()
	defer l.mu.Unlock()
	if a.done {
		return
	}
	a.done = true
	l.reserved--
}

// end forgets a session: ended by its client, or swept idle.
func (l *liveSessions) end(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.ids, id)
}

// sessionGate is the front door's session check, shared by both transports.
type sessionGate struct {
	ids  *guard.Sessions
	live *liveSessions
	// ended marks the sessions their clients ended (DELETE), in the shared
	// store when there is one, so every replica answers 404 for them.
	ended guard.Store
}

// endedFor is how long a session its client ended stays refused. Ids carry
// no age, so the mark cannot last "for ever"; a day outlives any client
// still holding the id by mistake.
const endedFor = 24 * time.Hour

// newSessionGate builds the gate; store is the shared store, nil for this
// process's memory.
func newSessionGate(stateKey string, maxSessions int, store guard.Store) (*sessionGate, error) {
	ids, err := guard.NewSessions([]byte(stateKey))
	if err != nil {
		return nil, err
	}
	if store == nil {
		store = guard.NewMemoryStore(nil)
	}
	return &sessionGate{ids: ids, live: newLiveSessions(maxSessions), ended: store}, nil
}

func endedKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "session-ended:" + hex.EncodeToString(sum[:16])
}

// wasEnded reports whether the session's client ended it. A store that
// cannot answer does not stop the session: ending is the client's own
// housekeeping, not a confirmation, and the guard checks the store itself
// (failing closed) before anything destructive.
func (g *sessionGate) wasEnded(ctx context.Context, id string) bool {
	_, err := g.ended.Get(ctx, endedKey(id))
	return err == nil
}

// opening carries an initialize's declaration and admission from the gate
// to Generate, which mcp-go calls while it answers that initialize.
type opening struct {
	elicitation guard.Elicitation
	admission   *admission
}

type openingKey struct{}

// streamable guards the Streamable HTTP endpoint.
func (g *sessionGate) streamable(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		principal := principalFrom(ctx)
		req := guard.Request{Caller: g.ids.CallerTag(principal)}
		body := requestBody(r)
		if isModernRequest(r, body) {
			// No session on 2026-07-28: mcp-go ignores any Mcp-Session-Id.
			next.ServeHTTP(w, r.WithContext(guard.WithRequest(ctx, req)))
			return
		}
		switch r.Method {
		case http.MethodPost, http.MethodGet, http.MethodDelete:
		default:
			next.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodPost {
			if !json.Valid(body) {
				next.ServeHTTP(w, r) // mcp-go answers the parse error
				return
			}
			if id, method := jsonrpcHead(body); method == string(mcp.MethodInitialize) {
				g.open(w, r, id, body, next)
				return
			}
		}
		sid := r.Header.Get(server.HeaderKeySessionID)
		if sid == "" {
			http.Error(w, "this request needs the Mcp-Session-Id header this server returned to initialize", http.StatusBadRequest)
			return
		}
		session, err := g.ids.Verify(sid, principal)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		if g.wasEnded(ctx, sid) {
			http.Error(w, "this session was ended by its client (DELETE); initialize a new session", http.StatusNotFound)
			return
		}
		req.Session = session
		if r.Method == http.MethodPost && !acceptsEventStream(r.Header.Values("Accept")) {
			req.CannotAsk = "this request's Accept header does not admit text/event-stream, so its response cannot carry a question to the client"
		}
		next.ServeHTTP(w, r.WithContext(guard.WithRequest(ctx, req)))
	})
}

// open admits a Streamable HTTP initialize: capped client values, a place
// under the session limit, and the declaration for the id mcp-go will mint.
func (g *sessionGate) open(w http.ResponseWriter, r *http.Request, id string, body []byte, next http.Handler) {
	caps, err := checkClientValues(body)
	if err != nil {
		writeJSONRPCError(w, http.StatusBadRequest, id, mcp.INVALID_PARAMS, err.Error())
		return
	}
	adm, ok := g.live.admit()
	if !ok {
		sessionLimit(w, g.live.max)
		return
	}
	defer adm.release()
	ctx := context.WithValue(r.Context(), openingKey{}, &opening{elicitation: declaredElicitation(caps), admission: adm})
	next.ServeHTTP(w, r.WithContext(ctx))
}

// ResolveSessionIdManager makes the gate mcp-go's session id manager: it
// mints the ids, verifies them again (as mcp-go calls it for each legacy
// POST), and hears of sessions ending. r is nil for the idle sweeper.
func (g *sessionGate) ResolveSessionIdManager(r *http.Request) server.SessionIdManager {
	return requestSessions{gate: g, r: r}
}

// requestSessions is the session id manager for one request.
type requestSessions struct {
	gate *sessionGate
	r    *http.Request
}

// Generate mints the id of the session an initialize opens.
func (m requestSessions) Generate() string {
	if m.r == nil {
		return m.gate.ids.Mint("", false, guard.Elicitation{})
	}
	ctx := m.r.Context()
	o, ok := ctx.Value(openingKey{}).(*opening)
	if !ok {
		// Only an initialize the gate admitted opens a session; anything
		// else (the gate refuses a GET without a session first) gets an id
		// that records no declaration and holds no place.
		return m.gate.ids.Mint(principalFrom(ctx), false, guard.Elicitation{})
	}
	id := m.gate.ids.Mint(principalFrom(ctx), true, o.elicitation)
	o.admission.keep(id)
	return id
}

func (m requestSessions) Validate(sessionID string) (isTerminated bool, err error) {
	if m.r == nil {
		return false, guard.ErrUnknownSession
	}
	_, err = m.gate.ids.Verify(sessionID, principalFrom(m.r.Context()))
	return false, err
}

// Terminate forgets the session's place; mcp-go drops its memory of it.
// When the client ended it (a DELETE, not the idle sweeper), the id is
// refused from then on, as the specification requires of an ended session.
func (m requestSessions) Terminate(sessionID string) (isNotAllowed bool, err error) {
	if m.r != nil {
		if err := m.gate.ended.Put(m.r.Context(), endedKey(sessionID), []byte{1}, time.Now().Add(endedFor)); err != nil {
			return false, fmt.Errorf("recording the end of the session: %w", err)
		}
	}
	m.gate.live.end(sessionID)
	return false, nil
}

// sseStream opens an HTTP+SSE event stream within the session limit: the
// session lives exactly as long as its stream.
func (g *sessionGate) sseStream(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		adm, ok := g.live.admit()
		if !ok {
			sessionLimit(w, g.live.max)
			return
		}
		defer adm.release()
		next.ServeHTTP(w, r)
	})
}

// newSSESessionID mints an HTTP+SSE session id for the caller opening the
// stream, and tells the stream (trackStream) which it is.
func (g *sessionGate) newSSESessionID(ctx context.Context, r *http.Request) (string, error) {
	id := g.ids.Mint(principalFrom(r.Context()), false, guard.Elicitation{})
	if s, ok := ctx.Value(sseStreamKey{}).(*sseStream); ok {
		s.session = id
	}
	return id, nil
}

// sseMessages takes posts to /message only for sessions this deployment
// opened for the same caller; an initialize's client values are capped.
func (g *sessionGate) sseMessages(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		principal := principalFrom(ctx)
		session, err := g.ids.Verify(r.URL.Query().Get("sessionId"), principal)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		body := requestBody(r)
		if id, method := jsonrpcHead(body); method == string(mcp.MethodInitialize) {
			if _, err := checkClientValues(body); err != nil {
				writeJSONRPCError(w, http.StatusBadRequest, id, mcp.INVALID_PARAMS, err.Error())
				return
			}
		}
		// The answer to any question goes out on the session's event stream.
		req := guard.Request{Session: session, Caller: g.ids.CallerTag(principal)}
		next.ServeHTTP(w, r.WithContext(guard.WithRequest(ctx, req)))
	})
}

// sessionLimit answers a session that would exceed the limit.
func sessionLimit(w http.ResponseWriter, limit int) {
	w.Header().Set("Retry-After", strconv.Itoa(sessionsRetryAfter))
	http.Error(w, fmt.Sprintf("this server holds its limit of %d sessions (PCI_MCP_MAX_SESSIONS); retry later", limit), http.StatusServiceUnavailable)
}

// isModernRequest reports whether a request is of protocol 2026-07-28 or
// later, exactly as mcp-go decides it: by the Mcp-Protocol-Version header
// or, for a POST, by the version in the message's _meta.
func isModernRequest(r *http.Request, body []byte) bool {
	if mcp.IsModernProtocol(r.Header.Get(mcp.HeaderProtocolVersion)) {
		return true
	}
	if r.Method != http.MethodPost {
		return false
	}
	var wrapper struct {
		Params struct {
			Meta *mcp.Meta `json:"_meta"`
		} `json:"params"`
	}
	return json.Unmarshal(body, &wrapper) == nil && mcp.IsModernProtocol(wrapper.Params.Meta.ProtocolVersion())
}

// checkClientValues refuses an initialize whose clientInfo or capabilities
// are over maxClientValueBytes, and returns the capabilities.
func checkClientValues(body []byte) (mcp.ClientCapabilities, error) {
	var init struct {
		Params struct {
			ClientInfo   json.RawMessage `json:"clientInfo"`
			Capabilities json.RawMessage `json:"capabilities"`
		} `json:"params"`
	}
	var caps mcp.ClientCapabilities
	if json.Unmarshal(body, &init) != nil {
		return caps, nil // mcp-go answers the malformed request
	}
	for _, v := range []struct {
		name string
		raw  json.RawMessage
	}{{"clientInfo", init.Params.ClientInfo}, {"capabilities", init.Params.Capabilities}} {
		var compact bytes.Buffer
		if json.Compact(&compact, v.raw) == nil && compact.Len() > maxClientValueBytes {
			return caps, fmt.Errorf("params.%s is %d bytes of JSON; this server keeps at most %d per session, so the session was not opened", v.name, compact.Len(), maxClientValueBytes)
		}
	}
	_ = json.Unmarshal(init.Params.Capabilities, &caps)
	return caps, nil
}

// declaredElicitation is what capabilities declare of elicitation; an empty
// elicitation capability means form mode.
func declaredElicitation(caps mcp.ClientCapabilities) guard.Elicitation {
	e := caps.Elicitation
	if e == nil {
		return guard.Elicitation{}
	}
	return guard.Elicitation{Form: e.Form != nil || e.URL == nil, URL: e.URL != nil}
}

// acceptsEventStream reports whether Accept header values admit
// text/event-stream; no Accept at all admits anything.
func acceptsEventStream(values []string) bool {
	if len(values) == 0 {
		return true
	}
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			mediaType, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			if q, err := strconv.ParseFloat(params["q"], 64); err == nil && q == 0 {
				continue // "not acceptable", as q=0 says
			}
			switch mediaType {
			case "text/event-stream", "text/*", "*/*":
				return true
			}
		}
	}
	return false
}

// writeJSONRPCError answers with a JSON-RPC error and an HTTP status; id
// is compact JSON as jsonrpcHead gives it, "" for none.
func writeJSONRPCError(w http.ResponseWriter, status int, id string, code int, message string) {
	if id == "" {
		id = "null"
	}
	body, _ := json.Marshal(map[string]any{
		"jsonrpc": "2.0",
		"id":      json.RawMessage(id),
		"error":   map[string]any{"code": code, "message": message},
	})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
