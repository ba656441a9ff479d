package main

import (
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/require"
)

// Credentials that every escaping changes ("\ < > & and quotes), and long
// plain ones that an excerpt could cut: an upstream echoing them in any
// encoding must not get six characters of one to the person, the log or
// the audit trail.
var (
	hostileQualysPassword = `Zq9"kL&m<x>\w7'Tt`
	hostileHaloKey        = "Hk7<q&z>\"Rw\\9LmNp"
	longPlainPassword     = "Xk29vLq0Pz7Rt4Wn8Bc3Md6Fg1Hj5Ys"
	longPlainHaloKey      = "Hq38wMr1Qa8Su5Xo9Cd4Ne7Gh2Ik6Zt"
)

// echoingUpstream answers every request with an error that quotes the
// request's credentials back, cycling through every way a body can carry
// them: JSON-escaped in JSON (with and without HTML escaping), raw and
// entity-escaped in HTML, in a page title, in XML, URL-encoded, truncated
// JSON, and just past the length of an error excerpt.
func echoingUpstream(t *testing.T) string {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		echo := r.Header.Get("Authorization") + " " + r.Header.Get("X-Apikey")
		if user, pass, ok := r.BasicAuth(); ok {
			echo += " " + user + ":" + pass
		} else {
			echo += " " + r.Header.Get("X-Apikey")
		}
		quoted, _ := json.Marshal("bad credentials " + echo)
		var plain strings.Builder
		enc := json.NewEncoder(&plain)
		enc.SetEscapeHTML(false)
		_ = enc.Encode("bad credentials " + echo)
		send := func(status int, contentType, body string) {
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
		}
		switch n.Add(1) % 9 {
		case 0:
			send(http.StatusUnauthorized, "application/json", `{"code":401,"message":`+string(quoted)+`}`)
		case 1:
			send(http.StatusOK, "application/json", `{"code":0,"message":`+strings.TrimSpace(plain.String())+`}`)
		case 2:
			send(http.StatusBadGateway, "text/html", "<html><body><h1>502</h1><pre>"+echo+"</pre><p>"+html.EscapeString(echo)+"</p></body></html>")
		case 3:
			send(http.StatusForbidden, "text/html", "<html><head><title>Denied "+html.EscapeString(echo)+"</title></head></html>")
		case 4:
			send(http.StatusBadRequest, "text/xml", "<error><message>"+html.EscapeString(echo)+"</message></error>")
		case 5:
			send(http.StatusBadRequest, "text/plain", "refused "+url.QueryEscape(echo)+" "+strconv.Quote(echo))
		case 6:
			send(http.StatusOK, "application/json", `{"data":{"message":`+string(quoted))
		case 7:
			send(http.StatusBadRequest, "text/plain", strings.Repeat("x", 150)+" "+echo)
		default:
			send(http.StatusInternalServerError, "application/json", `{"errors":[{"message":`+string(quoted)+`}]}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// runsOfSix are every six-character run of each secret, and the whole
// encoded forms a secret travels in (which may hold no such run).
func runsOfSix(secrets ...string) []string {
	var out []string
	for _, s := range secrets {
		r := []rune(s)
		for i := 0; i+6 <= len(r); i++ {
			out = append(out, string(r[i:i+6]))
		}
		q, _ := json.Marshal(s)
		out = append(out, string(q[1:len(q)-1]), url.QueryEscape(s), html.EscapeString(s))
	}
	return out
}

func TestNoSecretSurvivesAnyEncoding(t *testing.T) {
	credentials := []struct{ name, password, haloKey string }{
		{"escaping characters", hostileQualysPassword, hostileHaloKey},
		{"long plain", longPlainPassword, longPlainHaloKey},
	}
	transports := []struct {
		name    string
		connect func(t *testing.T, getenv func(string) string, args ...string) (*client.Client, func() string)
	}{
		{"stdio", connectStdioInProcess},
		{"http/2025-11-25", httpConnector("http", mcp.LATEST_LEGACY_PROTOCOL_VERSION)},
	}
	for _, cred := range credentials {
		for _, tr := range transports {
			t.Run(cred.name+"/"+tr.name, func(t *testing.T) {
				upstreamURL := echoingUpstream(t)
				auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
				getenv := env(
					"QUALYS_USERNAME", secretQualysUser, "QUALYS_PASSWORD", cred.password, "QUALYS_PCI_URL", upstreamURL,
					"HALO_API_KEY", cred.haloKey, "HALO_API_URL", upstreamURL+"/api/v1",
					"PCI_MCP_AUTH_TOKEN", markerAuthToken, "PCI_MCP_STATE_KEY", markerStateKey,
					"PCI_MCP_AUDIT_LOG", auditPath, "PCI_MCP_LOG_LEVEL", "debug", "PCI_MCP_LOG_FORMAT", "json",
					"PCI_MCP_UPSTREAM_TIMEOUT", "5s",
				)
				c, logs := tr.connect(t, getenv)
				seen := sweep(t, c)
				require.NoError(t, c.Close())
				audit, err := os.ReadFile(auditPath)
				require.NoError(t, err)
				basic := base64.StdEncoding.EncodeToString([]byte(secretQualysUser + ":" + cred.password))
				forbidden := append(runsOfSix(cred.password, cred.haloKey), basic, strings.TrimRight(basic, "="))
				for where, text := range map[string]string{"tool results": seen, "log lines": logs(), "audit lines": string(audit)} {
					for _, f := range forbidden {
						if i := strings.Index(text, f); i >= 0 {
							t.Errorf("%q of a secret appears in the %s: …%s…", f, where, text[max(0, i-60):min(len(text), i+len(f)+30)])
						}
					}
				}
				require.Contains(t, seen, "[REDACTED]", "the echoes were scrubbed, not absent")
				require.Contains(t, string(audit), "[REDACTED]", "the audit trail met the echoes too")
			})
		}
	}
}
