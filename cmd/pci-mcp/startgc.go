package main

import (
	"runtime/debug"
	"sync"
	"time"
)

// Start-up runs with the garbage collector relaxed. A client launching
// pci-mcp waits for the first tools/list, and by then the package
// initialisers and the catalog have allocated just past the runtime's
// first 4 MB target, so one collection landed in every launch: a quarter
// of the gap to mcp-go's own example server (BENCHMARKS.md). For the first
// moments the collector lets the heap grow four times as far; then the
// usual setting returns, at once for an HTTP server, whose first moments
// may already carry load. An operator's GOGC always wins.
const (
	startupGCPercent = 400
	startupGCWindow  = 2 * time.Second
)

// relaxGCDuringStartup applies the start-up setting unless GOGC is set.
func relaxGCDuringStartup(getenv func(string) string) {
	if getenv("GOGC") != "" {
		return
	}
	previous := debug.SetGCPercent(startupGCPercent)
	endStartupGC = sync.OnceFunc(func() { debug.SetGCPercent(previous) })
	time.AfterFunc(startupGCWindow, endStartupGC)
}

// endStartupGC restores the usual setting; a no-op when nothing was
// relaxed (tests call run, not main).
var endStartupGC = func() {}
