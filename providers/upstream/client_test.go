package upstream

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testSecret = "s3cret-password-marker"

// newTestClient points a client at h with no backoff, so retry tests are fast
// and deterministic.
func newTestClient(t *testing.T, h http.Handler, mutate ...func(*Config)) (*Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg := Config{
		Provider:  "Test",
		BaseURL:   srv.URL + "/api/v1",
		Header:    http.Header{"Apiversion": {"V1"}},
		Authorize: func(r *http.Request) { r.SetBasicAuth("user", testSecret) },
		Secrets:   BasicAuthSecrets("user", testSecret),
		Settings:  Settings{Backoff: func(int) time.Duration { return 0 }},
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := New(cfg)
	require.NoError(t, err)
	return c, srv
}

func TestDoSendsHeadersAndDecodes(t *testing.T) {
	var got *http.Request
	var gotBody []byte
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		gotBody, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"data":{"id":"42","extra":true}}`)
	}))
	var out struct {
		Data struct {
			ID Int `json:"id"`
		} `json:"data"`
	}
	err := c.Do(context.Background(), Request{
		Effect: Write, Method: http.MethodPost, Path: "pci/scan/launch",
		Query: map[string][]string{"a": {"1"}},
		Body:  map[string]string{"title": "Q3 & Q4 <scan>"},
	}, &out)
	require.NoError(t, err)
	assert.Equal(t, Int(42), out.Data.ID)
	assert.Equal(t, "/api/v1/pci/scan/launch", got.URL.Path)
	assert.Equal(t, "a=1", got.URL.RawQuery)
	assert.Equal(t, "V1", got.Header.Get("apiVersion"))
	assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
	assert.Equal(t, "application/json", got.Header.Get("Accept"))
	user, pass, ok := got.BasicAuth()
	assert.True(t, ok)
	assert.Equal(t, "user", user)
	assert.Equal(t, testSecret, pass)
	assert.JSONEq(t, `{"title":"Q3 & Q4 <scan>"}`, string(gotBody))
	assert.NotContains(t, string(gotBody), `\u0026`, "text must arrive as typed")
}

func TestGetHasNoContentType(t *testing.T) {
	var contentType string
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		contentType = r.Header.Get("Content-Type")
		_, _ = io.WriteString(w, `{}`)
	}))
	require.NoError(t, c.Do(context.Background(), Request{Effect: Read, Method: http.MethodGet, Path: "x"}, nil))
	assert.Empty(t, contentType)
}

// countingHandler answers with the i-th response on the i-th request and
// counts requests.
type countingHandler struct {
	calls     atomic.Int32
	responses []func(http.ResponseWriter)
}

func (h *countingHandler) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	i := int(h.calls.Add(1)) - 1
	if i >= len(h.responses) {
		i = len(h.responses) - 1
	}
	h.responses[i](w)
}

func status(code int, contentType, body string, headers ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

func TestRetryPolicy(t *testing.T) {
	ok := status(200, "application/json", `{"ok":true}`)
	tests := []struct {
		name         string
		method       string
		effect       Effect
		responses    []func(http.ResponseWriter)
		wantErr      bool
		wantAttempts int32
		wantKind     Kind
		wantUnknown  bool
	}{
		{"GET 503 then success", http.MethodGet, Read, []func(http.ResponseWriter){status(503, "text/plain", "busy"), ok}, false, 2, 0, false},
		{"GET 502 three times gives up", http.MethodGet, Read, []func(http.ResponseWriter){status(502, "text/html", "<h1>Bad Gateway</h1>")}, true, 3, KindStatus, false},
		{"GET 500 not retried", http.MethodGet, Read, []func(http.ResponseWriter){status(500, "application/json", `{"message":"boom"}`)}, true, 1, KindStatus, false},
		{"GET 404 not retried", http.MethodGet, Read, []func(http.ResponseWriter){status(404, "application/json", `{"message":"Scan not found"}`)}, true, 1, KindStatus, false},
		{"POST 503 not retried, outcome unknown", http.MethodPost, Write, []func(http.ResponseWriter){status(503, "text/plain", "busy"), ok}, true, 1, KindStatus, true},
		{"POST 429 retried", http.MethodPost, Write, []func(http.ResponseWriter){status(429, "application/json", `{}`, "Retry-After", "0"), ok}, false, 2, 0, false},
		{"DELETE 400 definite", http.MethodDelete, Write, []func(http.ResponseWriter){status(400, "application/json", `{"message":"bad asset"}`)}, true, 1, KindStatus, false},
		{"GET 429 with long Retry-After not waited", http.MethodGet, Read, []func(http.ResponseWriter){status(429, "application/json", `{}`, "Retry-After", "3600"), ok}, true, 1, KindStatus, false},
		{"GET HTML 200 is not JSON", http.MethodGet, Read, []func(http.ResponseWriter){status(200, "text/html", "<html><title>Login</title></html>")}, true, 1, KindNotJSON, false},
		// Halo's writes are GETs: the effect decides, not the method.
		{"GET write 503 not retried, outcome unknown", http.MethodGet, Write, []func(http.ResponseWriter){status(503, "text/plain", "busy"), ok}, true, 1, KindStatus, true},
		{"GET write 502 not retried, outcome unknown", http.MethodGet, Write, []func(http.ResponseWriter){status(502, "text/html", "<h1>Bad Gateway</h1>"), ok}, true, 1, KindStatus, true},
		{"GET write 429 retried", http.MethodGet, Write, []func(http.ResponseWriter){status(429, "application/json", `{}`, "Retry-After", "0"), ok}, false, 2, 0, false},
		{"GET write truncated JSON 200 outcome unknown", http.MethodGet, Write, []func(http.ResponseWriter){status(200, "application/json", `{"success":1`)}, true, 1, KindNotJSON, true},
		{"GET write 400 definite", http.MethodGet, Write, []func(http.ResponseWriter){status(400, "application/json", `{"code":0,"message":"type not valid"}`)}, true, 1, KindStatus, false},
		{"POST truncated JSON 200 outcome unknown", http.MethodPost, Write, []func(http.ResponseWriter){status(200, "application/json", `{"data":{"id":1`)}, true, 1, KindNotJSON, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &countingHandler{responses: tt.responses}
			c, _ := newTestClient(t, h)
			err := c.Do(context.Background(), Request{Effect: tt.effect, Method: tt.method, Path: "p", Body: bodyFor(tt.method)}, nil)
			assert.Equal(t, tt.wantAttempts, h.calls.Load(), "attempts")
			if !tt.wantErr {
				require.NoError(t, err)
				return
			}
			ue, isUpstream := AsError(err)
			require.True(t, isUpstream, "error %v is not *Error", err)
			assert.Equal(t, tt.wantKind, ue.Kind)
			assert.Equal(t, tt.wantUnknown, ue.OutcomeUnknown)
			assert.Equal(t, int(tt.wantAttempts), ue.Attempts)
		})
	}
}

func bodyFor(method string) any {
	if method == http.MethodGet {
		return nil
	}
	return map[string]string{"k": "v"}
}

// TestRequestMustStateItsEffect: a request that does not say whether it
// reads or writes is refused, and nothing reaches the server.
func TestRequestMustStateItsEffect(t *testing.T) {
	h := &countingHandler{responses: []func(http.ResponseWriter){status(200, "application/json", `{}`)}}
	c, _ := newTestClient(t, h)
	err := c.Do(context.Background(), Request{Method: http.MethodGet, Path: "ack/host-add.json"}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "does not say whether it reads or writes")
	assert.Zero(t, h.calls.Load())
}

// TestGETWriteNotRetriedAfterTimeout: a write sent as a GET that times out
// once sent is not sent again, and its outcome is unknown.
func TestGETWriteNotRetriedAfterTimeout(t *testing.T) {
	release := make(chan struct{})
	h := &countingHandler{responses: []func(http.ResponseWriter){func(http.ResponseWriter) { <-release }}}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	c, err := New(Config{Provider: "Test", BaseURL: srv.URL, Settings: Settings{Timeout: 100 * time.Millisecond, Backoff: func(int) time.Duration { return 0 }}})
	require.NoError(t, err)
	err = c.Do(context.Background(), Request{Effect: Write, Method: http.MethodGet, Path: "ack/host-add.json"}, nil)
	ue, ok := AsError(err)
	require.True(t, ok)
	assert.Equal(t, KindTimeout, ue.Kind)
	assert.True(t, ue.OutcomeUnknown)
	assert.Equal(t, int32(1), h.calls.Load(), "sent once")
}

func TestWriteRetriedWhenNeverDelivered(t *testing.T) {
	// A port with nothing listening: connection refused proves the request
	// never reached a server, so even a POST may be sent again.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	c, err := New(Config{Provider: "Test", BaseURL: "http://" + addr, Settings: Settings{Backoff: func(int) time.Duration { return 0 }}})
	require.NoError(t, err)
	err = c.Do(context.Background(), Request{Effect: Write, Method: http.MethodPost, Path: "p", Body: map[string]int{"a": 1}}, nil)
	ue, ok := AsError(err)
	require.True(t, ok)
	assert.Equal(t, KindNetwork, ue.Kind)
	assert.Equal(t, 3, ue.Attempts)
	assert.False(t, ue.OutcomeUnknown)
}

func TestTimeoutOnWriteIsNotRetried(t *testing.T) {
	release := make(chan struct{})
	h := &countingHandler{responses: []func(http.ResponseWriter){func(w http.ResponseWriter) { <-release }}}
	c, _ := newTestClient(t, h, func(cfg *Config) { cfg.Timeout = 50 * time.Millisecond })
	defer close(release)
	err := c.Do(context.Background(), Request{Effect: Write, Method: http.MethodPost, Path: "pci/scan/launch", Body: map[string]string{}}, nil)
	ue, ok := AsError(err)
	require.True(t, ok)
	assert.Equal(t, KindTimeout, ue.Kind)
	assert.True(t, ue.OutcomeUnknown)
	assert.Equal(t, int32(1), h.calls.Load())
}

func TestResponseSizeCap(t *testing.T) {
	big := strings.Repeat("x", 2048)
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"data":"`+big+`"}`)
	}), func(cfg *Config) { cfg.MaxResponseBytes = 1024 })
	err := c.Do(context.Background(), Request{Effect: Read, Method: http.MethodGet, Path: "p"}, nil)
	ue, ok := AsError(err)
	require.True(t, ok)
	assert.Equal(t, KindTooLarge, ue.Kind)
	assert.Contains(t, ue.Error(), "1 KiB")
}

func TestSecretsNeverInErrors(t *testing.T) {
	// A gateway that echoes the request's Authorization header in its error
	// page must not get the credential into our error text.
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, "<p>bad request with "+r.Header.Get("Authorization")+" and "+testSecret+"</p>")
	}))
	err := c.Do(context.Background(), Request{Effect: Read, Method: http.MethodGet, Path: "p"}, nil)
	require.Error(t, err)
	text := err.Error()
	assert.NotContains(t, text, testSecret)
	for _, s := range BasicAuthSecrets("user", testSecret) {
		assert.NotContains(t, text, s)
	}
	assert.Contains(t, text, Redacted)
}

func TestErrorBodyDecidesWhateverTheStatus(t *testing.T) {
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"code":0,"message":"no targets in pci scope"}`)
	}), func(cfg *Config) {
		cfg.ErrorBody = func(body []byte) (bool, string, *int) {
			var b struct {
				Code    *int            `json:"code"`
				Message string          `json:"message"`
				Success json.RawMessage `json:"success"`
			}
			_ = json.Unmarshal(body, &b)
			return b.Code != nil && b.Success == nil, b.Message, b.Code
		}
	})
	err := c.Do(context.Background(), Request{Effect: Read, Method: http.MethodGet, Path: "pci/start.json"}, nil)
	ue, ok := AsError(err)
	require.True(t, ok)
	assert.Equal(t, 200, ue.StatusCode)
	assert.Equal(t, "no targets in pci scope", ue.Message)
	require.NotNil(t, ue.Code)
	assert.Equal(t, 0, *ue.Code)
}

func TestConcurrencyLimitRespectsCancellation(t *testing.T) {
	block := make(chan struct{})
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		<-block
		_, _ = io.WriteString(w, `{}`)
	}), func(cfg *Config) { cfg.Concurrency = 1 })
	done := make(chan error, 1)
	go func() {
		done <- c.Do(context.Background(), Request{Effect: Read, Method: http.MethodGet, Path: "p"}, nil)
	}()
	// Wait until the first request holds the only slot.
	require.Eventually(t, func() bool { return len(c.slots) == 1 }, 5*time.Second, time.Millisecond)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := c.Do(ctx, Request{Effect: Read, Method: http.MethodGet, Path: "p"}, nil)
	ue, ok := AsError(err)
	require.True(t, ok)
	assert.Equal(t, KindCanceled, ue.Kind)
	assert.Equal(t, 0, ue.Attempts)
	close(block)
	require.NoError(t, <-done)
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	assert.Equal(t, 3*time.Second, parseRetryAfter("3", now))
	assert.Equal(t, time.Duration(0), parseRetryAfter("-1", now))
	assert.Equal(t, 10*time.Second, parseRetryAfter(now.Add(10*time.Second).Format(http.TimeFormat), now))
	assert.Equal(t, time.Duration(0), parseRetryAfter("soon", now))
}

func TestExcerpt(t *testing.T) {
	assert.Equal(t, "502 Bad Gateway nginx", excerpt([]byte("<html><head><title>502 Bad Gateway</title></head>\n<body><center>nginx</center></body></html>")))
	assert.Equal(t, "a b", excerpt([]byte("a\x00\x01\tb")))
	long := excerpt([]byte(strings.Repeat("y", 500)))
	assert.LessOrEqual(t, len(long), excerptLen+len("…"))
}

func TestIntDecoding(t *testing.T) {
	for _, in := range []string{`7`, `"7"`, `7.0`} {
		var i Int
		require.NoError(t, json.Unmarshal([]byte(in), &i), in)
		assert.Equal(t, Int(7), i, in)
	}
	var i Int
	assert.Error(t, json.Unmarshal([]byte(`"seven"`), &i))
	var s String
	require.NoError(t, json.Unmarshal([]byte(`12`), &s))
	assert.Equal(t, String("12"), s)
}

// TestIdleConnectionsCoverConcurrency: every request allowed in flight can
// go back to an idle connection, so concurrent calls reuse connections
// instead of dialling anew (net/http keeps only 2 per host by default; under
// load that meant a new connection for one call in four, BENCHMARKS.md).
func TestIdleConnectionsCoverConcurrency(t *testing.T) {
	for _, concurrency := range []int{0, 1, 16} {
		c, err := New(Config{Provider: "Test", BaseURL: "https://api.example.com", Settings: Settings{Concurrency: concurrency}})
		require.NoError(t, err)
		transport, ok := c.cfg.HTTPClient.Transport.(*http.Transport)
		require.True(t, ok)
		assert.Equal(t, c.cfg.Concurrency, transport.MaxIdleConnsPerHost, "concurrency %d", concurrency)
		assert.GreaterOrEqual(t, transport.MaxIdleConnsPerHost, max(concurrency, 1))
	}
}
