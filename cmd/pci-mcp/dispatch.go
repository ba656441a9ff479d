package main

import (
	"context"
	"flag"
	"fmt"
	"io"
)

const synopsis = `pci-mcp — an MCP server for PCI DSS external scanning (Qualys PCI, Halo Security).

Usage:
  pci-mcp [flags]            serve MCP (stdio by default)
  pci-mcp --sandbox          serve simulated accounts: try it with no credentials
  pci-mcp tools [--json]     list the tool catalog with each tool's token cost
  pci-mcp call TOOL [ARGS]   call one tool and print its result (pci-mcp call --help)
  pci-mcp version            print the version
  pci-mcp help               this text`

// dispatch picks the subcommand; without one, pci-mcp serves.
func dispatch(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	rest := args[1:]
	if len(rest) > 0 {
		switch rest[0] {
		case "version":
			fmt.Fprintf(stdout, "pci-mcp %s\n", currentVersion())
			return nil
		case "tools":
			return toolsCommand(rest[1:], stdout, stderr)
		case "call":
			return callCommand(ctx, rest[1:], getenv, stdin, stdout, stderr)
		case "help":
			rest = []string{"--help"}
		}
	}
	return serve(ctx, rest, getenv, stdin, stdout, stderr)
}

// serveCommand parses the serving flags.
func serveCommand(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	cfg := &config{}
	fs := flag.NewFlagSet("pci-mcp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := cfg.serveFlags(fs)
	fs.Usage = func() { usage(stderr, fs, env, synopsis, true) }
	if err := cfg.parse(fs, env, args, getenv); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, usageError("unexpected argument %q; see pci-mcp --help", fs.Arg(0))
	}
	return cfg, nil
}
