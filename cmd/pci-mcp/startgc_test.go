package main

import (
	"runtime/debug"
	"testing"
)

// TestStartupGC: start-up relaxes the collector unless the operator set
// GOGC, and ending start-up puts back the setting there was.
func TestStartupGC(t *testing.T) {
	original := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(original); endStartupGC = func() {} })

	relaxGCDuringStartup(func(k string) string {
		if k == "GOGC" {
			return "50"
		}
		return ""
	})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("with GOGC set, start-up changed the collector's setting to %d", got)
	}

	relaxGCDuringStartup(func(string) string { return "" })
	if got := debug.SetGCPercent(startupGCPercent); got != startupGCPercent {
		t.Fatalf("during start-up the setting is %d, want %d", got, startupGCPercent)
	}
	endStartupGC()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("after start-up the setting is %d, want the 100 there was", got)
	}
	endStartupGC() // once only: a second call changes nothing
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("a second end changed the setting to %d", got)
	}
}
