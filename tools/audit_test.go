package tools

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAuditLineIsBounded: a call naming 1,000 hosts writes a line of at
// most 8 KiB, with the first 20 targets, the count and a digest of all.
func TestAuditLineIsBounded(t *testing.T) {
	env := newTestEnv(t)
	hosts := make([]string, 1000)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("2001:db8:aaaa:bbbb:cccc:dddd:%x:%x", i/256, i%256)
	}
	args, err := json.Marshal(map[string]any{"hosts": hosts})
	require.NoError(t, err)
	res := env.call(t, "qualys_remove_hosts", string(args))
	require.False(t, res.IsError, allText(res))

	env.audit.mu.Lock()
	raw := env.audit.w.String()
	env.audit.mu.Unlock()
	line := strings.TrimSuffix(raw, "\n")
	require.NotContains(t, line, "\n", "one line")
	assert.LessOrEqual(t, len(raw), 8<<10)
	entries := env.auditLines(t)
	require.Len(t, entries, 1)
	e := entries[0]
	assert.Equal(t, hosts[:20], e.Targets)
	assert.Equal(t, 1000, e.TargetCount)
	sum := sha256.Sum256([]byte(strings.Join(hosts, "\n")))
	assert.Equal(t, hex.EncodeToString(sum[:]), e.TargetsDigest)
}

// TestAuditLineStillBoundedWithALongDetail: a long failure detail is cut to
// fit.
func TestAuditLineStillBoundedWithALongDetail(t *testing.T) {
	e := AuditEntry{Tool: "qualys_remove_hosts", Outcome: "error", Detail: strings.Repeat("é", 10000), Targets: []string{"203.0.113.5"}}
	line, err := e.encode(func(b []byte) []byte { return b })
	require.NoError(t, err)
	assert.LessOrEqual(t, len(line)+1, 8<<10)
	var back AuditEntry
	require.NoError(t, json.Unmarshal(line, &back), "still one valid JSON object")
	assert.True(t, strings.HasSuffix(back.Detail, "…"))
	assert.Equal(t, []string{"203.0.113.5"}, back.Targets)
}

// TestAuditFieldsSayWhatHappened: a launch's title has its own field and
// its targets are only targets; upstream_status is the answer's status when
// an answer came, and absent when none did.
func TestAuditFieldsSayWhatHappened(t *testing.T) {
	env := newTestEnv(t)
	env.qualys.on("POST /pci/scan/launch", http.StatusOK, `{"responseApiVersion":"V1","data":{"id":10988,"status":"Launched scan successfully"}}`)
	res := env.call(t, "qualys_launch_scan", `{"title":"Scan new v6 host 2001:db8::5","target_ips":["2001:db8::5"]}`)
	require.False(t, res.IsError, allText(res))
	env.qualys.on("POST /pci/asset/add", http.StatusInternalServerError, `{"errors":[{"message":"busy"}]}`)
	res = env.call(t, "qualys_add_hosts", `{"hosts":["203.0.113.9"]}`)
	require.True(t, res.IsError)

	lines := env.auditLines(t)
	require.Len(t, lines, 2)
	assert.Equal(t, "Scan new v6 host 2001:db8::5", lines[0].Title)
	assert.Equal(t, []string{"2001:db8::5"}, lines[0].Targets, "targets only targets")
	assert.Equal(t, 200, lines[0].UpstreamStatus, "a successful call has its answer's status")
	assert.Equal(t, 500, lines[1].UpstreamStatus)

	// No answer at all: no status.
	env.qualys.srv.Close()
	res = env.call(t, "qualys_add_hosts", `{"hosts":["203.0.113.9"]}`)
	require.True(t, res.IsError)
	env.audit.mu.Lock()
	raw := env.audit.w.String()
	env.audit.mu.Unlock()
	last := raw[strings.LastIndex(strings.TrimSuffix(raw, "\n"), "\n")+1:]
	assert.Contains(t, last, `"tool":"qualys_add_hosts"`)
	assert.NotContains(t, last, "upstream_status", last)
}
