package main

import (
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/pci-mcp/pci-mcp/cmd/pci-mcp/internal/accounts"
	"github.com/pci-mcp/pci-mcp/providers/halo"
	"github.com/pci-mcp/pci-mcp/providers/qualys"
	"github.com/pci-mcp/pci-mcp/tools"
)

// config is everything pci-mcp reads from flags and the environment. A flag
// given on the command line wins over its environment variable, which wins
// over the default.
type config struct {
	transport    string
	addr         string
	logLevel     slog.Level
	logFormat    string
	readOnly     bool
	toolsets     listValue
	tools        listValue
	excludeTools listValue
	upstream     upstreamSettings
	confirmTTL   time.Duration
	confirm      string
	http         httpSettings
	approval     approvalSettings
	sandbox      sandboxSettings

	// only is --accounts: serve only the accounts of these names.
	only listValue
	// accounts are the provider accounts served, with their secrets:
	// PCI_MCP_ACCOUNTS_FILE's, the single-account variables', or the
	// sandbox's. Environment only, so no secret shows in a process listing.
	accounts     *accounts.Set
	accountsFile string
	stateKey     string
	auditLog     string
	// operatorAnswers is set by `pci-mcp call` for the server it builds in
	// process: its only client is the operator's terminal.
	operatorAnswers bool
	storeURL        string
	oauth           oauthSettings
	metricsAddr     string
}

// upstreamSettings tune the HTTP layer shared by both providers.
type upstreamSettings struct {
	timeout     time.Duration
	concurrency int
}

// Environment variables read directly (not through a flag).
const (
	envQualysUsername = accounts.EnvQualysUsername
	envQualysPassword = accounts.EnvQualysPassword
	envQualysURL      = accounts.EnvQualysURL
	envStateKey       = "PCI_MCP_STATE_KEY"
	envAuditLog       = "PCI_MCP_AUDIT_LOG"
	envHaloAPIKey     = accounts.EnvHaloAPIKey
	envHaloURL        = accounts.EnvHaloURL
	envAccountsFile   = "PCI_MCP_ACCOUNTS_FILE"
	envAuthToken      = "PCI_MCP_AUTH_TOKEN"
	envAddr           = "PCI_MCP_ADDR" // sets --addr; named in listen errors
)

// envOnly documents the environment variables that have no flag.
var envOnly = []struct{ name, usage string }{
	{envQualysUsername, "Qualys PCI merchant account user name (HTTP Basic)"},
	{envQualysPassword, "Qualys PCI merchant account password"},
	{envQualysURL, "Qualys PCI API base URL (default " + qualys.DefaultBaseURL + ")"},
	{envStateKey, "key (32+ bytes) signing HTTP session ids and confirmation tokens, shared by replicas (default: random per process)"},
	{envAuditLog, "file the audit trail of mutating calls is appended to (default: info-level log lines)"},
	{envHaloAPIKey, "Halo Security API key (sent as x-apikey)"},
	{envHaloURL, "Halo Security API base URL (default " + halo.DefaultBaseURL + ")"},
	{envAccountsFile, "JSON file of named accounts (merchants) of either provider, secrets by reference only (README: Many merchants)"},
	{envAuthToken, "bearer token (32+ bytes) every HTTP request to the MCP endpoints must carry; required to listen beyond loopback"},
	{envOAuthIssuer, "OAuth 2.1 resource-server mode: the identity provider's issuer URL (with " + envOAuthAudience + ")"},
	{envOAuthAudience, "this server's resource identifier: access tokens must name it in aud"},
	{envOAuthSubjectClaim, "claim naming the person in access tokens (default sub)"},
	{envOAuthScopeClaim, "claim holding the scopes pci:read, pci:write, pci:destructive (default scope; e.g. scp)"},
	{envApproversFile, "approvers file of --confirm approval (default $XDG_CONFIG_HOME/pci-mcp/approvers.json, else ~/.config/pci-mcp/approvers.json)"},
	{envApprovalAddr, "with stdio, the approval page's own loopback listener (default 127.0.0.1:0: a free port, printed in the log)"},
	{envApprovalURL, "external base URL of approval links, when a reverse proxy is in front"},
	{envApprovalWebhook, "URL (a secret) each new pending approval is posted to, for a chat channel"},
	{envFourEyes, "true: an approval given by the identity that asked for the call is refused (approvers enrolled with --subject; needs OAuth)"},
	{envMetricsAddr, "serve /metrics (Prometheus) on this address of its own, without authentication (default: on the MCP listener, behind its token)"},
	{envStoreURL, "redis:// or rediss:// URL of the store replicas share for single-use confirmations (default: this process's memory)"},
}

// serveFlags registers the serving flags, each with its environment
// variable: the root's persistent flags, so serving and every subcommand
// that builds a server (call) accept them in any position.
func (c *config) serveFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.transport, "transport", "stdio", "MCP transport: stdio, sse or http")
	bindEnv(fs, "transport", "PCI_MCP_TRANSPORT")
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen address (host:port) for the sse and http transports")
	bindEnv(fs, "addr", envAddr)
	c.logLevel = slog.LevelInfo
	fs.Var((*levelValue)(&c.logLevel), "log-level", "debug, info, warn or error")
	bindEnv(fs, "log-level", "PCI_MCP_LOG_LEVEL")
	fs.StringVar(&c.logFormat, "log-format", "text", "log format on stderr: text or json")
	bindEnv(fs, "log-format", "PCI_MCP_LOG_FORMAT")
	fs.BoolVar(&c.readOnly, "read-only", false, "serve only read-only tools")
	bindEnv(fs, "read-only", "PCI_MCP_READ_ONLY")
	fs.Var(&c.toolsets, "toolsets", "comma-separated toolsets to serve: qualys, halo (default: every configured provider)")
	bindEnv(fs, "toolsets", "PCI_MCP_TOOLSETS")
	fs.Var(&c.tools, "tools", "comma-separated tool names to serve (default: all)")
	bindEnv(fs, "tools", "PCI_MCP_TOOLS")
	fs.Var(&c.excludeTools, "exclude-tools", "comma-separated tool names not to serve")
	bindEnv(fs, "exclude-tools", "PCI_MCP_EXCLUDE_TOOLS")
	fs.DurationVar(&c.upstream.timeout, "upstream-timeout", 30*time.Second, "timeout of each request to Qualys or Halo")
	bindEnv(fs, "upstream-timeout", "PCI_MCP_UPSTREAM_TIMEOUT")
	fs.IntVar(&c.upstream.concurrency, "upstream-concurrency", 4, "requests in flight to each provider at most")
	bindEnv(fs, "upstream-concurrency", "PCI_MCP_UPSTREAM_CONCURRENCY")
	fs.DurationVar(&c.confirmTTL, "confirm-ttl", tools.DefaultConfirmTTL, "how long a confirmation of a destructive call stays valid")
	bindEnv(fs, "confirm-ttl", "PCI_MCP_CONFIRM_TTL")
	fs.StringVar(&c.confirm, "confirm", "auto", "how destructive calls are confirmed: "+confirmUsage)
	bindEnv(fs, "confirm", "PCI_MCP_CONFIRM")
	fs.Var(&c.only, "accounts", "comma-separated account names to serve (default: every configured account)")
	bindEnv(fs, "accounts", "PCI_MCP_ACCOUNTS")
	c.approvalFlags(fs)
	c.httpFlags(fs)
	c.sandboxFlags(fs)
}

// load reads the environment-only settings and checks the whole
// configuration; the flags have been parsed and filled from their
// environment variables (applyEnv) before.
func (c *config) load(getenv func(string) string) error {
	c.stateKey = getenv(envStateKey)
	c.auditLog = getenv(envAuditLog)
	c.accountsFile = getenv(envAccountsFile)
	c.http.authToken = getenv(envAuthToken)
	if err := c.approvalEnv(getenv); err != nil {
		return err
	}
	c.storeURL = getenv(envStoreURL)
	if err := c.readOAuth(getenv); err != nil {
		return err
	}
	c.metricsAddr = getenv(envMetricsAddr)
	if err := c.prepareSandbox(getenv); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return err
	}
	if c.sandbox.enabled {
		// The sandbox's accounts are made when its simulators start.
		return nil
	}
	set, err := accounts.Load(accounts.Options{File: c.accountsFile, Only: c.only, Getenv: getenv})
	if err != nil {
		return usageError("%v", err)
	}
	c.accounts = set
	return nil
}

func (c *config) validate() error {
	switch c.transport {
	case "stdio", "sse", "http":
	default:
		return usageError("--transport %q: must be stdio, sse or http", c.transport)
	}
	switch c.logFormat {
	case "text", "json":
	default:
		return usageError("--log-format %q: must be text or json", c.logFormat)
	}
	if c.upstream.timeout <= 0 {
		return usageError("--upstream-timeout must be positive")
	}
	if err := c.validateApproval(); err != nil {
		return err
	}
	if c.confirmTTL < 10*time.Second || c.confirmTTL > 24*time.Hour {
		return usageError("--confirm-ttl must be between 10s and 24h")
	}
	if c.stateKey != "" && len(c.stateKey) < tools.MinStateKeyLen {
		return usageError("%s must be at least %d bytes; generate one with `openssl rand -hex 32`", envStateKey, tools.MinStateKeyLen)
	}
	if c.upstream.concurrency < 1 {
		return usageError("--upstream-concurrency must be at least 1")
	}
	if err := c.validateHTTP(); err != nil {
		return err
	}
	if err := c.validateOAuth(); err != nil {
		return err
	}
	return nil
}

// policy is the catalog filter the flags ask for.
func (c *config) policy() tools.Policy {
	p := tools.Policy{ReadOnly: c.readOnly, Tools: c.tools, ExcludeTools: c.excludeTools}
	for _, ts := range c.toolsets {
		p.Toolsets = append(p.Toolsets, tools.Toolset(ts))
	}
	return p
}

// listValue is a comma-separated flag value.
type listValue []string

func (l *listValue) String() string { return strings.Join(*l, ",") }

// Type names the value in the help: a comma-separated list.
func (l *listValue) Type() string { return "strings" }

func (l *listValue) Set(s string) error {
	*l = nil
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}

// levelValue is a log level flag, spelled in lower case as users type it.
type levelValue slog.Level

func (l *levelValue) String() string { return strings.ToLower(slog.Level(*l).String()) }

func (l *levelValue) Set(s string) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(s)); err != nil {
		return errors.New("want debug, info, warn or error")
	}
	*l = levelValue(level)
	return nil
}

// Type is "string", so the help quotes the default as it is typed.
func (l *levelValue) Type() string { return "string" }
