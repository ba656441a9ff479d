package tools

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pci-mcp/pci-mcp/providers/halo"
	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

func TestHaloListScans(t *testing.T) {
	tests := []struct {
		name, args, wantCall string
		wantIDs              []upstream.String
	}{
		{"current by default", "", "GET scan/list.json?limit=100&type=current",
			[]upstream.String{"sc48202", "sc48215", "sc48290", "sc48291"}},
		{"prior, paged", `{"type":"prior","start":1,"limit":2}`, "GET scan/list.json?limit=2&start=1&type=prior",
			[]upstream.String{"sc48121", "sc48211"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newHaloEnv(t, haloEnvOptions{})
			var got halo.ScanList
			env.ok(t, "halo_list_scans", tt.args, &got)
			var ids []upstream.String
			for _, s := range got.Scans {
				ids = append(ids, s.ScanID)
				assert.NotZero(t, s.Target.TargetID, "every scan names its target")
			}
			assert.Equal(t, tt.wantIDs, ids)
			assert.Equal(t, []string{tt.wantCall}, env.upstreamCalls())
		})
	}
}

// TestHaloScanFinishes follows a running scan to its end on the
// simulator's clock.
func TestHaloScanFinishes(t *testing.T) {
	env := newHaloEnv(t, haloEnvOptions{})
	var running halo.Scan
	env.ok(t, "halo_get_scan", `{"scan_id":"sc48290"}`, &running)
	assert.Equal(t, upstream.String("sc48290"), running.ScanID)
	assert.Equal(t, upstream.String("running"), running.Status)

	env.clock.Advance(haloScanDelay)
	var finished halo.Scan
	env.ok(t, "halo_get_scan", `{"scan_id":"sc48290"}`, &finished)
	assert.Equal(t, upstream.String("finished"), finished.Status)
	assert.Equal(t, upstream.Int(14*60), finished.Duration)
	assert.Equal(t, map[string]upstream.Int{"0": 14, "1": 4, "2": 2, "3": 0, "4": 0, "5": 0}, finished.IssueSeverityCount)
	assert.Equal(t, []string{"GET scan/get.json?scan_id=sc48290", "GET scan/get.json?scan_id=sc48290"}, env.upstreamCalls())
}

func TestHaloGetScanNotFound(t *testing.T) {
	env := newHaloEnv(t, haloEnvOptions{})
	text := env.failed(t, "halo_get_scan", `{"scan_id":"sc1"}`)
	assert.Equal(t, `scan sc1 not found (Halo Security said: "scan not found"). List scans with halo_list_scans to find valid ids.`, text)
}
