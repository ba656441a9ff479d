package main

import (
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// minAuthTokenLen is the shortest PCI_MCP_AUTH_TOKEN accepted: 32 bytes, as
// `openssl rand -hex 32` gives (64 characters).
const minAuthTokenLen = 32

// httpSettings configure the sse and http transports.
type httpSettings struct {
	// allowedOrigins are the browser origins allowed to call, exactly; no
	// other Origin is, loopback ones included.
	allowedOrigins listValue
	// shutdownTimeout bounds how long calls in flight may take to finish
	// once SIGINT or SIGTERM arrives.
	shutdownTimeout time.Duration
	// maxSessions bounds the live sessions this process holds (Streamable
	// HTTP sessions kept in memory, open HTTP+SSE streams).
	maxSessions int
	// authToken, when set, is the bearer token every MCP request must carry.
	// Environment only.
	authToken string
}

func (c *config) httpFlags(fs *pflag.FlagSet) {
	fs.Var(&c.http.allowedOrigins, "allowed-origins", "comma-separated browser origins (scheme://host[:port]) allowed to call, exactly (e.g. the MCP Inspector's http://localhost:6274); every other Origin gets 403, loopback ones too")
	bindEnv(fs, "allowed-origins", "PCI_MCP_ALLOWED_ORIGINS")
	fs.DurationVar(&c.http.shutdownTimeout, "shutdown-timeout", 25*time.Second, "on SIGINT or SIGTERM, how long calls in flight may take to finish (sse and http transports)")
	bindEnv(fs, "shutdown-timeout", "PCI_MCP_SHUTDOWN_TIMEOUT")
	fs.IntVar(&c.http.maxSessions, "max-sessions", defaultMaxSessions, "live sessions held at most (sse and http transports); past it a new session gets 503 with Retry-After")
	bindEnv(fs, "max-sessions", "PCI_MCP_MAX_SESSIONS")
}

// validateHTTP checks the HTTP flags, whatever the transport.
func (c *config) validateHTTP() error {
	if c.http.shutdownTimeout <= 0 {
		return usageError("--shutdown-timeout must be positive")
	}
	if c.http.maxSessions < 1 {
		return usageError("--max-sessions must be at least 1")
	}
	for i, o := range c.http.allowedOrigins {
		origin, err := parseOrigin(o)
		if err != nil {
			return usageError("--allowed-origins %q: %v", o, err)
		}
		c.http.allowedOrigins[i] = origin
	}
	return nil
}

// checkListen checks what serving over HTTP needs, before anything starts.
// Listening beyond loopback without a token is refused: these tools change
// what a merchant's PCI scan covers. (`pci-mcp call` parses the same
// flags but listens nowhere, and sends PCI_MCP_AUTH_TOKEN as a client.)
func (c *config) checkListen() error {
	if c.http.authToken != "" && len(c.http.authToken) < minAuthTokenLen {
		return usageError("%s must be at least %d bytes; generate one with `openssl rand -hex 32`", envAuthToken, minAuthTokenLen)
	}
	host, _, err := net.SplitHostPort(c.addr)
	if err != nil {
		return usageError("--addr %q: want host:port, e.g. 127.0.0.1:8080", c.addr)
	}
	if !c.authenticates() && !isLoopbackHost(host) {
		return usageError("--addr %s would accept connections from other machines, and %s is not set. "+
			"Set %s (e.g. `openssl rand -hex 32`) so every MCP request must carry it as a bearer token, "+
			"or listen on 127.0.0.1", c.addr, envAuthToken, envAuthToken)
	}
	return nil
}

// authenticates reports whether HTTP callers must prove who they are: the
// shared bearer token or OAuth access tokens.
func (c *config) authenticates() bool { return c.http.authToken != "" || c.oauth.enabled() }

// isLoopbackHost reports whether host names this machine only: localhost or
// a loopback IP. An empty host (":8080") means every interface.
func isLoopbackHost(host string) bool {
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// parseOrigin checks that s is a browser origin, scheme://host[:port], and
// returns it in the form browsers send: lower case, no trailing slash.
func parseOrigin(s string) (string, error) {
	if s == "*" {
		return "", errors.New("list origins explicitly; a wildcard would let any web page drive this server")
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "", err
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errors.New("want http:// or https://")
	case u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return "", errors.New("want scheme://host[:port] and nothing else")
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}
