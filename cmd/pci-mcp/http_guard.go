package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The HTTP front door. Every request passes, in this order:
//
//  1. rejectRebinding — on a loopback connection, a Host that is not a
//     loopback name is a DNS-rebinding attempt: 403.
//  2. checkOrigin — a browser Origin that is not exactly one of
//     --allowed-origins (nor this server's own): 403, with no CORS headers,
//     preflight or not; an allowed one gets CORS headers, and its preflight
//     is answered here.
//  3. the routes: /healthz is open; the MCP endpoints go on through
//  4. requireBearer — with PCI_MCP_AUTH_TOKEN set, no or a wrong token: 401;
//  5. readBody — a body over maxBodyBytes: 413. The body is read here, in
//     full, so the read timeout bounds it and nothing later waits on the
//     client;
//  6. boundWrites — the write timeout bounds each write rather than the
//     whole response, which may be a long-lived stream;
//  7. the call tracker (http_drain.go), which lets a shutdown wait for calls
//     in flight;
//  8. mcp-go's transport handler, which applies its own rebinding check too.

// maxBodyBytes bounds a request body.
const maxBodyBytes = 4 << 20

// maxHeaderBytes bounds a request's headers.
const maxHeaderBytes = 64 << 10

// httpTimeouts are the server's timeouts. read bounds reading a request,
// headers and body; write bounds writing a whole response, except on the
// MCP endpoints, whose responses may stream for hours or wait minutes for a
// person to confirm: there it bounds each write instead (streamWriter).
type httpTimeouts struct {
	readHeader, read, write, idle time.Duration
}

var defaultHTTPTimeouts = httpTimeouts{
	readHeader: 10 * time.Second,
	read:       30 * time.Second,
	write:      30 * time.Second,
	idle:       2 * time.Minute,
}

// rejectRebinding refuses requests that reached a loopback address under a
// name that is not a loopback name: a web page whose own domain was rebound
// to 127.0.0.1. Requests to other addresses are left to the token.
func rejectRebinding(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
		if local != nil && isLoopbackAddr(local) && !isLoopbackHost(hostOnly(r.Host)) {
			http.Error(w, fmt.Sprintf("Host %q is not allowed: this server answers on localhost, 127.0.0.1 and [::1] only", r.Host), http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func isLoopbackAddr(a net.Addr) bool {
	if tcp, ok := a.(*net.TCPAddr); ok {
		return tcp.IP.IsLoopback()
	}
	host, _, err := net.SplitHostPort(a.String())
	return err == nil && isLoopbackHost(host)
}

// hostOnly strips the port from a Host header.
func hostOnly(hostport string) string {
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		return host
	}
	return hostport
}

// corsAllowedHeaders are the request headers an allowed browser origin may
// send: the MCP transport headers and the token.
var corsAllowedHeaders = strings.Join([]string{
	"Authorization", "Content-Type", "Accept", "Last-Event-ID",
	"Mcp-Session-Id", "Mcp-Protocol-Version", "Mcp-Method", "Mcp-Name",
}, ", ")

// originPolicy decides which browser origins may call. Requests without an
// Origin (every non-browser client) are not its concern.
type originPolicy struct {
	// allowed are the exact origins --allowed-origins lists, normalised by
	// parseOrigin.
	allowed []string
}

// allows reports whether a browser page at origin may call: only one listed
// exactly in --allowed-origins. A loopback origin is no exception: any page
// served on localhost (a dev server, another tool, a page that port-scans)
// would otherwise drive this server with the loopback default of no bearer
// token, and confirm its own removals.
func (p originPolicy) allows(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
		return false // includes "null", sent by sandboxed frames and file: pages
	}
	return slices.Contains(p.allowed, strings.ToLower(u.Scheme+"://"+u.Host))
}

// sameOrigin reports whether origin is the origin of this server as the
// request addressed it (http://Host): only a page served from this very
// scheme, host and port has it. rejectRebinding has already refused a
// rebound name on loopback.
func sameOrigin(origin, host string) bool {
	return host != "" && strings.EqualFold(origin, "http://"+host)
}

// checkOrigin refuses browser requests from origins not allowed, and gives
// allowed ones the CORS headers a browser needs, answering preflights here:
// a preflight carries no token, so it must not reach requireBearer.
func (p originPolicy) checkOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Origin")
		if sameOrigin(origin, r.Host) {
			// Not cross-origin at all: a page this server itself served
			// (such as its own pages), which needs no CORS.
			next.ServeHTTP(w, r)
			return
		}
		if !p.allows(origin) {
			http.Error(w, fmt.Sprintf("Origin %q is not allowed: browser pages may call only from an origin listed exactly in --allowed-origins (PCI_MCP_ALLOWED_ORIGINS)", origin), http.StatusForbidden)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Expose-Headers", "Mcp-Session-Id, WWW-Authenticate")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
			h.Set("Access-Control-Allow-Headers", corsAllowedHeaders)
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireBearer lets through only requests carrying the token. The
// comparison is of SHA-256 digests in constant time, so neither the token's
// bytes nor its length leak through timing. The Authorization header is then
// removed: nothing past this point — mcp-go, a tool, a log line, an upstream
// request — ever sees it; what follows knows the caller only as its
// principal, a digest of the token (http_sessions.go binds sessions to it).
func requireBearer(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := bearerToken(r.Header.Get("Authorization"))
		gotSum := sha256.Sum256([]byte(got))
		if !ok || subtle.ConstantTimeCompare(gotSum[:], want[:]) != 1 {
			challenge := `Bearer realm="pci-mcp"`
			msg := "this server needs Authorization: Bearer <the PCI_MCP_AUTH_TOKEN it was started with>"
			if ok {
				challenge += `, error="invalid_token"`
				msg = "the bearer token is not the one this server was started with"
			}
			w.Header().Set("WWW-Authenticate", challenge)
			http.Error(w, msg, http.StatusUnauthorized)
			return
		}
		r.Header.Del("Authorization")
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, bearerPrincipal(gotSum))))
	})
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

// readBody reads the request body in full, refusing one over maxBodyBytes
// with 413, and hands the handler an in-memory copy. The read timeout bounds
// this; net/http lifts the read deadline once the body is read, so it never
// cuts off a long call or an event stream.
func readBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBodyBytes {
			tooLarge(w)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			tooLarge(w)
			return
		case err != nil:
			http.Error(w, "reading the request body: "+err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = &bufferedBody{Reader: bytes.NewReader(body), data: body}
		next.ServeHTTP(w, r)
	})
}

// bufferedBody is a request body readBody has read in full.
type bufferedBody struct {
	*bytes.Reader
	data []byte
}

func (*bufferedBody) Close() error { return nil }

// requestBody returns the body readBody read, or nil.
func requestBody(r *http.Request) []byte {
	if b, ok := r.Body.(*bufferedBody); ok {
		return b.data
	}
	return nil
}

func tooLarge(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
	http.Error(w, fmt.Sprintf("the request body is over the %d MiB limit", maxBodyBytes>>20), http.StatusRequestEntityTooLarge)
}

// boundWrites replaces the server's bound on the whole response by a bound
// on each write (streamWriter).
func boundWrites(timeout time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &streamWriter{ResponseWriter: w, rc: http.NewResponseController(w), timeout: timeout}
		next.ServeHTTP(sw, r)
		sw.extend() // for what net/http flushes after the handler returns
	})
}

// streamWriter bounds each write to the client by timeout, instead of
// the whole response: an MCP response may be an event stream that lasts for
// hours, but a client that stops reading must not hold a connection and a
// goroutine for ever.
type streamWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

func (w *streamWriter) Write(p []byte) (int, error) {
	w.extend()
	return w.ResponseWriter.Write(p)
}

// Flush is what mcp-go streams through; without it, it would refuse to.
func (w *streamWriter) Flush() {
	w.extend()
	_ = w.rc.Flush()
}

// Unwrap lets http.ResponseController reach the connection.
func (w *streamWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *streamWriter) extend() { _ = w.rc.SetWriteDeadline(time.Now().Add(w.timeout)) }
