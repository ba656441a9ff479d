package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/mark3labs/mcp-go/server"
)

// Serving MCP over HTTP: --transport http is Streamable HTTP at /mcp,
// --transport sse the older HTTP+SSE transport at /sse (events) and /message
// (posts). Both answer GET /healthz, and both put the same front door
// (http_guard.go) before the same MCP server: same catalog, guard and errors
// as over stdio.
//
// Sessions. Streamable HTTP keeps no state another replica needs, so
// replicas behind a load balancer can share traffic without affinity, and
// serves both protocol generations on one endpoint:
//
//   - 2026-07-28 requests carry no session at all; mcp-go gives each its own
//     ephemeral one. Confirmation tokens are signed (PCI_MCP_STATE_KEY) and
//     bound to the caller's bearer, not to a session; the elicitation
//     route's input requests are stateless by design.
//   - Clients of 2025-11-25 and before get an Mcp-Session-Id at initialize,
//     minted by the session gate (http_sessions.go): signed with the state
//     key, bound to the bearer, and recording what the client declared it
//     can be asked. Every replica sharing the key, and this process after a
//     restart, accepts it and knows from it whether to ask the person by
//     elicitation/create; nothing else is accepted (404). The replica that
//     answered initialize also keeps the client's info in memory, for
//     sessionIdleTTL. An elicitation/create answer must come back to the
//     replica that asked, so deployments whose clients elicit should route
//     on Mcp-Session-Id.
//
// The alternatives lose a generation or the replicas: WithStateLess drops
// the Mcp-Session-Id of older clients, so every one of them shares the
// session "" (confirmation tokens would no longer tell sessions apart, and
// elicitation answers could not find their way back); WithStateful keeps
// sessions in one process, so any other replica answers 404.
//
// HTTP+SSE has no such choice: its session is the open event stream, held
// by one process, so a balancer must keep a client on one replica. Its
// session ids are minted and bound the same way.

// cancelledCallsSettle bounds the wait, after the shutdown timeout, for
// cancelled calls to record their outcome.
const cancelledCallsSettle = 5 * time.Second

const (
	// sessionIdleTTL is how long a Streamable HTTP session's in-memory state
	// (client info, log level) outlives its last request, and holds a place
	// under PCI_MCP_MAX_SESSIONS. Past it the session still works: its id
	// says what the guard needs.
	sessionIdleTTL = 30 * time.Minute
	// keepAliveInterval spaces the pings on idle event streams, so proxies
	// do not close them as dead.
	keepAliveInterval = 30 * time.Second
)

// httpTransport is one of the two MCP transports over HTTP.
type httpTransport struct {
	// routes maps mux patterns to mcp-go's handlers (with call tracking);
	// the front door is added around them.
	routes map[string]http.Handler
	// endpoint is the path a client connects to.
	endpoint string
	// close ends mcp-go's own sessions and goroutines.
	close func()
}

func newStreamableTransport(a *app, calls *callTracker, gate *sessionGate) *httpTransport {
	s := server.NewStreamableHTTPServer(a.server,
		server.WithEndpointPath("/mcp"),
		server.WithSessionIdManagerResolver(gate),
		server.WithSessionIdleTTL(sessionIdleTTL),
		server.WithHeartbeatInterval(keepAliveInterval),
		server.WithStreamableHTTPLogger(a.log),
	)
	return &httpTransport{
		routes:   map[string]http.Handler{"/mcp": gate.streamable(calls.trackPosts(s))},
		endpoint: "/mcp",
		close:    func() { _ = s.Shutdown(context.Background()) },
	}
}

func newSSETransport(a *app, calls *callTracker, gate *sessionGate) *httpTransport {
	// Without CORS origins, mcp-go's event stream answers
	// Access-Control-Allow-Origin: *. Origins were checked before (checkOrigin
	// refuses the others and sets the header for allowed ones), so give it
	// exactly the allowed ones; with none, an entry no Origin can equal
	// (checkOrigin refuses anything that is not http(s)://host) keeps its CORS
	// on and silent.
	corsOrigins := []string(a.cfg.http.allowedOrigins)
	if len(corsOrigins) == 0 {
		corsOrigins = []string{"pci-mcp-allows-no-browser-origin"}
	}
	s := server.NewSSEServer(a.server,
		server.WithSSEEndpoint("/sse"),
		server.WithMessageEndpoint("/message"),
		server.WithSessionIDGenerator(gate.newSSESessionID),
		server.WithKeepAliveInterval(keepAliveInterval),
		server.WithSSECORS(server.WithCORSAllowedOrigins(corsOrigins...)),
	)
	return &httpTransport{
		routes: map[string]http.Handler{
			"/sse":     gate.sseStream(calls.trackStream(s.SSEHandler())),
			"/message": gate.sseMessages(calls.trackMessages(s.MessageHandler())),
		},
		endpoint: "/sse",
		close:    s.CloseSessions,
	}
}

// newHTTPHandler puts the front door around a transport, in the order
// http_guard.go describes, and adds /healthz.
func newHTTPHandler(a *app, t *httpTransport, timeouts httpTimeouts) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", healthHandler(a))
	mux.Handle("GET /readyz", readyHandler(a.store))
	mountOAuthMetadata(a, mux)
	mountMetrics(a, mux)
	for pattern, h := range t.routes {
		mux.Handle(pattern, authenticate(a, boundWrites(timeouts.write, h)))
	}
	return a.withApprovalPage(rejectRebinding(originPolicy{allowed: a.cfg.http.allowedOrigins}.checkOrigin(mux)))
}

// healthHandler answers readiness probes: no secret, no upstream call.
func healthHandler(a *app) http.Handler {
	providers := a.providers()
	if providers == nil {
		providers = []string{}
	}
	body, _ := json.Marshal(struct {
		Status    string   `json:"status"`
		Version   string   `json:"version"`
		Providers []string `json:"providers"`
	}{"ok", currentVersion(), providers})
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(body)
	})
}

// httpTestHooks let this package's tests serve on a listener they opened,
// shorten the timeouts and learn when a shutdown has begun. Only tests set
// them, through the context given to run.
type httpTestHooks struct {
	listener net.Listener
	timeouts *httpTimeouts
	// draining is closed once the shutdown has stopped accepting connections
	// and waits for calls in flight.
	draining chan struct{}
}

type httpTestHooksKey struct{}

// listenHTTP opens the listener --addr names (or the tests' own), before
// anything else starts: a taken address fails at once, with nothing
// started and nothing claimed.
func listenHTTP(ctx context.Context, cfg *config) (net.Listener, error) {
	var ln net.Listener
	if hooks, _ := ctx.Value(httpTestHooksKey{}).(*httpTestHooks); hooks != nil && hooks.listener != nil {
		ln = hooks.listener
	} else {
		var err error
		if ln, err = net.Listen("tcp", cfg.addr); err != nil {
			return nil, listenError(cfg.addr, err)
		}
	}
	// The address was checked before (validateHTTP); the socket is what
	// counts, whatever the name resolved to.
	if !cfg.authenticates() && !isLoopbackAddr(ln.Addr()) {
		_ = ln.Close()
		return nil, usageError("listening on %s would accept connections from other machines, and %s is not set", ln.Addr(), envAuthToken)
	}
	return ln, nil
}

// serveHTTP serves MCP over HTTP until ctx ends, then shuts down: it stops
// accepting connections, lets calls in flight finish (within
// --shutdown-timeout), then ends the event streams and returns.
func serveHTTP(ctx context.Context, a *app, ln net.Listener, stderr io.Writer, program string) error {
	cfg := a.cfg
	hooks, _ := ctx.Value(httpTestHooksKey{}).(*httpTestHooks)
	gate, err := newSessionGate(cfg.stateKey, cfg.http.maxSessions, a.store)
	if err != nil {
		_ = ln.Close()
		return err
	}
	a.approvalsOn(ln.Addr())
	calls := newCallTracker()
	var t *httpTransport
	if cfg.transport == "sse" {
		t = newSSETransport(a, calls, gate)
	} else {
		t = newStreamableTransport(a, calls, gate)
	}
	// Every request's context descends from streams: cancelling it ends the
	// long-lived ones (event streams, GET listens, subscriptions/listen).
	streams, endStreams := context.WithCancel(context.Background())
	defer endStreams()
	timeouts := defaultHTTPTimeouts
	if hooks != nil && hooks.timeouts != nil {
		timeouts = *hooks.timeouts
	}
	srv := &http.Server{
		Handler:           newHTTPHandler(a, t, timeouts),
		ReadHeaderTimeout: timeouts.readHeader,
		ReadTimeout:       timeouts.read,
		WriteTimeout:      timeouts.write,
		IdleTimeout:       timeouts.idle,
		MaxHeaderBytes:    maxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return streams },
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	listenerClosed := make(chan struct{})
	srv.RegisterOnShutdown(func() { close(listenerClosed) })
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	// Ready only now that the socket is bound, with the address it is bound
	// to (--addr 127.0.0.1:0 picks a free port).
	url := "http://" + ln.Addr().String() + t.endpoint
	a.ready("transport", cfg.transport, "url", url, "bearer_token_required", cfg.http.authToken != "", "oauth_issuer", cfg.oauth.issuer)
	if cfg.sandbox.enabled && cfg.logFormat == "text" {
		fmt.Fprint(stderr, sandboxClientHint(cfg.transport, url, program))
	}

	select {
	case err := <-served:
		t.close()
		return fmt.Errorf("serving HTTP on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}

	a.log.Info("shutting down: no new connections; letting calls in flight finish",
		"in_flight", calls.inFlight(), "timeout", cfg.http.shutdownTimeout)
	grace, cancel := context.WithTimeout(context.Background(), cfg.http.shutdownTimeout)
	defer cancel()
	shutdown := make(chan error, 1)
	go func() { shutdown <- srv.Shutdown(grace) }()
	<-listenerClosed
	if hooks != nil && hooks.draining != nil {
		close(hooks.draining)
	}
	if err := calls.wait(grace); err != nil {
		a.log.Warn("shutdown timeout passed with calls in flight; cancelling them", "in_flight", calls.inFlight())
		endStreams()
		// A cancelled call returns at once, but must still write its audit
		// line (outcome_unknown: it may have happened) before the process
		// exits; give it a moment.
		settle, endSettle := context.WithTimeout(context.Background(), cancelledCallsSettle)
		_ = calls.wait(settle)
		endSettle()
	}
	endStreams()
	t.close()
	if err := <-shutdown; err != nil {
		_ = srv.Close()
	}
	<-served
	a.log.Info("pci-mcp stopped")
	return nil
}

// listenError explains why the listen address cannot be used, naming the
// flag and the variable that set it.
func listenError(addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return usageError("--addr %s: the address is already in use (another program, or another pci-mcp, is listening there); "+
			"stop it, or choose another address with --addr or %s", addr, envAddr)
	}
	return usageError("--addr %s (or %s): cannot listen there: %v", addr, envAddr, err)
}

// sandboxClientHint tells the person who started the sandbox over HTTP how
// to point a client at it, with the URL it is bound to: printed once
// serving has begun, never before.
func sandboxClientHint(transport, url, program string) string {
	kind, claudeKind := "http", "http"
	if transport == "sse" {
		kind, claudeKind = "sse", "sse"
	}
	return fmt.Sprintf(`
Serving the sandbox over MCP at %[1]s. Point a client at it, e.g. VS Code (.vscode/mcp.json):
  { "servers": { "pci-sandbox": { "type": %[2]q, "url": %[1]q } } }
or Claude Code: claude mcp add --transport %[3]s pci-sandbox %[1]s
or the MCP Inspector: npx @modelcontextprotocol/inspector --cli %[1]s --transport %[4]s --method tools/list
Clients that start servers themselves (Claude Desktop) run: %[5]s --sandbox
Ctrl-C stops it.

`, url, kind, claudeKind, inspectorTransport(transport), displayProgram(program))
}

// inspectorTransport is the MCP Inspector's name for a transport.
func inspectorTransport(transport string) string {
	if transport == "sse" {
		return "sse"
	}
	return "http"
}
