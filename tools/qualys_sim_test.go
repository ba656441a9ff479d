package tools

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/providers/qualys"
	"github.com/pci-mcp/pci-mcp/providers/qualys/qualyssim"
	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration // the waits Sleep was asked for (qualys_wait_test.go)
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// withQualysSim points the Qualys client at a running simulator.
func withQualysSim(t *testing.T, sim *qualyssim.Server) envOption {
	return func(o *Options) {
		qc, err := qualys.New(qualys.Config{BaseURL: sim.URL, Username: qualyssim.SandboxUsername, Password: qualyssim.SandboxPassword,
			Settings: upstream.Settings{MaxAttempts: 1}})
		require.NoError(t, err)
		o.Qualys = qc
	}
}

// TestQualysWorkflowAgainstSimulator walks one quarter end to end: scope,
// scan, findings, status, with IPv6 throughout.
func TestQualysWorkflowAgainstSimulator(t *testing.T) {
	clock := newFakeClock()
	sim, err := qualyssim.Start(qualyssim.Options{Now: clock.Now, QueuedFor: time.Minute, RunningFor: 10 * time.Minute})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	env := newTestEnv(t, withQualysSim(t, sim))

	res := env.call(t, "qualys_add_hosts", `{"hosts":["2001:db8:77::10","2001:0DB8:77::10"]}`)
	require.False(t, res.IsError, resultText(t, res))
	assert.Equal(t, "1 IP added successfully", structured(t, res)["message"])

	res = env.call(t, "qualys_add_virtual_hosts", `{"virtual_hosts":[{"fqdn":"pay.example.net","port":443,"ip":"2001:db8:77::10","path":"/pay"}]}`)
	require.False(t, res.IsError, resultText(t, res))
	assert.Equal(t, "1 VirtualHost added successfully", structured(t, res)["message"])

	res = env.call(t, "qualys_compliance_summary", `{"limit":100}`)
	require.False(t, res.IsError, resultText(t, res))
	assert.Contains(t, resultText(t, res), `"ip":"2001:db8:77::10"`)

	res = env.call(t, "qualys_launch_scan", `{"title":"Q4 2026","target_ips":["2001:db8:77::10"],"bandwidth":"Low"}`)
	require.False(t, res.IsError, resultText(t, res))
	scanID := structured(t, res)["scanId"].(float64)
	assert.Equal(t, float64(10988), scanID)

	res = env.call(t, "qualys_get_scan", `{"scan_id":10988}`)
	details := structured(t, res)
	assert.Equal(t, "Launch Requested", details["scanStatus"])
	assert.Equal(t, false, details["finished"])
	assert.NotContains(t, details, "compliance", "no verdict while queued")
	clock.Advance(2 * time.Minute)
	res = env.call(t, "qualys_get_scan", `{"scan_id":10988}`)
	details = structured(t, res)
	assert.Equal(t, "Running", details["scanStatus"])
	assert.NotContains(t, details, "compliance", "no verdict while running")
	clock.Advance(10 * time.Minute)
	res = env.call(t, "qualys_get_scan", `{"scan_id":10988}`)
	details = structured(t, res)
	assert.Equal(t, "Finished", details["scanStatus"])
	assert.Equal(t, true, details["finished"])
	assert.Contains(t, []any{"Pass", "Fail"}, details["compliance"])

	res = env.call(t, "qualys_list_vulnerabilities", `{"limit":100}`)
	require.False(t, res.IsError, resultText(t, res))
	list := structured(t, res)["merchantVulnList"].([]any)
	require.NotEmpty(t, list)
	first := list[0].(map[string]any)
	res = env.call(t, "qualys_get_vulnerability", `{"id":`+mustJSON(t, first["id"])+`}`)
	require.False(t, res.IsError, resultText(t, res))
	assert.NotEmpty(t, structured(t, res)["title"])

	res = env.call(t, "qualys_get_scan", `{"scan_id":999999}`)
	require.True(t, res.IsError)
	assert.Contains(t, resultText(t, res), "scan 999999 not found")
}
