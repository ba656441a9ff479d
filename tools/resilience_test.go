package tools

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/providers/qualys"
	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// fault is one misbehaviour of the upstream, for one request.
type fault func(w http.ResponseWriter, r *http.Request)

// faultyUpstream serves the faults in order, one per request, then answers
// every request correctly. It counts the requests that reached it.
type faultyUpstream struct {
	srv      *httptest.Server
	mu       sync.Mutex
	faults   []fault
	attempts atomic.Int32
	release  chan struct{} // closed at cleanup, freeing hung handlers
}

func newFaultyUpstream(t *testing.T, faults ...fault) *faultyUpstream {
	f := &faultyUpstream{faults: faults, release: make(chan struct{})}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		f.attempts.Add(1)
		f.mu.Lock()
		var next fault
		if len(f.faults) > 0 {
			next, f.faults = f.faults[0], f.faults[1:]
		}
		f.mu.Unlock()
		if next != nil {
			next(w, r)
			return
		}
		healthy(w, r)
	}))
	t.Cleanup(func() {
		close(f.release)
		f.srv.Close()
	})
	return f
}

// healthy answers like Qualys: a scan list for reads, a launch for writes.
func healthy(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Method == http.MethodPost {
		_, _ = io.WriteString(w, `{"responseApiVersion":"V1","data":{"id":10988,"status":"Launched scan successfully"}}`)
		return
	}
	_, _ = io.WriteString(w, `{"responseApiVersion":"V1","data":{"totalCount":0,"scanInfoList":[]}}`)
}

func respond(status int, contentType, body string, headers ...string) fault {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// hang never answers (until the test ends).
func (f *faultyUpstream) hang() fault {
	return func(http.ResponseWriter, *http.Request) { <-f.release }
}

// drip sends headers and the start of a body, then a byte at a time, never
// finishing within the timeout.
func (f *faultyUpstream) drip() fault {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"responseApiVersion":"V1","data":{`)
		w.(http.Flusher).Flush()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-f.release:
				return
			case <-tick.C:
				if _, err := io.WriteString(w, " "); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		}
	}
}

// resetAfterRead drops the connection with a TCP reset once the whole
// request has been read: it reached the server, no answer came back.
func resetAfterRead(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// huge writes a body of n bytes of valid-looking JSON.
func huge(n int) fault {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"responseApiVersion":"V1","data":"`)
		chunk := strings.Repeat("x", 64<<10)
		for written := 0; written < n; written += len(chunk) {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
		_, _ = io.WriteString(w, `"}`)
	}
}

// faultEnv is a test env whose Qualys client retries like production (3
// attempts) with no backoff wait, and a short per-attempt timeout.
func faultEnv(t *testing.T, baseURL string) *testEnv {
	return faultEnvWithTimeout(t, baseURL, faultTimeout)
}

// faultEnvWithTimeout sets the per-attempt timeout: short where the fault
// never answers, generous where the answer is large and must not time out
// on a loaded machine.
func faultEnvWithTimeout(t *testing.T, baseURL string, timeout time.Duration) *testEnv {
	return newTestEnv(t, func(o *Options) {
		qc, err := qualys.New(qualys.Config{
			BaseURL: baseURL, Username: testQualysUser, Password: testQualysPassword,
			Settings: upstream.Settings{
				Timeout:     timeout,
				MaxAttempts: 3,
				Backoff:     func(int) time.Duration { return 0 },
			},
		})
		require.NoError(t, err)
		o.Qualys = qc
	})
}

// faultTimeout is the per-attempt timeout of the fault tests: the faults
// that hang never answer, so any value makes them time out; it only has to
// be long enough for a healthy loopback answer on a loaded 2-core machine
// running the race detector.
const faultTimeout = time.Second

const (
	readTool   = "qualys_list_scans"
	readArgs   = `{}`
	launchTool = "qualys_launch_scan"
	launchArgs = `{"title":"Q4","target_all":true}`
)

// TestFaultMatrix injects each upstream fault and checks what the assistant
// sees, how many times the request was sent, and that the next call on the
// same session works.
func TestFaultMatrix(t *testing.T) {
	tests := []struct {
		name         string
		tool, args   string
		timeout      time.Duration // per attempt; default faultTimeout
		faults       func(f *faultyUpstream) []fault
		wantError    bool
		wantAttempts int32
		wantText     []string
	}{
		{"read timeout", readTool, readArgs, 0, func(f *faultyUpstream) []fault { return []fault{f.hang()} },
			true, 1, []string{"did not answer qualys_list_scans in time", "Try again"}},
		{"launch timeout is sent once, outcome unknown", launchTool, launchArgs, 0, func(f *faultyUpstream) []fault { return []fault{f.hang()} },
			true, 1, []string{"in time", "may or may not have taken effect", "Do not simply repeat it", "qualys_list_scans"}},
		{"read reset after sending is retried", readTool, readArgs, 0, func(*faultyUpstream) []fault { return []fault{resetAfterRead} },
			false, 2, nil},
		{"launch reset after sending is not retried", launchTool, launchArgs, 0, func(*faultyUpstream) []fault { return []fault{resetAfterRead} },
			true, 1, []string{"Could not reach Qualys", "may or may not have taken effect"}},
		{"429 with Retry-After then success", readTool, readArgs, 0, func(*faultyUpstream) []fault {
			return []fault{respond(429, "application/json", `{"message":"slow down"}`, "Retry-After", "1")}
		}, false, 2, nil},
		{"launch 429 is retried: not processed", launchTool, launchArgs, 0, func(*faultyUpstream) []fault {
			return []fault{respond(429, "application/json", `{}`, "Retry-After", "0")}
		}, false, 2, nil},
		{"429 three times", readTool, readArgs, 0, func(*faultyUpstream) []fault {
			r := respond(429, "application/json", `{"message":"slow down"}`, "Retry-After", "0")
			return []fault{r, r, r}
		}, true, 3, []string{"limiting the request rate (HTTP 429)", "slow down"}},
		{"read 500 is not retried", readTool, readArgs, 0, func(*faultyUpstream) []fault {
			return []fault{respond(500, "application/json", `{"message":"database unavailable"}`)}
		}, true, 1, []string{"HTTP 500", "database unavailable", "Try again"}},
		{"launch 500 is not retried", launchTool, launchArgs, 0, func(*faultyUpstream) []fault {
			return []fault{respond(500, "text/plain", `Internal Server Error`)}
		}, true, 1, []string{"HTTP 500", "may or may not have taken effect", "qualys_list_scans"}},
		{"503 then success", readTool, readArgs, 0, func(*faultyUpstream) []fault {
			return []fault{respond(503, "text/plain", "maintenance")}
		}, false, 2, nil},
		{"launch 503 is not retried", launchTool, launchArgs, 0, func(*faultyUpstream) []fault {
			return []fault{respond(503, "text/plain", "maintenance")}
		}, true, 1, []string{"HTTP 503", "may or may not have taken effect"}},
		{"HTML 502 page, three times", readTool, readArgs, 0, func(*faultyUpstream) []fault {
			page := respond(502, "text/html", "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>")
			return []fault{page, page, page}
		}, true, 3, []string{"HTTP 502", "502 Bad Gateway"}},
		{"truncated JSON", readTool, readArgs, 0, func(*faultyUpstream) []fault {
			return []fault{respond(200, "application/json", `{"responseApiVersion":"V1","data":{"totalCount":3,"scanInfoList":[{"scan`)}
		}, true, 1, []string{"truncated or malformed JSON", "Try again"}},
		{"empty body", readTool, readArgs, 0, func(*faultyUpstream) []fault {
			return []fault{respond(200, "application/json", ``)}
		}, true, 1, []string{"empty body"}},
		{"XML error page", readTool, readArgs, 0, func(*faultyUpstream) []fault {
			return []fault{respond(200, "text/xml", `<?xml version="1.0"?><ERROR><TEXT>Service temporarily unavailable</TEXT></ERROR>`)}
		}, true, 1, []string{`HTTP 200 with an XML page instead of JSON: "Service temporarily unavailable"`}},
		{"HTML 502 page with style and script", readTool, readArgs, 0, func(*faultyUpstream) []fault {
			page := respond(502, "text/html", "<html><head><style>body{font-family:sans-serif}</style><script>alert('x')</script>"+
				"<title>502 Bad Gateway</title></head><body><style>body{font-family:sans-serif}</style><h1>Bad Gateway</h1></body></html>")
			return []fault{page, page, page}
		}, true, 3, []string{`Qualys answered HTTP 502 with an HTML page: "502 Bad Gateway" to qualys_list_scans`}},
		{"HTML 403 page without a title", readTool, readArgs, 0, func(*faultyUpstream) []fault {
			return []fault{respond(403, "text/html", "<html><body><script>var a=1;</script><h2>Access denied</h2><p>Reference 18.2c</p></body></html>")}
		}, true, 1, []string{`(Qualys answered HTTP 403 with an HTML page: "Access denied")`}},
		{"50 MB body", readTool, readArgs, time.Minute, func(*faultyUpstream) []fault { return []fault{huge(50 << 20)} },
			true, 1, []string{"too large", "16 MiB", "smaller limit"}},
		{"slow drip past the timeout", readTool, readArgs, 0, func(f *faultyUpstream) []fault { return []fault{f.drip()} },
			true, 1, []string{"did not answer qualys_list_scans in time"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFaultyUpstream(t)
			f.faults = tt.faults(f)
			timeout := tt.timeout
			if timeout == 0 {
				timeout = faultTimeout
			}
			env := faultEnvWithTimeout(t, f.srv.URL, timeout)

			res := env.call(t, tt.tool, tt.args)
			text := allText(res)
			assert.Equal(t, tt.wantError, res.IsError, text)
			for _, w := range tt.wantText {
				assert.Contains(t, text, w)
			}
			assert.Equal(t, tt.wantAttempts, f.attempts.Load(), "attempts that reached the upstream")
			assert.NotContains(t, text, testQualysPassword)
			for _, raw := range []string{"font-family", "alert(", "var a"} {
				assert.NotContains(t, text, raw, "a page's style and script never reach the person")
			}

			// The server keeps serving: the next call on the same session works.
			before := f.attempts.Load()
			res = env.call(t, readTool, readArgs)
			assert.False(t, res.IsError, allText(res))
			assert.Equal(t, before+1, f.attempts.Load())
		})
	}
}

// TestConnectionRefusedIsRetriedEvenForWrites: a refused connection proves
// the launch never reached Qualys, so it is safe to send again.
func TestConnectionRefusedIsRetriedEvenForWrites(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	env := faultEnv(t, "http://"+addr)
	res := env.call(t, launchTool, launchArgs)
	require.True(t, res.IsError)
	text := allText(res)
	assert.Contains(t, text, "Could not reach Qualys")
	assert.Contains(t, text, "connection refused")
	assert.NotContains(t, text, "may or may not", "a refused connection is a definite failure")
	assert.NotContains(t, text, testQualysPassword)
}

// TestResetBeforeReadingIsRetriedForReads: a server that accepts and resets
// the connection without reading the request.
func TestResetBeforeReadingIsRetriedForReads(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(healthy))
	ln := &resetFirstListener{Listener: srv.Listener}
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	env := faultEnv(t, srv.URL)
	res := env.call(t, readTool, readArgs)
	assert.False(t, res.IsError, allText(res))
	assert.Equal(t, int32(2), ln.accepted.Load(), "one reset connection, one good one")
}

// resetFirstListener resets the first connection it accepts, unread.
type resetFirstListener struct {
	net.Listener
	accepted atomic.Int32
}

func (l *resetFirstListener) Accept() (net.Conn, error) {
	for {
		conn, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.accepted.Add(1) == 1 {
			_ = conn.(*net.TCPConn).SetLinger(0)
			_ = conn.Close()
			continue
		}
		return conn, nil
	}
}

// TestRetryAfterIsHonoured waits at least as long as the upstream asked.
func TestRetryAfterIsHonoured(t *testing.T) {
	f := newFaultyUpstream(t, respond(429, "application/json", `{}`, "Retry-After", "1"))
	env := faultEnv(t, f.srv.URL)
	start := time.Now()
	res := env.call(t, readTool, readArgs)
	require.False(t, res.IsError, allText(res))
	assert.GreaterOrEqual(t, time.Since(start), time.Second)
	assert.Equal(t, int32(2), f.attempts.Load())
}

// TestCancellationReachesUpstream: when the client gives up on a call, the
// request to Qualys is cancelled too, not left running.
func TestCancellationReachesUpstream(t *testing.T) {
	started := make(chan struct{})
	cancelled := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		select {
		case <-r.Context().Done():
			close(cancelled)
		case <-time.After(time.Minute):
		}
	}))
	t.Cleanup(srv.Close)
	env := faultEnvWithTimeout(t, srv.URL, time.Minute)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *mcp.CallToolResult, 1)
	go func() {
		var req mcp.CallToolRequest
		req.Params.Name = readTool
		req.Params.Arguments = map[string]any{}
		res, err := env.client.CallTool(ctx, req)
		if err != nil {
			res = mcp.NewToolResultError(err.Error())
		}
		done <- res
	}()
	<-started
	cancel()
	select {
	case <-cancelled:
	case <-time.After(30 * time.Second):
		t.Fatal("the upstream request was not cancelled")
	}
	res := <-done
	assert.True(t, res.IsError, "a cancelled call does not report success")
}
