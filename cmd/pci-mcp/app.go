package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/mark3labs/mcp-go/server"

	"github.com/pci-mcp/pci-mcp/cmd/pci-mcp/internal/accounts"
	"github.com/pci-mcp/pci-mcp/cmd/pci-mcp/internal/metrics"
	"github.com/pci-mcp/pci-mcp/cmd/pci-mcp/internal/oauth"
	"github.com/pci-mcp/pci-mcp/providers/halo"
	"github.com/pci-mcp/pci-mcp/providers/qualys"
	"github.com/pci-mcp/pci-mcp/providers/upstream"
	"github.com/pci-mcp/pci-mcp/tools"
	"github.com/pci-mcp/pci-mcp/tools/guard"
	"github.com/pci-mcp/pci-mcp/tools/guard/approval"
)

// app is a configured pci-mcp: providers, logger and MCP server.
type app struct {
	cfg      *config
	log      *slog.Logger
	redactor *upstream.Redactor
	server   *server.MCPServer
	tools    []tools.Tool
	closers  []io.Closer
	// approvals serves the approval route; nil unless a policy is approval.
	approvals *approval.Service
	// store is the shared store (PCI_MCP_STORE_URL), or nil for memory.
	store guard.Store
	// oauth verifies access tokens in OAuth mode; nil otherwise.
	oauth *oauth.Verifier
	// metrics are what /metrics exports.
	metrics *metrics.Metrics
}

// newApp builds the providers the environment configures and the server.
// With no provider configured it is a configuration error that names the
// variables to set.
func newApp(cfg *config, stderr io.Writer) (_ *app, err error) {
	a := &app{cfg: cfg}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	var sb *sandbox
	if cfg.sandbox.enabled {
		if sb, err = startSandbox(cfg); err != nil {
			return nil, err
		}
		a.closers = append(a.closers, sb)
	}

	var secrets []string
	for _, acct := range cfg.accounts.All() {
		secrets = append(secrets, upstream.BasicAuthSecrets(acct.Username.Value, acct.Password.Value)...)
		secrets = append(secrets, acct.APIKey.Value)
	}
	secrets = append(secrets, cfg.stateKey, cfg.http.authToken, cfg.approval.webhook)
	secrets = append(secrets, storeSecrets(cfg.storeURL)...)
	redactor := upstream.NewRedactor(secrets...)
	log := newLogger(stderr, cfg.logFormat, cfg.logLevel, redactor)
	a.log, a.redactor = log, redactor

	// One redactor for the process: the provider clients add their
	// credentials to it and scrub every answer with it.
	a.metrics = metrics.New()
	settings := upstream.Settings{Timeout: cfg.upstream.timeout, Concurrency: cfg.upstream.concurrency, Logger: log, Redactor: redactor, Observer: a.metrics}
	userAgent := "pci-mcp/" + currentVersion()

	// Each account has its own client, and so its own limit of requests in
	// flight: one busy merchant does not hold up another.
	var served []tools.Account
	for _, acct := range cfg.accounts.All() {
		ta, err := newAccountClient(acct, userAgent, settings)
		if err != nil {
			return nil, err
		}
		served = append(served, ta)
	}
	if len(served) == 0 {
		return nil, usageError("no provider is configured: set %s and %s for Qualys PCI, or %s for Halo Security, or name several accounts in %s; or try pci-mcp with simulated accounts: --sandbox",
			envQualysUsername, envQualysPassword, envHaloAPIKey, envAccountsFile)
	}

	store, err := openStore(cfg, log)
	if err != nil {
		return nil, err
	}
	if store != nil {
		a.store = a.metrics.Store(store)
		a.closers = append(a.closers, store)
		announceStore(log, store, cfg.storeURL)
	}
	policies, err := cfg.confirmPolicies()
	if err != nil {
		return nil, err
	}
	tokensOnly := policies.For("") == tools.ConfirmToken && policies.For("halo_pci_attest") == tools.ConfirmToken
	guard, err := tools.NewGuard(tools.GuardOptions{Key: []byte(cfg.stateKey), TTL: cfg.confirmTTL, TokensOnly: tokensOnly, Store: a.store, OperatorAnswers: cfg.operatorAnswers})
	if err != nil {
		return nil, usageError("%s: %v", envStateKey, err)
	}
	// Pending approvals live in the guard's store: shared when there is one
	// (PCI_MCP_STORE_URL), so a person can approve on any replica.
	if a.approvals, err = newApprovals(cfg, policies, guard.Store(), log); err != nil {
		return nil, err
	}
	var auditFile io.Writer
	if cfg.auditLog != "" {
		f, err := tools.OpenAuditFile(cfg.auditLog)
		if err != nil {
			return nil, usageError("%s: %v", envAuditLog, err)
		}
		a.closers = append(a.closers, f)
		auditFile = f
	}

	serverOpts := metricsServerOptions(a.metrics)
	if cfg.oauth.enabled() {
		if a.oauth, err = cfg.newVerifier(); err != nil {
			return nil, usageError("%s: %v", envOAuthIssuer, err)
		}
		serverOpts = append(serverOpts, server.WithToolFilter(scopeFilter))
	}
	audit := tools.NewAudit(auditFile, log, redactor)
	audit.Observe(a.metrics.AuditEntry)
	srv, selected, err := tools.NewServer(tools.Options{
		ServerOptions: serverOpts,
		Version:       currentVersion(),
		Accounts:      served,
		Policy:        cfg.policy(),
		Audit:         audit,
		Guard:         guard,
		Confirm:       policies,
		Approvals:     a.approvals,
		Redactor:      redactor,
		Logger:        log,
	})
	if err != nil {
		return nil, usageError("%v", err)
	}
	if a.approvals != nil && cfg.transport == "stdio" {
		if err := a.serveApprovalPage(); err != nil {
			return nil, err
		}
	}
	a.server, a.tools = srv, selected
	a.registerPendingApprovals()
	// Announced once the whole configuration has been accepted: a start
	// that fails says only why, not that a sandbox was serving.
	if sb != nil {
		sb.announce(log, cfg)
	}
	return a, nil
}

// ready logs that pci-mcp serves: once the transport can take a client (for
// HTTP, once the listener is bound), never before.
func (a *app) ready(attrs ...any) {
	names := make([]string, len(a.tools))
	for i, t := range a.tools {
		names[i] = t.Name
	}
	attrs = append([]any{"version", currentVersion(), "tools", len(a.tools), "providers", strings.Join(a.providers(), ",")}, attrs...)
	a.log.Info("pci-mcp ready", attrs...)
	a.log.Debug("tools served", "names", strings.Join(names, ","))
}

// providers lists the configured providers by toolset name.
func (a *app) providers() []string {
	seen := map[tools.Toolset]bool{}
	var out []string
	for _, t := range a.tools {
		if !seen[t.Toolset] {
			seen[t.Toolset] = true
			out = append(out, string(t.Toolset))
		}
	}
	return out
}

func (a *app) Close() error {
	var errs []string
	for _, c := range a.closers {
		if err := c.Close(); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("closing: %s", strings.Join(errs, "; "))
	}
	return nil
}

// newAccountClient makes the provider client of one account.
func newAccountClient(acct accounts.Account, userAgent string, settings upstream.Settings) (tools.Account, error) {
	ta := tools.Account{Name: acct.Name, Default: acct.Default, Credentials: acct.CredentialSources()}
	var err error
	switch acct.Provider {
	case accounts.Qualys:
		ta.Qualys, err = qualys.New(qualys.Config{BaseURL: acct.URL.Value, Username: acct.Username.Value, Password: acct.Password.Value,
			UserAgent: userAgent, Settings: settings})
	case accounts.Halo:
		ta.Halo, err = halo.New(halo.Config{BaseURL: acct.URL.Value, APIKey: acct.APIKey.Value, UserAgent: userAgent, Settings: settings})
	}
	if err != nil {
		return ta, usageError("%s account %q: url: %v", acct.Provider, acct.Name, err)
	}
	return ta, nil
}
