package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServingFlagsGoBeforeOrAfterTheSubcommand: the serving flags are the
// same wherever they stand; each spelling gets the sandbox's answer.
func TestServingFlagsGoBeforeOrAfterTheSubcommand(t *testing.T) {
	var want string
	for _, args := range [][]string{
		{"--sandbox", "call", "qualys_list_scans"},
		{"call", "--sandbox", "qualys_list_scans"},
		{"call", "qualys_list_scans", "--sandbox"},
		{"--sandbox", "--read-only", "call", "qualys_list_scans", `{}`},
		{"--toolsets", "qualys", "call", "qualys_list_scans", "--sandbox=true"},
	} {
		code, stdout, stderr := runMain(t, env(), args...)
		require.Equal(t, exitOK, code, "%q: %s", args, stderr)
		assert.Contains(t, stdout, "Q2 2025 external PCI scan", args)
		assert.Contains(t, stderr, "SANDBOX MODE", args)
		if want == "" {
			want = stdout
		}
		assert.Equal(t, want, stdout, args)
	}

	// A value-taking flag before the subcommand keeps its value.
	code, _, stderr := runMain(t, env(), "--toolsets", "halo", "call", "--sandbox", "qualys_list_scans")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `unknown tool "qualys_list_scans": this server serves halo_`)
	code, _, stderr = runMain(t, env(), "--log-level", "debug", "call", "--sandbox", "qualys_list_scans")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "DBG upstream request", "--log-level before call applies to call")
}

// TestVersionFlags: --version and -v print what `pci-mcp version` prints.
func TestVersionFlags(t *testing.T) {
	_, want, _ := runMain(t, env(), "version")
	assert.Equal(t, "pci-mcp "+currentVersion()+"\n", want)
	for _, arg := range []string{"--version", "-v"} {
		code, stdout, stderr := runMain(t, env(), arg)
		assert.Equal(t, exitOK, code, arg)
		assert.Equal(t, want, stdout, arg)
		assert.Empty(t, stderr, arg)
	}
}

// TestHelpIsOnStdout: --help, -h and help print the same help on stdout
// and exit 0, for the root and for each subcommand.
func TestHelpIsOnStdout(t *testing.T) {
	for _, sub := range [][]string{nil, {"call"}, {"tools"}, {"version"}} {
		_, want, _ := runMain(t, env(), append([]string{"help"}, sub...)...)
		require.NotEmpty(t, want, sub)
		for _, flag := range []string{"--help", "-h"} {
			code, stdout, stderr := runMain(t, env(), append(append([]string{}, sub...), flag)...)
			assert.Equal(t, exitOK, code, "%q %s", sub, flag)
			assert.Equal(t, want, stdout, "%q %s", sub, flag)
			assert.Empty(t, stderr, "%q %s", sub, flag)
		}
	}
}

// TestHelpShowsValueTypesDefaultsAndVariables: each flag reads as it is
// typed: its value type, its default as the user would write it, and its
// environment variable.
func TestHelpShowsValueTypesDefaultsAndVariables(t *testing.T) {
	_, stdout, _ := runMain(t, env(), "--help")
	help := strings.Join(strings.Fields(stdout), " ") // lines wrap; compare the words
	for _, want := range []string{
		`--log-level string debug, info, warn or error (default "info") [$PCI_MCP_LOG_LEVEL]`,
		`--transport string MCP transport: stdio, sse or http (default "stdio") [$PCI_MCP_TRANSPORT]`,
		`--addr string listen address (host:port) for the sse and http transports (default "127.0.0.1:8080") [$PCI_MCP_ADDR]`,
		`--upstream-timeout duration timeout of each request to Qualys or Halo (default 30s) [$PCI_MCP_UPSTREAM_TIMEOUT]`,
		`(default 5m) [$PCI_MCP_CONFIRM_TTL]`,
		`--upstream-concurrency int requests in flight to each provider at most (default 4)`,
		`--toolsets strings comma-separated toolsets`,
		`--read-only serve only read-only tools [$PCI_MCP_READ_ONLY]`,
		`-v, --version print the version`,
		`-h, --help`,
		`pci-mcp tools [--json]`, `pci-mcp call TOOL [ARGS]`, `pci-mcp version`,
	} {
		assert.Contains(t, help, want)
	}
	assert.NotContains(t, help, "INFO", "levels are spelled as typed")
	assert.NotContains(t, help, "5m0s", "durations are spelled as typed")
}

// TestCommandLineMistakes: a mistake exits 2 with one line that names it.
func TestCommandLineMistakes(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--frobnicate"}, "unknown flag: --frobnicate; see pci-mcp --help"},
		{[]string{"call", "--frobnicate", "x"}, "unknown flag: --frobnicate; see pci-mcp call --help"},
		{[]string{"toolz"}, `unexpected argument "toolz" (did you mean tools?)`},
		{[]string{"version", "now"}, `unexpected argument "now"`},
		{[]string{"--log-level", "loud"}, `invalid argument "loud" for "--log-level" flag: want debug, info, warn or error`},
		{[]string{"--upstream-timeout", "soon"}, `"--upstream-timeout"`},
	}
	for _, tt := range tests {
		code, stdout, stderr := runMain(t, env(), tt.args...)
		assert.Equal(t, exitUsage, code, tt.args)
		assert.Empty(t, stdout, tt.args)
		assert.Contains(t, stderr, tt.want, tt.args)
		assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line, no wall of help: %s", stderr)
	}
}
