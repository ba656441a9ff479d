package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/mark3labs/mcp-go/server"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pci-mcp/pci-mcp/cmd/pci-mcp/internal/metrics"
)

// /metrics, in the Prometheus text format. On the MCP listener it needs
// what the MCP endpoints need (the bearer token or an OAuth access token);
// with PCI_MCP_METRICS_ADDR it is served there instead, without, for a
// scraper on an operations network.

const envMetricsAddr = "PCI_MCP_METRICS_ADDR"

// metricsServerOptions are the mcp-go options that feed the metrics: every
// tool call counted and timed, sessions counted.
func metricsServerOptions(m *metrics.Metrics) []server.ServerOption {
	hooks := &server.Hooks{}
	m.SessionHooks(hooks)
	return []server.ServerOption{server.WithHooks(hooks), server.WithToolHandlerMiddleware(m.ToolMiddleware)}
}

// registerPendingApprovals exports how many approvals wait for a person.
func (a *app) registerPendingApprovals() {
	if a.approvals == nil {
		return
	}
	a.metrics.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "pci_mcp_pending_approvals", Help: "Approvals waiting for a person's decision (in the shared store: the same on every replica).",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
		defer cancel()
		pending, err := a.approvals.Pending(ctx)
		if err != nil {
			return -1 // the store did not answer; pci_mcp_store_errors_total says more
		}
		return float64(len(pending))
	}))
}

// mountMetrics puts /metrics on the MCP listener, behind its
// authentication, unless PCI_MCP_METRICS_ADDR gives it a listener of its own.
func mountMetrics(a *app, mux *http.ServeMux) {
	if a.cfg.metricsAddr != "" {
		return
	}
	mux.Handle("GET /metrics", authenticate(a, a.metrics.Handler()))
}

// serveMetrics serves /metrics on PCI_MCP_METRICS_ADDR until the app closes.
func (a *app) serveMetrics() error {
	if a.cfg.metricsAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", a.cfg.metricsAddr)
	if err != nil {
		return usageError("%s %s: %v", envMetricsAddr, a.cfg.metricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.metrics.Handler())
	a.serveAside(ln, mux, "the metrics listener")
	a.log.Info("metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return nil
}

// serveAside serves h on a listener beside the MCP one (the approval page
// of stdio, the metrics) until the app closes, with the same timeouts.
func (a *app) serveAside(ln net.Listener, h http.Handler, what string) {
	srv := &http.Server{
		Handler: h, ReadHeaderTimeout: defaultHTTPTimeouts.readHeader, ReadTimeout: defaultHTTPTimeouts.read,
		WriteTimeout: defaultHTTPTimeouts.write, IdleTimeout: defaultHTTPTimeouts.idle, MaxHeaderBytes: maxHeaderBytes,
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error(what+" stopped", "err", err)
		}
	}()
	a.closers = append(a.closers, closerFunc(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(ctx)
	}))
}
