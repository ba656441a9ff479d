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
// # Demo merchant
//
// Unless [Options].Empty is set, the account starts with:
//   - hosts 203.0.113.10, 203.0.113.11, 203.0.113.12 and 2001:db8:4c1::80;
//   - virtual host shop.example.net:443:203.0.113.10/checkout;
//   - scan 10987, "Q2 2025 external PCI scan", launched June 02, 2025 at
//     01:30 PM GMT on 203.0.113.10-203.0.113.12 and shop.example.net,
//     Finished, compliance "Fail";
//   - its findings 7340001 (QID 38657, Sweet32, on 203.0.113.11, fails PCI)
//     and 7340002 (QID 38170, certificate name mismatch, on 203.0.113.12,
//     passes), so 203.0.113.11 is "Fail", 2001:db8:4c1::80 "Not Scanned" and
//     the rest "Pass".
//
// The first scan a client launches gets id 10988, as in the vendor's sample.
//
// # Guesses
//
// Where the vendor's documents are silent the simulator has to choose; every
// such choice is gathered in guesses.go so it can be changed in one place.
package qualyssim
