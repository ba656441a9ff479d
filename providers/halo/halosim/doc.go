// Package halosim is a stateful, in-process simulator of the Halo Security API: the PCI
// attestation calls (pci/summary, pci/start, pci/attest, pci/report-list, pci/report-get)
// and the target, scan and user calls a PCI workflow needs.
//
// It exists so that `pci-mcp --sandbox` and end-to-end tests can drive the real Halo client
// without reaching the real service. It serves the wire shapes of the Halo documentation
// under a base path ending in /api/v1, checks the x-apikey header, validates what the real
// service is documented to validate, and keeps state: an attestation id from pci/start is
// single use, and a successful pci/attest adds a draft report to the report calls.
//
// # Demo merchant
//
// Unless [Options.Empty] is set, the simulator starts with a small demo merchant whose dates
// are relative to the clock reading taken in [New] (called t0 below):
//
//	target  5  shop.example.com      Storefront       in PCI scope
//	target  7  api.example.com       Payments API     in PCI scope, added 3 days ago, never scanned
//	target  9  2001:db8:4a7f:10::25  VPN gateway      in PCI scope (IPv6)
//	target 12  blog.example.com      Marketing blog   out of scope
//
// At t0 target 7 still requires a scan (its first scan, sc48291, is running) and target 5 has
// a vulnerability that fails PCI (TLS 1.0, issue 10423, found by sc48211; its rescan sc48290
// is running). Both scans finish at t0 + [Options.ScanFinishesAfter]; the rescan finds the
// vulnerability fixed, so from then on pci/start lists no blockers. pci/start always asks the
// four yes/no questions 1-4 and lists two ASV special notes that need a response:
// note 4101 (target 5, issue 20342, embedded code from an out-of-scope domain) and note 4102
// (target 9, issue 20117, remote access service). Two earlier reports exist: 127301 (expired)
// and 127345 (approved), named after the two quarters before t0; new reports get 127346 on.
//
// Events (event/list, event/get) are derived from the same state: every scan's start and
// completion, each new report's review (approved, or rejected when a note was answered not
// secure) [Options.ReportReviewedAfter] after it was attested, and the earlier reports'
// approvals and expiries. Host acknowledgements (ack/host-add, ack/host-list,
// ack/host-delete) last as long as the simulator; a host acknowledged globally no longer
// counts as having vulnerabilities in pci/start.
//
// The simulator's state needs no goroutines or timers: every answer is computed from the
// clock at the moment of the request, so tests move time by injecting [Options.Now].
package halosim
