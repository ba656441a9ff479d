package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"

	"github.com/mark3labs/mcp-go/server"
)

// serve runs the MCP server on the configured transport until ctx ends or
// the client goes away.
func (c *cli) serve(ctx context.Context, cfg *config) error {
	var ln net.Listener
	if cfg.transport != "stdio" {
		if err := cfg.checkListen(); err != nil {
			return err
		}
		// Bound first: a taken address is the first and only thing said.
		var err error
		if ln, err = listenHTTP(ctx, cfg); err != nil {
			return err
		}
		defer ln.Close()
	}
	a, err := newApp(cfg, c.stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.serveMetrics(); err != nil {
		return err
	}
	awaitSignalHandling(ctx)

	switch cfg.transport {
	case "stdio":
		if isTerminalReader(c.stdin) {
			// Someone typed pci-mcp at a prompt: what follows is JSON-RPC,
			// which nobody types by hand.
			fmt.Fprintln(c.stderr, stdioTerminalHint(c.program))
		}
		return serveStdio(ctx, a, c.stdin, c.stdout)
	case "http", "sse":
		endStartupGC() // a long-lived server under load from its first moments
		return serveHTTP(ctx, a, ln, c.stderr, c.program)
	}
	return usageError("--transport %s is not available", cfg.transport)
}

// stdioTerminalHint is the one line shown when stdin is a terminal: stdio is
// for an MCP client to start pci-mcp, and here are the ways to try it.
func stdioTerminalHint(program string) string {
	return fmt.Sprintf("pci-mcp speaks MCP (JSON-RPC) on stdin and stdout, for an MCP client that starts it; "+
		"to try it yourself: `%[1]s call --sandbox qualys_list_scans`, `make run` in a source checkout (the sandbox over HTTP), "+
		"or add `%[1]s --sandbox` to a client's config (README). Ctrl-C stops it.", displayProgram(program))
}

// displayProgram is the program as a person would type it again: a path
// made absolute, or the bare name found on PATH.
func displayProgram(program string) string {
	if !strings.ContainsRune(program, filepath.Separator) {
		return program
	}
	if abs, err := filepath.Abs(program); err == nil {
		return abs
	}
	return program
}

// serveStdio speaks MCP on stdin/stdout; it returns when stdin closes or ctx
// is cancelled.
func serveStdio(ctx context.Context, a *app, stdin io.Reader, stdout io.Writer) error {
	s := server.NewStdioServer(a.server)
	a.ready("transport", "stdio")
	err := s.Listen(ctx, stdin, stdout)
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		a.log.Info("pci-mcp stopped")
		return nil
	}
	return err
}
