// Package metrics is what pci-mcp exports for Prometheus: tool calls,
// upstream requests, confirmations, approvals, sessions and store errors.
// It hooks into the rest through small interfaces (upstream.Observer, the
// audit trail's observer, an mcp-go tool middleware, a guard.Store
// wrapper), so no provider or tool knows Prometheus.
package metrics

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pci-mcp/pci-mcp/tools"
)

// Metrics holds the collectors of one process, in a registry of its own
// (tests build many; the global registry would clash).
type Metrics struct {
	reg *prometheus.Registry
	// runtimeCollectors registers the Go runtime's and the process's own
	// collectors when the metrics are first served: building them costs
	// every start-up, and on stdio with no metrics address nobody reads them.
	runtimeCollectors sync.Once

	toolCalls        *prometheus.CounterVec
	toolDuration     *prometheus.HistogramVec
	upstreamRequests *prometheus.CounterVec
	upstreamLatency  *prometheus.HistogramVec
	upstreamRetries  *prometheus.CounterVec
	confirmations    *prometheus.CounterVec
	liveSessions     prometheus.Gauge
	storeErrors      *prometheus.CounterVec
}

// New registers pci-mcp's collectors; Handler adds the Go runtime's and
// the process's own.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.toolCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pci_mcp_tool_calls_total", Help: "Tool calls by tool and outcome (ok, error, or the guarded status: done, confirmation_required, approval_required, ...).",
	}, []string{"tool", "outcome"})
	m.toolDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "pci_mcp_tool_call_duration_seconds", Help: "Duration of tool calls, including upstream requests and waits for a person.",
		Buckets: []float64{.005, .025, .1, .25, 1, 2.5, 10, 30, 120, 600},
	}, []string{"tool"})
	m.upstreamRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pci_mcp_upstream_requests_total", Help: "Requests (each attempt) to Qualys or Halo by provider, operation and HTTP status (0: no answer).",
	}, []string{"provider", "operation", "status"})
	m.upstreamLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "pci_mcp_upstream_request_duration_seconds", Help: "Latency of each attempt to Qualys or Halo.",
		Buckets: prometheus.DefBuckets,
	}, []string{"provider", "operation"})
	m.upstreamRetries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pci_mcp_upstream_retries_total", Help: "Attempts to Qualys or Halo followed by a retry.",
	}, []string{"provider", "operation"})
	m.confirmations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pci_mcp_confirmations_total", Help: "Mutating calls by confirmation route (none, elicitation, token, approval, operator) and audited outcome.",
	}, []string{"route", "outcome"})
	m.liveSessions = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "pci_mcp_live_sessions", Help: "MCP sessions this replica holds (2025-11-25 Streamable HTTP and SSE).",
	})
	m.storeErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pci_mcp_store_errors_total", Help: "Operations on the guard's store that failed (the guard then refuses).",
	}, []string{"operation"})
	m.reg.MustRegister(m.toolCalls, m.toolDuration, m.upstreamRequests, m.upstreamLatency, m.upstreamRetries,
		m.confirmations, m.liveSessions, m.storeErrors)
	return m
}

// Handler serves the Prometheus text format: pci-mcp's collectors and the
// Go runtime's and process's own.
func (m *Metrics) Handler() http.Handler {
	m.runtimeCollectors.Do(func() {
		m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	})
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Register adds a collector of another part (e.g. PendingApprovals).
func (m *Metrics) Register(c prometheus.Collector) { m.reg.MustRegister(c) }

// UpstreamAttempt implements upstream.Observer.
func (m *Metrics) UpstreamAttempt(provider, operation string, status int, took time.Duration, retry bool) {
	m.upstreamRequests.WithLabelValues(provider, operation, statusLabel(status)).Inc()
	m.upstreamLatency.WithLabelValues(provider, operation).Observe(took.Seconds())
	if retry {
		m.upstreamRetries.WithLabelValues(provider, operation).Inc()
	}
}

func statusLabel(status int) string {
	if status <= 0 {
		return "0"
	}
	return strconv.Itoa(status)
}

// AuditEntry counts a confirmation by route and outcome (tools.Audit's
// observer).
func (m *Metrics) AuditEntry(e tools.AuditEntry) {
	m.confirmations.WithLabelValues(e.Confirmation, e.Outcome).Inc()
}

// ToolMiddleware counts and times every tool call (an mcp-go middleware).
func (m *Metrics) ToolMiddleware(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		start := time.Now()
		res, err := next(ctx, req)
		m.toolDuration.WithLabelValues(req.Params.Name).Observe(time.Since(start).Seconds())
		m.toolCalls.WithLabelValues(req.Params.Name, outcomeOf(res, err)).Inc()
		return res, err
	}
}

// guardedStatuses are the statuses of a guarded tool's result; other
// tools' "status" fields (a scan's, say) are not outcomes.
var guardedStatuses = map[string]bool{
	"done": true, "confirmation_required": true, "cancelled": true,
	"approval_required": true, "approval_pending": true, "denied": true,
}

// outcomeOf is a call's outcome: error, a guarded tool's status, or ok.
func outcomeOf(res *mcp.CallToolResult, err error) string {
	switch {
	case err != nil, res == nil:
		return "error"
	case res.IsError:
		return "error"
	}
	if res.StructuredContent != nil {
		data, _ := json.Marshal(res.StructuredContent)
		var out struct {
			Status string `json:"status"`
		}
		if json.Unmarshal(data, &out) == nil && guardedStatuses[out.Status] {
			return out.Status
		}
	}
	return "ok"
}

// SessionHooks keep the live-session gauge.
func (m *Metrics) SessionHooks(h *server.Hooks) {
	h.AddOnRegisterSession(func(context.Context, server.ClientSession) { m.liveSessions.Inc() })
	h.AddOnUnregisterSession(func(context.Context, server.ClientSession) { m.liveSessions.Dec() })
}
