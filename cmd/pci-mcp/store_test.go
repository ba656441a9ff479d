package main

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/tools/guard/redisstore/redistest"
)

const markerStorePassword = "marker-store-password-0123456789"

// readyz returns /readyz's status code and body.
func readyz(t *testing.T, url string) (int, map[string]string) {
	t.Helper()
	resp, err := http.Get(url + "/readyz")
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]string
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body
}

// With a shared store, /readyz follows the store: not ready while Redis is
// down, ready again once it is back, without a restart; /healthz stays a
// liveness answer throughout. The store's password is never logged.
func TestReadyzFollowsTheSharedStore(t *testing.T) {
	redis := redistest.StartWithPassword(t, markerStorePassword)
	storeURL := redis.URL(0)

	fake := newFakeQualys(t)
	s := startServer(t, serverEnv(fake, envStoreURL, storeURL), "--transport", "http")

	code, body := readyz(t, s.url)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, map[string]string{"status": "ready", "store": "shared"}, body)

	redis.Stop()
	code, body = readyz(t, s.url)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "not ready", body["status"])
	assert.Contains(t, body["reason"], "destructive calls are refused")
	resp, err := http.Get(s.url + "/healthz")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "/healthz is liveness: the process is alive")

	redis.Restart()
	require.Eventually(t, func() bool { c, _ := readyz(t, s.url); return c == http.StatusOK }, 30*time.Second, 100*time.Millisecond)

	assert.Equal(t, 0, s.stop())
	logs := s.stderr.String()
	assert.Contains(t, logs, "single-use confirmations are kept in the shared store")
	assert.NotContains(t, logs, markerStorePassword)
}

// Without a store, /readyz is ready: the memory store is always there.
func TestReadyzWithTheMemoryStore(t *testing.T) {
	s := startServer(t, serverEnv(newFakeQualys(t)), "--transport", "http")
	code, body := readyz(t, s.url)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, map[string]string{"status": "ready", "store": "memory"}, body)
}

func TestStoreURLIsCheckedAtStart(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"http://:" + markerStorePassword + "@localhost:6379", "PCI_MCP_STORE_URL: scheme \"http\": must be redis:// or rediss://"},
		{"redis://:" + markerStorePassword + "@/0", "PCI_MCP_STORE_URL: no host"},
	} {
		code, _, stderr := runMain(t, serverEnv(newFakeQualys(t), envStoreURL, tc.url), "--transport", "http")
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, stderr, tc.want)
		assert.NotContains(t, stderr, markerStorePassword)
	}
}

func TestStoreSecretsCoverEveryForm(t *testing.T) {
	got := storeSecrets("redis://user:p%40ss%20word@host:6379/2")
	assert.Contains(t, got, "p@ss word")
	assert.Contains(t, got, "p%40ss%20word")
	assert.Contains(t, got, "redis://user:p%40ss%20word@host:6379/2")
	assert.Contains(t, storeSecrets("redis://lonesecret@host:6379"), "lonesecret")
	assert.Nil(t, storeSecrets(""))
}

// TestReplicasWithASharedStoreAreOneServer: two replicas with one state key
// and one Redis. A token issued by A executes on B, once; a replay on A or
// B is refused, and the fake Qualys saw one DELETE. With Redis stopped, a
// confirmed removal is refused saying why, nothing is sent, and reads still
// work; once Redis is back the same replica confirms again, no restart.
func TestReplicasWithASharedStoreAreOneServer(t *testing.T) {
	redis := redistest.Start(t)
	fake := newFakeQualys(t)
	getenv := serverEnv(fake, envStoreURL, redis.URL(0))
	a := startServer(t, getenv, "--transport", "http")
	b := startServer(t, getenv, "--transport", "http")
	ca := connectStreamable(t, a.url, markerAuthToken, mcp.LATEST_PROTOCOL_VERSION, nil)
	cb := connectStreamable(t, b.url, markerAuthToken, mcp.LATEST_PROTOCOL_VERSION, nil)

	first := callTool(t, ca, "qualys_remove_hosts", removeHosts)
	token, _ := structuredOf(t, first)["confirmation_token"].(string)
	require.NotEmpty(t, token, resultText(first))
	res := callTool(t, cb, "qualys_remove_hosts", withToken(removeHosts, token))
	require.False(t, res.IsError, resultText(res))
	assert.Equal(t, "done", structuredOf(t, res)["status"], "a token issued by A executes on B")
	for _, c := range []*client.Client{ca, cb} {
		replay := callTool(t, c, "qualys_remove_hosts", withToken(removeHosts, token))
		assert.True(t, replay.IsError)
		assert.Contains(t, resultText(replay), "already used")
	}
	assert.Equal(t, 1, fake.count("DELETE /pci/asset/delete"), "executed once across both replicas")

	second := callTool(t, ca, "qualys_remove_hosts", removeHosts)
	token, _ = structuredOf(t, second)["confirmation_token"].(string)
	require.NotEmpty(t, token, resultText(second))
	redis.Stop()
	refused := callTool(t, cb, "qualys_remove_hosts", withToken(removeHosts, token))
	assert.True(t, refused.IsError)
	assert.Contains(t, resultText(refused), "the guard's store did not answer")
	assert.Equal(t, 1, fake.count("DELETE /pci/asset/delete"), "nothing sent while the store is down")
	read := callTool(t, cb, "qualys_list_scans", map[string]any{"limit": 5})
	assert.False(t, read.IsError, "reads keep working: %s", resultText(read))

	redis.Restart()
	require.Eventually(t, func() bool { c, _ := readyz(t, b.url); return c == http.StatusOK }, 30*time.Second, 100*time.Millisecond)
	res = callTool(t, cb, "qualys_remove_hosts", withToken(removeHosts, token))
	require.False(t, res.IsError, resultText(res))
	assert.Equal(t, "done", structuredOf(t, res)["status"], "the store is back: the same token is honoured")
	assert.Equal(t, 2, fake.count("DELETE /pci/asset/delete"))
}

// TestStoreWithoutPersistenceIsWarnedOf: a Redis that would forget the
// used marks in its own restart is named at start-up; one with an
// append-only file is not.
func TestStoreWithoutPersistenceIsWarnedOf(t *testing.T) {
	const warning = "the shared store keeps nothing on disk (appendonly no, no save points)"
	volatile := redistest.Start(t)
	s := startServer(t, serverEnv(newFakeQualys(t), envStoreURL, volatile.URL(0)), "--transport", "http")
	assert.Equal(t, 0, s.stop())
	assert.Contains(t, s.stderr.String(), warning)

	durable := redistest.StartWithArgs(t, "--appendonly", "yes")
	s = startServer(t, serverEnv(newFakeQualys(t), envStoreURL, durable.URL(0)), "--transport", "http")
	assert.Equal(t, 0, s.stop())
	logs := s.stderr.String()
	assert.Contains(t, logs, "single-use confirmations are kept in the shared store")
	assert.NotContains(t, logs, "the shared store keeps")
	assert.NotContains(t, logs, "could not check")
}
