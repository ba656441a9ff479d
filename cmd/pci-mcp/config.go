package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

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
	sandbox      sandboxSettings

	// Credentials and endpoints: environment only, so they never show in a
	// process listing.
	qualysUsername string
	qualysPassword string
	qualysURL      string
	stateKey       string
	auditLog       string
	haloAPIKey     string
	haloURL        string
}

// upstreamSettings tune the HTTP layer shared by both providers.
type upstreamSettings struct {
	timeout     time.Duration
	concurrency int
}

// Environment variables read directly (not through a flag).
const (
	envQualysUsername = "QUALYS_USERNAME"
	envQualysPassword = "QUALYS_PASSWORD"
	envQualysURL      = "QUALYS_PCI_URL"
	envStateKey       = "PCI_MCP_STATE_KEY"
	envAuditLog       = "PCI_MCP_AUDIT_LOG"
	envHaloAPIKey     = "HALO_API_KEY"
	envHaloURL        = "HALO_API_URL"
	envAuthToken      = "PCI_MCP_AUTH_TOKEN"
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
	{envAuthToken, "bearer token (32+ bytes) every HTTP request to the MCP endpoints must carry; required to listen beyond loopback"},
}

// flagEnv maps each flag to its environment variable.
type flagEnv map[string]string

// serveFlags registers the flags shared by serving and `call`.
func (c *config) serveFlags(fs *flag.FlagSet) flagEnv {
	env := flagEnv{}
	str := func(p *string, name, envName, def, usage string) {
		fs.StringVar(p, name, def, usage)
		env[name] = envName
	}
	str(&c.transport, "transport", "PCI_MCP_TRANSPORT", "stdio", "MCP transport: stdio, sse or http")
	str(&c.addr, "addr", "PCI_MCP_ADDR", "127.0.0.1:8080", "listen address for the sse and http transports")
	fs.TextVar(&c.logLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn or error")
	env["log-level"] = "PCI_MCP_LOG_LEVEL"
	str(&c.logFormat, "log-format", "PCI_MCP_LOG_FORMAT", "text", "log format on stderr: text or json")
	fs.BoolVar(&c.readOnly, "read-only", false, "serve only read-only tools")
	env["read-only"] = "PCI_MCP_READ_ONLY"
	fs.Var(&c.toolsets, "toolsets", "comma-separated toolsets to serve: qualys, halo (default: every configured provider)")
	env["toolsets"] = "PCI_MCP_TOOLSETS"
	fs.Var(&c.tools, "tools", "comma-separated tool names to serve (default: all)")
	env["tools"] = "PCI_MCP_TOOLS"
	fs.Var(&c.excludeTools, "exclude-tools", "comma-separated tool names not to serve")
	env["exclude-tools"] = "PCI_MCP_EXCLUDE_TOOLS"
	fs.DurationVar(&c.upstream.timeout, "upstream-timeout", 30*time.Second, "timeout of each request to Qualys or Halo")
	env["upstream-timeout"] = "PCI_MCP_UPSTREAM_TIMEOUT"
	fs.IntVar(&c.upstream.concurrency, "upstream-concurrency", 4, "requests in flight to each provider at most")
	env["upstream-concurrency"] = "PCI_MCP_UPSTREAM_CONCURRENCY"
	fs.DurationVar(&c.confirmTTL, "confirm-ttl", tools.DefaultConfirmTTL, "how long a confirmation of a destructive call stays valid")
	env["confirm-ttl"] = "PCI_MCP_CONFIRM_TTL"
	str(&c.confirm, "confirm", "PCI_MCP_CONFIRM", "auto",
		"how destructive calls are confirmed: auto (ask through the client when it can show a form, else a token) or token (always a token, for clients that decline questions unseen)")
	c.httpFlags(fs, env)
	c.sandboxFlags(fs, env)
	return env
}

// parse parses args, then fills every flag not given from its environment
// variable, and reads the environment-only settings.
func (c *config) parse(fs *flag.FlagSet, env flagEnv, args []string, getenv func(string) string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return &exitError{code: exitOK}
		}
		return &exitError{code: exitUsage}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for name, envName := range env {
		value := getenv(envName)
		if given[name] || value == "" {
			continue
		}
		if err := fs.Set(name, value); err != nil {
			return usageError("%s=%q: %v", envName, value, err)
		}
	}
	c.qualysUsername = getenv(envQualysUsername)
	c.qualysPassword = getenv(envQualysPassword)
	c.qualysURL = getenv(envQualysURL)
	c.stateKey = getenv(envStateKey)
	c.auditLog = getenv(envAuditLog)
	c.haloAPIKey = getenv(envHaloAPIKey)
	c.haloURL = getenv(envHaloURL)
	c.http.authToken = getenv(envAuthToken)
	if err := c.prepareSandbox(); err != nil {
		return err
	}
	return c.validate()
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
	if c.confirm != "auto" && c.confirm != "token" {
		return usageError("--confirm %q: must be auto or token", c.confirm)
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
	if (c.qualysUsername == "") != (c.qualysPassword == "") {
		return usageError("set both %s and %s, or neither", envQualysUsername, envQualysPassword)
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

// usage prints a subcommand's help: every flag with its environment variable.
func usage(w io.Writer, fs *flag.FlagSet, env flagEnv, synopsis string, withEnvOnly bool) {
	fmt.Fprintf(w, "%s\n\nFlags (each can also be set by the environment variable shown):\n", synopsis)
	fs.VisitAll(func(f *flag.Flag) {
		def := ""
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "[]" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		envName := env[f.Name]
		if envName != "" {
			envName = "  [$" + envName + "]"
		}
		fmt.Fprintf(w, "  --%s\n        %s%s%s\n", f.Name, f.Usage, def, envName)
	})
	if withEnvOnly {
		fmt.Fprintf(w, "\nEnvironment only (never flags, so secrets stay out of process listings):\n")
		for _, e := range envOnly {
			fmt.Fprintf(w, "  %-28s %s\n", e.name, e.usage)
		}
	}
}

// listValue is a comma-separated flag value.
type listValue []string

func (l *listValue) String() string { return strings.Join(*l, ",") }

func (l *listValue) Set(s string) error {
	*l = nil
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}
