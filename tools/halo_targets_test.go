package tools

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pci-mcp/pci-mcp/providers/halo"
	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

func TestHaloListTargets(t *testing.T) {
	env := newHaloEnv(t, haloEnvOptions{})
	var got halo.TargetList
	env.ok(t, "halo_list_targets", `{"limit":3}`, &got)
	assert.Equal(t, halo.Pagination{Total: 4, Start: 0, Limit: 3}, got.Pagination)
	assert.Equal(t, []halo.TargetSummary{
		{TargetID: 12, Host: "blog.example.com", Name: "Marketing blog"},
		{TargetID: 7, Host: "api.example.com", Name: "Payments API"},
		{TargetID: 5, Host: "shop.example.com", Name: "Storefront"},
	}, got.Targets)
	assert.Equal(t, []string{"GET target/list.json?limit=3"}, env.upstreamCalls())
}

func TestHaloGetTarget(t *testing.T) {
	env := newHaloEnv(t, haloEnvOptions{})
	var got halo.Target
	env.ok(t, "halo_get_target", `{"target_id":5}`, &got)
	assert.Equal(t, halo.TargetSummary{TargetID: 5, Host: "shop.example.com", Name: "Storefront"}, got.TargetSummary)
	assert.Equal(t, upstream.String("203.0.113.10"), got.IP)
	assert.Equal(t, upstream.String("sc48290"), got.ScanID, "the newest scan, still running")
	assert.Equal(t, []upstream.String{"sc48211", "sc48120"}, got.RecentScanIDs)
	assert.Equal(t, []string{"GET target/get.json?target_id=5"}, env.upstreamCalls())
}

func TestHaloGetTargetNotFound(t *testing.T) {
	env := newHaloEnv(t, haloEnvOptions{})
	text := env.failed(t, "halo_get_target", `{"target_id":99}`)
	assert.Equal(t, `target 99 not found (Halo Security said: "target not found"). List targets with halo_list_targets to find valid ids.`, text)
}
