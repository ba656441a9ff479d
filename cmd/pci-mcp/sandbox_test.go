package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stdioSession is an MCP client speaking to the built binary over stdio.
type stdioSession struct {
	c      *client.Client
	stderr *lockedBuffer
	done   chan struct{}
}

func startStdio(t *testing.T, environ []string, args ...string) *stdioSession {
	t.Helper()
	bin, err := buildBinary()
	require.NoError(t, err)
	c, err := client.NewStdioMCPClient(bin, environ, args...)
	require.NoError(t, err)
	s := &stdioSession{c: c, stderr: &lockedBuffer{}, done: make(chan struct{})}
	pipe, ok := client.GetStderr(c)
	require.True(t, ok)
	go func() {
		defer close(s.done)
		_, _ = io.Copy(s.stderr, pipe)
	}()
	t.Cleanup(func() { _ = c.Close() })

	var init mcp.InitializeRequest
	init.Params.ClientInfo = mcp.Implementation{Name: "sandbox-test", Version: "1"}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	_, err = c.Initialize(context.Background(), init)
	require.NoError(t, err)
	return s
}

// call calls a tool and returns its structured content; the call must not
// be an error.
func (s *stdioSession) call(t *testing.T, name string, args map[string]any) map[string]any {
	t.Helper()
	var req mcp.CallToolRequest
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := s.c.CallTool(context.Background(), req)
	require.NoError(t, err)
	require.False(t, res.IsError, "%s: %v", name, res.Content)
	var out map[string]any
	data, err := json.Marshal(res.StructuredContent)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &out))
	return out
}

// logs closes the session and returns everything it logged.
func (s *stdioSession) logs(t *testing.T) string {
	require.NoError(t, s.c.Close())
	<-s.done
	return s.stderr.String()
}

// inScope lists the addresses and names the compliance summary shows.
func inScope(summary map[string]any) []string {
	var out []string
	for _, e := range summary["complianceSummaryList"].([]any) {
		entry := e.(map[string]any)
		name := entry["ip"].(string)
		if dns, ok := entry["dns"].(string); ok && dns != "" {
			name = dns + "@" + name
		}
		out = append(out, name)
	}
	return out
}

// TestSandboxQuarterOverStdio walks one PCI quarter through a real MCP client
// against `pci-mcp --sandbox` as a subprocess: scope with IPv6, scan,
// findings, compliance, removals, and the Halo attestation and its report.
// The client has no elicitation, so the removals and the attestation are
// confirmed through the token path. Real credentials in the environment are
// ignored, and never logged.
func TestSandboxQuarterOverStdio(t *testing.T) {
	s := startStdio(t, []string{
		"QUALYS_USERNAME=real-merchant", "QUALYS_PASSWORD=" + markerPassword, "QUALYS_PCI_URL=http://127.0.0.1:9",
		"HALO_API_KEY=" + markerHaloKey, "HALO_API_URL=http://127.0.0.1:9/api/v1",
		"PCI_MCP_LOG_FORMAT=json",
	}, "--sandbox", "--sandbox-scan-phase", "0s")

	out := s.call(t, "qualys_add_hosts", map[string]any{"hosts": []string{"2001:db8:5ca::10"}})
	assert.Equal(t, "1 IP added successfully", out["message"])
	out = s.call(t, "qualys_add_virtual_hosts", map[string]any{"virtual_hosts": []map[string]any{
		{"fqdn": "pay.example.com", "port": 443, "ip": "2001:db8:5ca::10", "path": "/checkout"},
	}})
	assert.Equal(t, "1 VirtualHost added successfully", out["message"])

	out = s.call(t, "qualys_launch_scan", map[string]any{"title": "Q4 external PCI scan", "target_ips": []string{"2001:db8:5ca::10"}, "target_dns": []string{"pay.example.com"}})
	scanID := out["scanId"]
	assert.EqualValues(t, 10988, scanID)
	// With --sandbox-scan-phase 0 the scan is finished as soon as it is
	// launched; how it moves through the statuses on a clock is qualyssim's
	// own test.
	scan := s.call(t, "qualys_get_scan", map[string]any{"scan_id": scanID})
	assert.Equal(t, "Finished", scan["scanStatus"])
	assert.Contains(t, []any{"Pass", "Fail"}, scan["compliance"])

	vulns := s.call(t, "qualys_list_vulnerabilities", map[string]any{"limit": 100})
	require.NotEmpty(t, vulns["merchantVulnList"])
	first := vulns["merchantVulnList"].([]any)[0].(map[string]any)
	detail := s.call(t, "qualys_get_vulnerability", map[string]any{"id": first["id"]})
	assert.NotEmpty(t, detail["solution"])

	summary := s.call(t, "qualys_compliance_summary", map[string]any{"limit": 100})
	assert.Contains(t, inScope(summary), "2001:db8:5ca::10")
	assert.Contains(t, inScope(summary), "pay.example.com@2001:db8:5ca::10")

	// The removal: the first call sends nothing and returns a token...
	remove := map[string]any{"virtual_hosts": []map[string]any{
		{"fqdn": "pay.example.com", "port": 443, "ip": "2001:db8:5ca::10", "path": "/checkout"},
	}}
	asked := s.call(t, "qualys_remove_virtual_hosts", remove)
	assert.Equal(t, "confirmation_required", asked["status"])
	preview := asked["preview"].(map[string]any)
	assert.Equal(t, "sandbox-merchant", preview["user"], "the sandbox account, not the one in the environment")
	token, _ := asked["confirmation_token"].(string)
	require.NotEmpty(t, token)
	summary = s.call(t, "qualys_compliance_summary", map[string]any{"limit": 100})
	assert.Contains(t, inScope(summary), "pay.example.com@2001:db8:5ca::10", "nothing was removed yet")

	// ...and the same call with the token, once the user agreed, executes.
	remove["confirmation_token"] = token
	done := s.call(t, "qualys_remove_virtual_hosts", remove)
	assert.Equal(t, "done", done["status"])
	assert.Equal(t, "token", done["confirmed_by"])
	summary = s.call(t, "qualys_compliance_summary", map[string]any{"limit": 100})
	assert.NotContains(t, inScope(summary), "pay.example.com@2001:db8:5ca::10")
	assert.Contains(t, inScope(summary), "2001:db8:5ca::10", "only the virtual host was removed")

	// Same for the host itself.
	asked = s.call(t, "qualys_remove_hosts", map[string]any{"hosts": []string{"2001:db8:5ca::10"}})
	require.Equal(t, "confirmation_required", asked["status"])
	done = s.call(t, "qualys_remove_hosts", map[string]any{"hosts": []string{"2001:DB8:5CA:0::10"}, "confirmation_token": asked["confirmation_token"]})
	assert.Equal(t, "done", done["status"], "the same address, spelt differently, is the same request")
	summary = s.call(t, "qualys_compliance_summary", map[string]any{"limit": 100})
	assert.NotContains(t, inScope(summary), "2001:db8:5ca::10")

	// Halo: the quarter's attestation. With scans finishing at once, nothing
	// blocks it.
	status := s.call(t, "halo_pci_summary", nil)
	assert.NotEmpty(t, status)
	started := s.call(t, "halo_pci_start_attestation", nil)
	assert.Equal(t, true, started["can_attest"], started["summary"])
	assert.NotEmpty(t, started["attestation_id"])
	assert.Len(t, started["questions"], 4)
	assert.Len(t, started["notes"], 2)

	// The attestation is confirmed through the token path too: the first
	// call returns the signed statement to show and sends nothing.
	var attest map[string]any
	require.NoError(t, json.Unmarshal([]byte(attestArgs(started["attestation_id"].(string))), &attest))
	asked = s.call(t, "halo_pci_attest", attest)
	require.Equal(t, "confirmation_required", asked["status"])
	assert.Equal(t, "Dana Whitfield", asked["preview"].(map[string]any)["attest_person_name"])
	reports := s.call(t, "halo_pci_list_reports", nil)
	assert.EqualValues(t, 2, reports["pagination"].(map[string]any)["total"], "no report yet")
	attest["confirmation_token"] = asked["confirmation_token"]
	done = s.call(t, "halo_pci_attest", attest)
	require.Equal(t, "done", done["status"])
	report := done["result"].(map[string]any)
	assert.EqualValues(t, 127346, report["pci_report_id"])
	reports = s.call(t, "halo_pci_list_reports", nil)
	assert.EqualValues(t, 3, reports["pagination"].(map[string]any)["total"])
	got := s.call(t, "halo_pci_get_report", map[string]any{"pci_report_id": 127346})
	assert.Equal(t, "2026 Q4 external ASV scan", got["name"])

	logs := s.logs(t)
	assert.Contains(t, logs, "SANDBOX MODE")
	assert.Contains(t, logs, "no real Qualys or Halo account is touched")
	assert.Contains(t, logs, `"ignored":"QUALYS_USERNAME,QUALYS_PASSWORD,QUALYS_PCI_URL,HALO_API_KEY,HALO_API_URL"`)
	assert.NotContains(t, logs, markerPassword)
	assert.NotContains(t, logs, markerHaloKey)
}

func TestSandboxFromTheEnvironment(t *testing.T) {
	code, stdout, stderr := runCall(t, env("PCI_MCP_SANDBOX", "true"), "", "qualys_list_scans")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "Q2 2025 external PCI scan", "the demo merchant's scan")
	assert.Contains(t, stderr, "SANDBOX MODE")
	assert.NotContains(t, stderr, "ignores", "no real settings to ignore")
}

func TestSandboxUsageErrors(t *testing.T) {
	code, _, stderr := runMain(t, env(), "--sandbox", "--sandbox-scan-phase", "-1s")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--sandbox-scan-phase must not be negative")

	code, _, stderr = runMain(t, env("PCI_MCP_SANDBOX", "sure"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "PCI_MCP_SANDBOX")
}

func TestHelpListsTheSandboxAndTheCommands(t *testing.T) {
	code, stdout, _ := runMain(t, env(), "help")
	assert.Equal(t, exitOK, code)
	for _, want := range []string{"--sandbox ", "PCI_MCP_SANDBOX]", "--sandbox-scan-phase duration", "PCI_MCP_SANDBOX_SCAN_PHASE", "pci-mcp tools [--json]", "pci-mcp call TOOL [ARGS]"} {
		assert.Contains(t, stdout, want)
	}
}

// TestDemoScript runs `make demo`'s script against the built binary, with
// scans that finish at once, through one sandbox server on Streamable HTTP.
func TestDemoScript(t *testing.T) {
	bin, err := buildBinary()
	require.NoError(t, err)
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("the demo is a bash script and there is no bash")
	}
	cmd := exec.Command("../../.ci/demo")
	cmd.Env = append(os.Environ(), "PCI_MCP="+bin, "DEMO_PHASE=0s", "DEMO_LOG="+filepath.Join(t.TempDir(), "server.log"))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, want := range []string{
		"1 IP added successfully", "1 VirtualHost added successfully",
		"pci-mcp call qualys_wait_for_scan", `"scanStatus": "Finished"`, `"finished": true`,
		"pci-mcp call qualys_compliance_report", `"nonCompliantIps"`,
		`"merchantVulnList"`, `"complianceSummaryList"`, "nothing blocks attesting now",
		"$ pci-mcp call --account sandbox-eu qualys_compliance_summary", `"account": "sandbox-eu"`, `"ip": "198.51.100.20"`,
		"Confirmed with --yes.", `"status": "done"`, `"pci_report_id": 127346`,
		"report 127346: approved", `"event_id": "ev-127346-approved"`,
		"Done: one quarter, scoped, scanned, reviewed and attested, in the sandbox.",
	} {
		assert.Contains(t, string(out), want)
	}
}

// TestSandboxFailingStartSaysOnlyWhy: a configuration error in sandbox
// mode is the only thing said; the sandbox banner comes once the
// configuration is accepted.
func TestSandboxFailingStartSaysOnlyWhy(t *testing.T) {
	code, _, stderr := runMain(t, env("PCI_MCP_AUDIT_LOG", t.TempDir()), "--sandbox")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "PCI_MCP_AUDIT_LOG: audit log")
	assert.NotContains(t, stderr, "SANDBOX MODE")
}
