// Command startfloor is what pci-mcp's start-up is measured against besides
// mcp-go's examples/everything, in `make bench` (TestBenchColdStart): mcp-go
// serving pci-mcp's catalog over stdio and nothing else, so no command line,
// configuration, guard, audit or handlers. Built with -tags deps it also
// links the libraries pci-mcp's issues require (approval, shared store,
// OAuth, metrics, logging), so their package initialisation is paid as
// pci-mcp pays it. What pci-mcp takes beyond that is its own.
//
// catalog.go is written by the bench from pci-mcp's own tools/list result
// before each build; it is not checked in.
package main

import (
	"log"

	"github.com/mark3labs/mcp-go/server"
)

func main() {
	s := server.NewMCPServer("startfloor", "1.0.0", server.WithToolCapabilities(false))
	s.AddTools(catalog()...)
	if err := server.ServeStdio(s); err != nil {
		log.Fatal(err)
	}
}
