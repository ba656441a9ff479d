package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mark3labs/mcp-go/mcp"
)

// callTracker knows which MCP requests are still being answered, so that a
// shutdown can let them finish before it ends the event streams.
//
// On Streamable HTTP a request is answered within its own POST, so it counts
// while the POST's handler runs. On HTTP+SSE a request is posted to /message,
// which answers 202 at once; the response travels later on the session's
// event stream, so the request counts until that response has been written
// there (or the stream has gone). Long-lived listens (GET streams,
// subscriptions/listen) are not calls and never count.
type callTracker struct {
	mu      sync.Mutex
	pending map[string]int
	changed chan struct{} // closed, and replaced, whenever a call ends
	seq     atomic.Uint64
}

func newCallTracker() *callTracker {
	return &callTracker{pending: map[string]int{}, changed: make(chan struct{})}
}

func (t *callTracker) begin(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending[key]++
}

func (t *callTracker) end(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending[key] == 0 {
		return
	}
	if t.pending[key]--; t.pending[key] == 0 {
		delete(t.pending, key)
	}
	t.signal()
}

// endAll ends every call whose key starts with prefix: an event stream has
// gone, so its calls can no longer be answered.
func (t *callTracker) endAll(prefix string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for key := range t.pending {
		if strings.HasPrefix(key, prefix) {
			delete(t.pending, key)
		}
	}
	t.signal()
}

func (t *callTracker) signal() {
	close(t.changed)
	t.changed = make(chan struct{})
}

// inFlight is the number of calls being answered.
func (t *callTracker) inFlight() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, c := range t.pending {
		n += c
	}
	return n
}

// wait returns once no call is in flight, or with ctx's error.
func (t *callTracker) wait(ctx context.Context) error {
	for {
		t.mu.Lock()
		idle, changed := len(t.pending) == 0, t.changed
		t.mu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// trackPosts counts each Streamable HTTP POST while its handler runs,
// except a subscriptions/listen stream, which lasts until the client or the
// shutdown ends it.
func (t *callTracker) trackPosts(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		if _, method := jsonrpcHead(requestBody(r)); method == string(mcp.MethodSubscriptionsListen) {
			next.ServeHTTP(w, r)
			return
		}
		key := "post\x00" + strconv.FormatUint(t.seq.Add(1), 10)
		t.begin(key)
		defer t.end(key)
		next.ServeHTTP(w, r)
	})
}

// sseCallKey names a request of an HTTP+SSE session.
func sseCallKey(session, id string) string { return "sse\x00" + session + "\x00" + id }

// trackMessages counts each request posted to /message until its response
// is written on the event stream (trackStream). mcp-go answers a post it
// does not accept with an error status at once; no response follows then.
func (t *callTracker) trackMessages(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, method := jsonrpcHead(requestBody(r))
		session := r.URL.Query().Get("sessionId")
		if r.Method != http.MethodPost || id == "" || method == "" || session == "" {
			next.ServeHTTP(w, r)
			return
		}
		key := sseCallKey(session, id)
		t.begin(key)
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status != http.StatusAccepted {
			t.end(key)
		}
	})
}

// statusRecorder records the status a handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// sseStreamKey carries a *sseStream from trackStream to
// sessionGate.newSSESessionID.
type sseStreamKey struct{}

// sseStream is one HTTP+SSE event stream; its session ID is filled in when
// mcp-go asks sessionGate.newSSESessionID for one.
type sseStream struct{ session string }

// trackStream watches an HTTP+SSE event stream: each response written on it
// ends its request; when the stream ends, whatever it still owed ends too.
func (t *callTracker) trackStream(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stream := &sseStream{}
		r = r.WithContext(context.WithValue(r.Context(), sseStreamKey{}, stream))
		next.ServeHTTP(&eventWriter{ResponseWriter: w, stream: stream, calls: t}, r)
		if stream.session != "" {
			t.endAll(sseCallKey(stream.session, ""))
		}
	})
}

// eventWriter sees each event mcp-go writes on an HTTP+SSE stream; mcp-go
// writes one whole event per Write, from the stream's own goroutine.
type eventWriter struct {
	http.ResponseWriter
	stream *sseStream
	calls  *callTracker
}

func (w *eventWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	if id, ok := responseID(p); ok && w.stream.session != "" {
		w.calls.end(sseCallKey(w.stream.session, id))
	}
	return n, err
}

func (w *eventWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *eventWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// responseID returns the id of the JSON-RPC response an SSE event carries,
// if it carries one (not a request, a notification or the endpoint event).
func responseID(event []byte) (string, bool) {
	for line := range bytes.Lines(event) {
		data, ok := bytes.CutPrefix(line, []byte("data:"))
		if !ok {
			continue
		}
		id, method := jsonrpcHead(data)
		return id, id != "" && method == ""
	}
	return "", false
}

// jsonrpcHead returns a JSON-RPC message's id (compact JSON, "" when absent
// or null) and method ("" for a response).
func jsonrpcHead(msg []byte) (id, method string) {
	var head struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	if json.Unmarshal(msg, &head) != nil {
		return "", ""
	}
	var compact bytes.Buffer
	if json.Compact(&compact, head.ID) != nil || compact.String() == "null" {
		return "", head.Method
	}
	return compact.String(), head.Method
}
