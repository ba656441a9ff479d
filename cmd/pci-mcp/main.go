// Command pci-mcp is an MCP server that lets AI assistants run a merchant's
// PCI DSS external-scan (ASV) program through the Qualys PCI Compliance and
// Halo Security APIs.
//
// With no arguments it serves MCP over stdio, so a client configuration needs
// only the binary and its environment. See `pci-mcp --help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit statuses.
const (
	exitOK        = 0
	exitToolError = 1 // a tool call returned isError
	exitUsage     = 2 // a usage or configuration error
)

func main() {
	// A client that closes our stderr while we log must not kill the server
	// with SIGPIPE; the write fails and serving goes on.
	signal.Ignore(syscall.SIGPIPE)
	relaxGCDuringStartup(os.Getenv)
	ctx, stop := shutdownOnSignal(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole program, callable from tests without a subprocess. It
// returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := execute(ctx, args, getenv, stdin, stdout, stderr)
	var exit *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &exit):
		if exit.msg != "" {
			fmt.Fprintln(stderr, "pci-mcp:", exit.msg)
		}
		return exit.code
	default:
		fmt.Fprintln(stderr, "pci-mcp:", err)
		return exitToolError
	}
}

// exitError carries an exit status and the message to print.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// usageError is a usage or configuration error: status 2.
func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, msg: fmt.Sprintf(format, args...)}
}
