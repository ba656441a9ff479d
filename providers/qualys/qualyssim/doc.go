// Package qualyssim is a stateful, in-process simulator of the Qualys PCI
// Compliance ("PCI Merchant") API, version V1.
//
// It serves the documented paths under /pci with the documented request and
// response shapes, enforces what the real service enforces (HTTP Basic auth,
// the apiVersion and X-Requested-With headers, JSON bodies), and keeps a
// plausible merchant account: hosts and virtual hosts in scope, scans that move
// from "Launch Requested" through "Running" to "Finished" as the injected clock
// advances, and deterministic findings that drive each scan's and each host's
// PCI verdict.
//
// It backs `pci-mcp --sandbox` (see [Start]) and the product's end-to-end
// tests, which use [Simulator.Requests] to prove what reached "upstream".
//
// Where the vendor's documents are silent the simulator has to choose; every
// such choice is gathered in guesses.go so it can be changed in one place.
package qualyssim
