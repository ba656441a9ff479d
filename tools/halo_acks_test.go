package tools

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/providers/halo"
	"github.com/pci-mcp/pci-mcp/providers/halo/halosim"
	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// TestHaloEventsAgainstSandbox: events appear as the demo's scans finish,
// filters reach Halo as documented query parameters, and an unknown event
// reads as a sentence that says where ids come from.
func TestHaloEventsAgainstSandbox(t *testing.T) {
	env := newHaloEnv(t, haloEnvOptions{})
	var list struct {
		Events []halo.Event `json:"events"`
	}
	env.ok(t, "halo_list_events", `{"key":"target-scan-complete","target_id":5}`, &list)
	before := len(list.Events)
	env.clock.Advance(haloScanDelay)
	env.ok(t, "halo_list_events", `{"key":"target-scan-complete","target_id":5}`, &list)
	require.Len(t, list.Events, before+1, "the storefront's rescan finished")
	assert.Equal(t, "ev-sc48290-complete", string(list.Events[0].EventID))
	assert.Equal(t, "Scan Complete", string(list.Events[0].Subject))
	assert.Equal(t, "shop.example.com", string(list.Events[0].Target.Host))

	env.ok(t, "halo_list_events", `{"subject":"PCI Report Expires Soon","limit":5}`, &list)
	require.Len(t, list.Events, 1)
	assert.Equal(t, "pci-report-expire-soon", string(list.Events[0].Key))

	var ev halo.Event
	env.ok(t, "halo_get_event", `{"event_id":"ev-sc48290-complete"}`, &ev)
	assert.Equal(t, "target-scan-complete", string(ev.Key))
	text := env.failed(t, "halo_get_event", `{"event_id":"ev-nope"}`)
	assert.Contains(t, text, "event ev-nope not found")
	assert.Contains(t, text, "halo_list_events")

	assert.Equal(t, []string{
		"GET event/list.json?key=target-scan-complete&limit=100&target_id=5",
		"GET event/list.json?key=target-scan-complete&limit=100&target_id=5",
		"GET event/list.json?limit=5&subject=PCI+Report+Expires+Soon",
		"GET event/get.json?event_id=ev-sc48290-complete",
		"GET event/get.json?event_id=ev-nope",
	}, env.upstreamCalls())
}

// TestHaloAcknowledgeThroughTheGuard: the first call sends nothing and
// shows a preview naming host, type and comment; the confirmed call sends
// exactly what was previewed, once; Halo's refusals read as sentences; the
// acknowledgement clears the storefront's PCI blocker until it is removed.
func TestHaloAcknowledgeThroughTheGuard(t *testing.T) {
	env := newHaloEnv(t, haloEnvOptions{})
	args := `{"host":"shop.example.com","type":"global","comment":"TLS 1.0 answers only on the load balancer's health port"}`

	first := env.call(t, "halo_acknowledge_host", args)
	require.False(t, first.IsError, allText(first))
	out := structured(t, first)
	assert.Equal(t, "confirmation_required", out["status"])
	preview := allText(first)
	for _, want := range []string{"host: shop.example.com", "type: global", "comment: TLS 1.0 answers only on the load balancer's health port", "stop counting against PCI"} {
		assert.Contains(t, preview, want)
	}
	assert.Empty(t, env.upstreamCalls(), "nothing is sent before the yes")

	token := out["confirmation_token"].(string)
	done := env.call(t, "halo_acknowledge_host", strings.TrimSuffix(args, "}")+`,"confirmation_token":"`+token+`"}`)
	require.False(t, done.IsError, allText(done))
	assert.Equal(t, "done", structured(t, done)["status"])
	assert.Equal(t, []string{"GET ack/host-add.json?comment=TLS+1.0+answers+only+on+the+load+balancer%27s+health+port&host=shop.example.com&type=global"},
		env.upstreamCalls())

	var acks halo.HostAckList
	env.ok(t, "halo_list_acknowledged_hosts", `{}`, &acks)
	require.Len(t, acks.Hosts, 1)
	assert.Equal(t, "global", string(acks.Hosts[0].Type))
	assert.Equal(t, "Dana Whitfield", string(acks.Hosts[0].CreatedBy))

	var start haloStartResult
	env.ok(t, "halo_pci_start_attestation", "", &start)
	assert.Empty(t, start.TargetsHaveVulns, "the acknowledged host no longer blocks")

	// A second acknowledgement of the same host and type.
	again := env.call(t, "halo_acknowledge_host", args)
	token = structured(t, again)["confirmation_token"].(string)
	text := env.failed(t, "halo_acknowledge_host", strings.TrimSuffix(args, "}")+`,"confirmation_token":"`+token+`"}`)
	assert.Contains(t, text, "global findings on shop.example.com are already acknowledged, so nothing changed")

	env.ok(t, "halo_remove_host_acknowledgement", `{"host":"shop.example.com","type":"global"}`, &struct{}{})
	text = env.failed(t, "halo_remove_host_acknowledgement", `{"host":"shop.example.com","type":"global"}`)
	assert.Contains(t, text, "shop.example.com has no acknowledgement of type global, so nothing changed")
	env.ok(t, "halo_pci_start_attestation", "", &start)
	assert.NotEmpty(t, start.TargetsHaveVulns, "removing the acknowledgement makes the finding count again")

	calls := env.upstreamCalls()
	assert.Contains(t, calls, "GET ack/host-delete.json?host=shop.example.com&type=global")
	n := 0
	for _, c := range calls {
		if strings.HasPrefix(c, "GET ack/host-add.json") {
			n++
		}
	}
	assert.Equal(t, 2, n, "one request per confirmed call")
}

// TestHaloAckArguments: bad arguments are refused naming the field, and
// nothing is sent.
func TestHaloAckArguments(t *testing.T) {
	env := newHaloEnv(t, haloEnvOptions{})
	for _, c := range []struct{ tool, args, want string }{
		{"halo_acknowledge_host", `{"host":"shop.example.com","type":"everything"}`, "type"},
		{"halo_acknowledge_host", `{"type":"global"}`, "host"},
		{"halo_acknowledge_host", `{"host":"  ","type":"global"}`, "host: must not be blank"},
		{"halo_remove_host_acknowledgement", `{"host":"shop.example.com"}`, "type"},
		{"halo_get_event", `{"event_id":"a b"}`, "event_id"},
		{"halo_list_events", `{"target_id":0}`, "target_id"},
	} {
		text := env.failed(t, c.tool, c.args)
		assert.Contains(t, text, c.want, c.args)
	}
	assert.Empty(t, env.upstreamCalls())
}

// TestHaloAckWritesAreNeverRetried: Halo's acknowledgement calls are GETs,
// and a 503 after one may have arrived is not sent again, even with retries
// allowed; the result says the outcome is unknown and how to check.
func TestHaloAckWritesAreNeverRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"code":503,"message":"busy"}`))
	}))
	t.Cleanup(srv.Close)
	hc, err := halo.New(halo.Config{BaseURL: srv.URL + "/api/v1", APIKey: haloTestAPIKey,
		Settings: upstream.Settings{MaxAttempts: 3, Backoff: func(int) time.Duration { return 0 }}})
	require.NoError(t, err)
	c := connect(t, haloServer(t, hc))

	res := callTool(t, c, "halo_remove_host_acknowledgement", `{"host":"shop.example.com","type":"cert"}`)
	require.True(t, res.IsError)
	assert.Contains(t, resultText(t, res), "may or may not have taken effect")
	assert.Contains(t, resultText(t, res), "halo_list_acknowledged_hosts")
	assert.Equal(t, int32(1), calls.Load(), "a write is sent once")

	// The guarded acknowledgement: nothing before the yes, once after it.
	args := `{"host":"shop.example.com","type":"cert"}`
	first := callTool(t, c, "halo_acknowledge_host", args)
	require.False(t, first.IsError, allText(first))
	assert.Equal(t, int32(1), calls.Load(), "nothing is sent before the yes")
	token := structured(t, first)["confirmation_token"].(string)
	res = callTool(t, c, "halo_acknowledge_host", `{"host":"shop.example.com","type":"cert","confirmation_token":"`+token+`"}`)
	require.True(t, res.IsError)
	assert.Contains(t, resultText(t, res), "may or may not have taken effect")
	assert.Equal(t, int32(2), calls.Load(), "the confirmed acknowledgement is sent once, not retried")

	// The read beside them is retried.
	res = callTool(t, c, "halo_list_acknowledged_hosts", `{}`)
	require.True(t, res.IsError)
	assert.Equal(t, int32(5), calls.Load(), "a read is sent up to three times")
}

// TestReportReviewEvents: a report attested in the sandbox is draft, then
// pending, then approved (every note secure) or rejected (a note not
// secure), and Halo's event for the decision appears then, not before.
func TestReportReviewEvents(t *testing.T) {
	for _, c := range []struct {
		name     string
		secure   bool
		decision string
		key      string
	}{{"approved", true, "approved", "pci-report-approve"}, {"rejected", false, "rejected", "pci-report-reject"}} {
		t.Run(c.name, func(t *testing.T) {
			env := newHaloEnv(t, haloEnvOptions{})
			env.clock.Advance(haloScanDelay)
			var start haloStartResult
			env.ok(t, "halo_pci_start_attestation", "", &start)
			in := completeAttest()
			in.AttestationID = start.AttestationID
			in.Notes[1].Secure = c.secure
			args := mustJSON(t, in)
			first := env.call(t, "halo_pci_attest", args)
			token := structured(t, first)["confirmation_token"].(string)
			done := env.call(t, "halo_pci_attest", args[:len(args)-1]+`,"confirmation_token":"`+token+`"}`)
			require.False(t, done.IsError, allText(done))

			status := func() string {
				var r halo.ReportDetail
				env.ok(t, "halo_pci_get_report", `{"pci_report_id":127346}`, &r)
				return string(r.Status)
			}
			events := func() int {
				var list halo.EventList
				env.ok(t, "halo_list_events", `{"key":"`+c.key+`"}`, &list)
				n := 0
				for _, e := range list.Events {
					if strings.HasPrefix(string(e.EventID), "ev-127346-") {
						n++
					}
				}
				return n
			}
			assert.Equal(t, "draft", status())
			assert.Zero(t, events())
			env.clock.Advance(halosim.DefaultScanFinishesAfter / 2)
			assert.Equal(t, "pending", status())
			env.clock.Advance(halosim.DefaultScanFinishesAfter / 2)
			assert.Equal(t, c.decision, status())
			assert.Equal(t, 1, events())
		})
	}
}
