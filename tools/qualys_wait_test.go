package tools

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/providers/qualys/qualyssim"
)

// Sleep moves the hand-moved clock by d at once and records the wait, so
// qualys_wait_for_scan's backoff runs without real sleeping.
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.slept = append(c.slept, d)
	c.mu.Unlock()
	c.Advance(d)
	return nil
}

// waits returns the sleeps so far.
func (c *fakeClock) waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

func withPollClock(c pollClock) envOption { return func(o *Options) { o.pollClock = c } }

// progressLog collects the progress notifications a client receives.
type progressLog struct {
	mu   sync.Mutex
	got  []map[string]any
	seen chan struct{}
}

func watchProgress(c *client.Client) *progressLog {
	p := &progressLog{seen: make(chan struct{}, 100)}
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method != string(mcp.MethodNotificationProgress) {
			return
		}
		// As a client over a wire would see them: JSON numbers and strings.
		var fields map[string]any
		data, _ := json.Marshal(n.Params.AdditionalFields)
		_ = json.Unmarshal(data, &fields)
		p.mu.Lock()
		p.got = append(p.got, fields)
		p.mu.Unlock()
		p.seen <- struct{}{}
	})
	return p
}

// await waits until n notifications in all have arrived (they travel apart
// from the result) and returns them.
func (p *progressLog) await(t *testing.T, n int) []map[string]any {
	t.Helper()
	for {
		p.mu.Lock()
		have := len(p.got)
		p.mu.Unlock()
		if have >= n {
			break
		}
		select {
		case <-p.seen:
		case <-time.After(30 * time.Second):
			t.Fatalf("only %d of %d progress notifications arrived", have, n)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]map[string]any(nil), p.got...)
}

func callWithProgress(t *testing.T, c *client.Client, token any, name, args string) *mcp.CallToolResult {
	t.Helper()
	var req mcp.CallToolRequest
	req.Params.Name = name
	req.Params.Arguments = json.RawMessage(args)
	if token != nil {
		req.Params.Meta = &mcp.Meta{ProgressToken: token}
	}
	res, err := c.CallTool(context.Background(), req)
	require.NoError(t, err)
	return res
}

// TestWaitForScanAgainstSandbox launches a sandbox scan and waits for it
// with a progressToken: progress counts the reads and carries each status,
// the backoff grows from 2 s, and the result is the finished scan with its
// verdict. A second wait without a token sends no progress at all.
func TestWaitForScanAgainstSandbox(t *testing.T) {
	clock := newFakeClock()
	sim, err := qualyssim.Start(qualyssim.Options{Now: clock.Now, QueuedFor: 3 * time.Second, RunningFor: 20 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	env := newTestEnv(t, withQualysSim(t, sim), withPollClock(clock))
	progress := watchProgress(env.client)

	res := env.call(t, "qualys_launch_scan", `{"title":"Q4","target_ips":["203.0.113.11"]}`)
	require.False(t, res.IsError, resultText(t, res))
	sim.ClearRequests()

	res = callWithProgress(t, env.client, "wait-1", "qualys_wait_for_scan", `{"scan_id":10988}`)
	require.False(t, res.IsError, resultText(t, res))
	out := structured(t, res)
	assert.Equal(t, true, out["finished"])
	assert.Equal(t, "Finished", out["scanStatus"])
	assert.Equal(t, "Fail", out["compliance"], "203.0.113.11 carries Sweet32 in the sandbox")
	assert.NotContains(t, out, "note")
	// Reads at 0, 2, 5, 9.5, 16.25 and 26.375 s: queued until 3 s, running until 23 s.
	assert.Equal(t, float64(6), out["polls"])
	assert.Equal(t, []time.Duration{2 * time.Second, 3 * time.Second, 4500 * time.Millisecond, 6750 * time.Millisecond, 10125 * time.Millisecond}, clock.waits())

	got := progress.await(t, 6)
	var statuses []any
	for i, n := range got {
		assert.Equal(t, "wait-1", n["progressToken"])
		assert.Equal(t, float64(i+1), n["progress"])
		statuses = append(statuses, n["message"])
	}
	assert.Equal(t, []any{"Launch Requested", "Launch Requested", "Running", "Running", "Running", "Finished"}, statuses)

	requests := sim.Requests()
	require.Len(t, requests, 6)
	for _, r := range requests {
		assert.Equal(t, http.MethodGet, r.Method)
		assert.Equal(t, "/pci/scan/10988/details", r.Path)
		assert.Empty(t, r.RawQuery)
	}

	// Without a token: no progress. A later call with a token proves the
	// notification stream has been drained up to that point.
	res = callWithProgress(t, env.client, nil, "qualys_wait_for_scan", `{"scan_id":10988}`)
	require.False(t, res.IsError, resultText(t, res))
	res = callWithProgress(t, env.client, 7, "qualys_wait_for_scan", `{"scan_id":10987}`)
	require.False(t, res.IsError, resultText(t, res))
	got = progress.await(t, 7)
	require.Len(t, got, 7)
	assert.Equal(t, float64(7), got[6]["progressToken"])
	assert.Equal(t, "Finished", got[6]["message"])
}

// runningScan is a scan Qualys still runs, with the early verdict Qualys
// already reports for it.
const runningScan = `{"responseApiVersion":"V1","data":{"title":"Q4","scanStatus":"Running","compliance":"Fail","target":"203.0.113.5","activeHosts":0}}`

// TestWaitForScanTimeOut waits on a scan that never finishes: the result is
// not an error, has finished false and no verdict, and says to call again;
// the last read happens when the time is up.
func TestWaitForScanTimeOut(t *testing.T) {
	clock := newFakeClock()
	env := newTestEnv(t, withPollClock(clock))
	env.qualys.on("GET /pci/scan/77/details", http.StatusOK, runningScan)

	res := env.call(t, "qualys_wait_for_scan", `{"scan_id":77,"timeout_seconds":5}`)
	require.False(t, res.IsError, resultText(t, res))
	out := structured(t, res)
	assert.Equal(t, false, out["finished"])
	assert.Equal(t, "Running", out["scanStatus"])
	assert.NotContains(t, out, "compliance", "no verdict before a final status")
	assert.Equal(t, float64(3), out["polls"])
	assert.Equal(t, "Scan 77 is still Running after 5s (3 reads). Call qualys_wait_for_scan again with scan_id 77 to keep waiting.", out["note"])
	assert.Equal(t, []time.Duration{2 * time.Second, 3 * time.Second}, clock.waits())
	for _, r := range env.qualys.requests() {
		assert.Equal(t, "GET /pci/scan/77/details ", r.Method+" "+r.Path+" "+r.RawQuery)
	}
	assert.Len(t, env.qualys.requests(), 3)
}

// TestNoVerdictBeforeFinalStatus: get and list show a verdict and
// finished: true only for final statuses.
func TestNoVerdictBeforeFinalStatus(t *testing.T) {
	env := newTestEnv(t)
	for _, c := range []struct {
		status   string
		finished bool
	}{{"Launch Requested", false}, {"Running", false}, {"Paused", false}, {"Finished", true}, {"Failed", true}, {"Canceled", true}, {"Error", true}} {
		env.qualys.on("GET /pci/scan/5/details", http.StatusOK, `{"data":{"title":"x","scanStatus":"`+c.status+`","compliance":"Fail"}}`)
		out := structured(t, env.call(t, "qualys_get_scan", `{"scan_id":5}`))
		assert.Equal(t, c.finished, out["finished"], c.status)
		if c.finished {
			assert.Equal(t, "Fail", out["compliance"], c.status)
		} else {
			assert.NotContains(t, out, "compliance", c.status)
		}
	}
	env.qualys.on("GET /pci/scan/list", http.StatusOK,
		`{"data":{"totalCount":2,"scanInfoList":[{"scanId":2,"title":"b","status":"Running"},{"scanId":1,"title":"a","status":"Finished"}]}}`)
	out := structured(t, env.call(t, "qualys_list_scans", `{}`))
	list := out["scanInfoList"].([]any)
	assert.Equal(t, false, list[0].(map[string]any)["finished"])
	assert.Equal(t, true, list[1].(map[string]any)["finished"])
}

// blockingClock never ends a wait by itself: only cancellation does. It
// tells the test when a wait has begun.
type blockingClock struct {
	sleeping chan struct{}
}

func (blockingClock) Now() time.Time { return time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC) }

func (c blockingClock) Sleep(ctx context.Context, _ time.Duration) error {
	c.sleeping <- struct{}{}
	<-ctx.Done()
	return ctx.Err()
}

// newCancelEnv serves a scan that keeps running, on a clock whose waits end
// only by cancellation; ended is closed when the one call has returned.
func newCancelEnv(t *testing.T) (env *testEnv, clock blockingClock, ended chan struct{}) {
	clock = blockingClock{sleeping: make(chan struct{}, 1)}
	ended = make(chan struct{})
	hooks := &server.Hooks{}
	hooks.AddAfterCallTool(func(context.Context, any, *mcp.CallToolRequest, any) { close(ended) })
	env = newTestEnv(t, withPollClock(clock), func(o *Options) {
		o.ServerOptions = append(o.ServerOptions, server.WithHooks(hooks))
	})
	env.qualys.on("GET /pci/scan/77/details", http.StatusOK, runningScan)
	return env, clock, ended
}

// TestWaitForScanCancelled sends notifications/cancelled while the call
// waits between reads: the call ends and no read follows the cancellation.
func TestWaitForScanCancelled(t *testing.T) {
	env, clock, ended := newCancelEnv(t)

	// The server straight from JSON-RPC, as a stdio client drives it: the
	// call, then the cancellation that names its id.
	go env.server.HandleMessage(context.Background(), toolsCallMessage(41, "qualys_wait_for_scan", json.RawMessage(`{"scan_id":77,"timeout_seconds":3600}`)))
	<-clock.sleeping
	require.Len(t, env.qualys.requests(), 1)
	env.server.HandleMessage(context.Background(), json.RawMessage(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":41,"reason":"user"}}`))
	select {
	case <-ended:
	case <-time.After(30 * time.Second):
		t.Fatal("the cancelled call did not end")
	}
	assert.Len(t, env.qualys.requests(), 1, "no upstream request after the cancellation")
}

// TestWaitForScanClientCancels: a real client that gives up (its context
// ends) stops the polling too.
func TestWaitForScanClientCancels(t *testing.T) {
	env, clock, ended := newCancelEnv(t)

	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-clock.sleeping; cancel() }()
	var req mcp.CallToolRequest
	req.Params.Name = "qualys_wait_for_scan"
	req.Params.Arguments = json.RawMessage(`{"scan_id":77}`)
	// In process the call's context is the handler's, so the cancelled
	// call may still come back, as an error result that says so.
	res, err := env.client.CallTool(ctx, req)
	if err == nil {
		require.True(t, res.IsError)
		assert.Contains(t, resultText(t, res), "cancelled")
	}
	<-ended
	assert.Len(t, env.qualys.requests(), 1, "no upstream request after the cancellation")
}

// TestWaitForScanArguments: bounds are refused naming the field, before
// anything is sent.
func TestWaitForScanArguments(t *testing.T) {
	env := newTestEnv(t, withPollClock(newFakeClock()))
	for args, want := range map[string]string{
		`{"scan_id":1,"timeout_seconds":0}`:    "timeout_seconds",
		`{"scan_id":1,"timeout_seconds":3601}`: "timeout_seconds",
		`{"timeout_seconds":10}`:               "scan_id",
	} {
		res := env.call(t, "qualys_wait_for_scan", args)
		require.True(t, res.IsError, args)
		assert.Contains(t, resultText(t, res), want)
	}
	assert.Empty(t, env.qualys.requests())
}
