package main

import (
	"context"
	"errors"
	"io"

	"github.com/mark3labs/mcp-go/server"
)

// serve runs the MCP server on the configured transport until ctx ends or
// the client goes away.
func serve(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := serveCommand(args, getenv, stderr)
	if err != nil {
		return err
	}
	if cfg.transport != "stdio" {
		if err := cfg.checkListen(); err != nil {
			return err
		}
	}
	a, err := newApp(cfg, stderr)
	if err != nil {
		return err
	}
	defer a.Close()

	switch cfg.transport {
	case "stdio":
		return serveStdio(ctx, a, stdin, stdout)
	case "http", "sse":
		return serveHTTP(ctx, a)
	}
	return usageError("--transport %s is not available", cfg.transport)
}

// serveStdio speaks MCP on stdin/stdout; it returns when stdin closes or ctx
// is cancelled.
func serveStdio(ctx context.Context, a *app, stdin io.Reader, stdout io.Writer) error {
	s := server.NewStdioServer(a.server)
	err := s.Listen(ctx, stdin, stdout)
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		a.log.Info("pci-mcp stopped")
		return nil
	}
	return err
}
