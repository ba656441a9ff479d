package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/providers/halo/halosim"
	"github.com/pci-mcp/pci-mcp/providers/qualys/qualyssim"
	"github.com/pci-mcp/pci-mcp/tools"
)

// This file is issue #7's "no secret ever shown" test: every tool, its
// error paths, against simulators and hostile fakes, on every transport,
// with marker credentials — and not one marker, nor the Basic-auth encoding
// of the Qualys credentials, in any log line, tool result, error or audit
// line.

const secretQualysUser = "merchant-secret-test"

// secretMarkers are every configured secret and the forms they travel in.
func secretMarkers() []string {
	return []string{
		markerPassword, markerHaloKey, markerAuthToken, markerStateKey,
		base64.StdEncoding.EncodeToString([]byte(secretQualysUser + ":" + markerPassword)),
		// The accounts file's merchants (accounts_test.go).
		markerEUPassword, markerHalo2APIKey,
		base64.StdEncoding.EncodeToString([]byte(secretEUUser + ":" + markerEUPassword)),
	}
}

// secretCall is one call the sweep makes, valid or not.
type secretCall struct {
	tool string
	args string
}

// sweepCalls calls every tool with valid arguments, and the error paths:
// invalid arguments, unknown ids, tokens that do not verify.
func sweepCalls() []secretCall {
	return []secretCall{
		{"qualys_add_hosts", `{"hosts":["2001:db8:77::10","203.0.113.77"]}`},
		{"qualys_add_hosts", `{"hosts":["not-an-address"]}`},
		{"qualys_add_virtual_hosts", `{"virtual_hosts":[{"fqdn":"pay.example.net","port":443,"ip":"2001:db8:77::10","path":"/pay"}]}`},
		{"qualys_add_virtual_hosts", `{"virtual_hosts":[{"fqdn":"bad_name","port":0,"ip":"x"}]}`},
		{"qualys_remove_hosts", `{"hosts":["203.0.113.77"]}`},
		{"qualys_remove_hosts", `{"hosts":["203.0.113.77"],"confirmation_token":"pcimcp1.forged.token"}`},
		{"qualys_remove_virtual_hosts", `{"virtual_hosts":[{"fqdn":"pay.example.net","port":443,"ip":"2001:db8:77::10","path":"/pay"}]}`},
		{"qualys_launch_scan", `{"title":"Q4 secrets sweep","target_ips":["2001:db8:77::10"],"target_dns":["pay.example.net"]}`},
		{"qualys_launch_scan", `{"title":"Q4"}`},
		{"qualys_get_scan", `{"scan_id":10987}`},
		{"qualys_get_scan", `{"scan_id":999999}`},
		{"qualys_list_scans", `{"limit":5,"sort_order":"DESC"}`},
		{"qualys_list_vulnerabilities", `{}`},
		{"qualys_get_vulnerability", `{"id":7340001}`},
		{"qualys_get_vulnerability", `{"id":1}`},
		{"qualys_compliance_summary", `{"sort_by":"status"}`},
		{"halo_pci_summary", `{}`},
		{"halo_pci_start_attestation", `{}`},
		{"halo_pci_list_reports", `{"limit":10}`},
		{"halo_pci_get_report", `{"pci_report_id":127345}`},
		{"halo_pci_get_report", `{"pci_report_id":1}`},
		{"halo_list_targets", `{}`},
		{"halo_get_target", `{"target_id":5}`},
		{"halo_get_target", `{"target_id":424242}`},
		{"halo_list_scans", `{"type":"all"}`},
		{"halo_get_scan", `{"scan_id":"sc48120"}`},
		{"halo_pci_attest", `{"attestation_id":"977b8ab9-417a-45a5-a689-6768f4680b0d","report_name":"Q4","attest_person_name":"Dana Whitfield",` +
			`"attest_person_title":"IT Director","questions":[{"id":1,"answer":"yes"}],"notes":[]}`},
		{"halo_pci_attest", `{"attestation_id":"not-a-uuid","report_name":"Q4","attest_person_name":"D","attest_person_title":"T","questions":[],"notes":[]}`},
	}
}

// sweep makes every call on c, confirming each guarded one through the
// token route, and returns everything the client saw.
func sweep(t *testing.T, c *client.Client) string {
	t.Helper()
	return sweepAccounts(t, c, nil)
}

// sweepAccounts is sweep with each call naming the account accounts gives
// for its provider ("qualys", "halo"), when it gives one.
func sweepAccounts(t *testing.T, c *client.Client, accounts map[string]string) string {
	t.Helper()
	var seen strings.Builder
	record := func(res *mcp.CallToolResult, err error) *mcp.CallToolResult {
		if err != nil {
			fmt.Fprintf(&seen, "error: %v\n", err)
			return nil
		}
		data, _ := json.Marshal(res)
		seen.Write(data)
		seen.WriteByte('\n')
		return res
	}
	ctx := context.Background()
	for _, call := range sweepCalls() {
		var req mcp.CallToolRequest
		req.Params.Name = call.tool
		provider, _, _ := strings.Cut(call.tool, "_")
		if name := accounts[provider]; name != "" {
			call.args = `{"account":"` + name + `",` + strings.TrimPrefix(call.args, "{")
			call.args = strings.Replace(call.args, ",}", "}", 1)
		}
		req.Params.Arguments = json.RawMessage(call.args)
		res := record(c.CallTool(ctx, req))
		if res == nil || res.IsError {
			continue
		}
		// The token route's second call, with the token the first returned.
		var out struct {
			Token string `json:"confirmation_token"`
		}
		data, _ := json.Marshal(res.StructuredContent)
		if json.Unmarshal(data, &out) == nil && out.Token != "" {
			req.Params.Arguments = json.RawMessage(strings.TrimSuffix(call.args, "}") + `,"confirmation_token":"` + out.Token + `"}`)
			record(c.CallTool(ctx, req))
		}
	}
	list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	require.NoError(t, err)
	require.Len(t, list.Tools, len(tools.Catalog()), "the sweep covers every tool")
	return seen.String()
}

// upstreams is where the providers point: the simulators with the marker
// credentials, or fakes that misbehave in every way that could echo them.
type upstreams struct {
	name      string
	qualysURL string
	haloURL   string
}

func simulatorUpstreams(t *testing.T) upstreams {
	q, err := qualyssim.Start(qualyssim.Options{Username: secretQualysUser, Password: markerPassword, QueuedFor: -1, RunningFor: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = q.Close() })
	h, err := halosim.Start(halosim.Options{APIKey: markerHaloKey, ScanFinishesAfter: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close() })
	return upstreams{"simulators", q.URL, h.URL}
}

// hostileUpstreams answers every request with an error that quotes the
// request's own credentials back: in HTML, in JSON messages, in a 2xx error
// body, and as a 401.
func hostileUpstreams(t *testing.T) upstreams {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		echo := r.Header.Get("Authorization") + " " + r.Header.Get("X-Apikey")
		if user, pass, ok := r.BasicAuth(); ok {
			echo += " " + user + ":" + pass
		}
		switch n.Add(1) % 5 {
		case 0:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "<html><body><h1>502</h1><pre>%s</pre></body></html>", echo)
		case 1:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"code":401,"message":"bad credentials %s"}`, echo)
		case 2:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"code":0,"message":"refused for %s"}`, echo)
		case 3:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, `{"errors":[{"message":"%s"}]}`, echo)
		default:
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, "invalid request from %s", echo)
		}
	}))
	t.Cleanup(srv.Close)
	return upstreams{"hostile fakes", srv.URL, srv.URL + "/api/v1"}
}

// secretEnv configures both providers with the markers, the server's own
// secrets, an audit file and debug logs.
func secretEnv(u upstreams, auditPath, logFormat string) func(string) string {
	return env(
		"QUALYS_USERNAME", secretQualysUser, "QUALYS_PASSWORD", markerPassword, "QUALYS_PCI_URL", u.qualysURL,
		"HALO_API_KEY", markerHaloKey, "HALO_API_URL", u.haloURL,
		"PCI_MCP_AUTH_TOKEN", markerAuthToken, "PCI_MCP_STATE_KEY", markerStateKey,
		"PCI_MCP_AUDIT_LOG", auditPath, "PCI_MCP_LOG_LEVEL", "debug", "PCI_MCP_LOG_FORMAT", logFormat,
		"PCI_MCP_UPSTREAM_TIMEOUT", "5s",
	)
}

// TestNoSecretIsEverShown runs the sweep on every transport against the
// simulators and the hostile fakes, and in sandbox mode, and searches all
// the client saw, every log line and every audit line for the markers.
func TestNoSecretIsEverShown(t *testing.T) {
	type transportCase struct {
		name    string
		connect func(t *testing.T, getenv func(string) string, args ...string) (*client.Client, func() string)
	}
	transports := []transportCase{
		{"stdio", connectStdioInProcess},
		{"http/2025-11-25", httpConnector("http", mcp.LATEST_LEGACY_PROTOCOL_VERSION)},
		{"http/2026-07-28", httpConnector("http", mcp.LATEST_PROTOCOL_VERSION)},
		{"sse", httpConnector("sse", "")},
	}
	for _, tr := range transports {
		for _, makeUpstreams := range []func(*testing.T) upstreams{simulatorUpstreams, hostileUpstreams} {
			u := makeUpstreams(t)
			t.Run(tr.name+"/"+u.name, func(t *testing.T) {
				auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
				logFormat := "json"
				if strings.HasPrefix(tr.name, "http") {
					logFormat = "text"
				}
				c, logs := tr.connect(t, secretEnv(u, auditPath, logFormat))
				seen := sweep(t, c)
				require.NoError(t, c.Close())
				audit, err := os.ReadFile(auditPath)
				require.NoError(t, err)
				require.NotEmpty(t, audit, "mutating calls were audited")
				assertNoSecret(t, "tool results and errors", seen)
				assertNoSecret(t, "log lines", logs())
				assertNoSecret(t, "audit lines", string(audit))
				if u.name == "hostile fakes" {
					require.Contains(t, seen, "[REDACTED]", "the fakes' echoes were scrubbed, not absent")
				}
			})
		}
	}
	// Every account of a several-merchant configuration: the file's and
	// the environment's, each with its own marker secrets.
	for _, tr := range transports[:2] {
		for _, makeUpstreams := range []func(*testing.T) upstreams{simulatorUpstreams, hostileUpstreams} {
			u := makeUpstreams(t)
			t.Run(tr.name+"/accounts/"+u.name, func(t *testing.T) {
				auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
				f := &accountsFixture{file: writeAccountsFile(t, u.qualysURL, u.haloURL)}
				if u.name == "simulators" {
					f = newAccountsFixture(t)
				}
				c, logs := tr.connect(t, f.accountsEnv(secretEnv(u, auditPath, "json")))
				var seen strings.Builder
				for _, accounts := range []map[string]string{{"qualys": "acme-eu", "halo": "acme-2"}, {"qualys": "default", "halo": "default"}} {
					seen.WriteString(sweepAccounts(t, c, accounts))
				}
				require.NoError(t, c.Close())
				audit, err := os.ReadFile(auditPath)
				require.NoError(t, err)
				require.Contains(t, string(audit), `"account":"acme-eu"`)
				require.Contains(t, string(audit), `"account":"default"`)
				assertNoSecret(t, "tool results and errors", seen.String())
				assertNoSecret(t, "log lines", logs())
				assertNoSecret(t, "audit lines", string(audit))
				if u.name == "hostile fakes" {
					require.Contains(t, seen.String(), "[REDACTED]", "the fakes' echoes were scrubbed, not absent")
				}
			})
		}
	}
	t.Run("sandbox", func(t *testing.T) {
		auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
		getenv := secretEnv(upstreams{}, auditPath, "json")
		c, logs := connectStdioInProcess(t, getenv, "--sandbox", "--sandbox-scan-phase", "0")
		seen := sweep(t, c)
		require.NoError(t, c.Close())
		audit, _ := os.ReadFile(auditPath)
		assertNoSecret(t, "tool results and errors", seen)
		assertNoSecret(t, "log lines", logs())
		assertNoSecret(t, "audit lines", string(audit))
	})
}

func assertNoSecret(t *testing.T, where, text string) {
	t.Helper()
	for _, secret := range secretMarkers() {
		if i := strings.Index(text, secret); i >= 0 {
			start := max(0, i-80)
			t.Errorf("a secret appears in the %s: …%s…", where, text[start:min(len(text), i+len(secret)+40)])
		}
	}
}

// connectStdioInProcess runs pci-mcp through run() on pipes, as a client
// launching it over stdio would, and connects mcp-go's client to them.
func connectStdioInProcess(t *testing.T, getenv func(string) string, args ...string) (*client.Client, func() string) {
	t.Helper()
	serverIn, clientOut := io.Pipe()
	clientIn, serverOut := io.Pipe()
	stderr := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, append([]string{"pci-mcp"}, args...), getenv, serverIn, serverOut, stderr)
		_ = serverOut.Close()
	}()
	c := client.NewClient(transport.NewIO(clientIn, clientOut, nil))
	t.Cleanup(func() {
		_ = clientOut.Close()
		cancel()
		select {
		case <-exit:
		case <-time.After(30 * time.Second):
			t.Error("pci-mcp did not stop")
		}
	})
	initialize(t, c, mcp.LATEST_LEGACY_PROTOCOL_VERSION)
	return c, stderr.String
}

// httpConnector serves pci-mcp on the transport and connects to it with the
// bearer token.
func httpConnector(transportName, version string) func(t *testing.T, getenv func(string) string, args ...string) (*client.Client, func() string) {
	return func(t *testing.T, getenv func(string) string, args ...string) (*client.Client, func() string) {
		t.Helper()
		s := startServer(t, getenv, append([]string{"--transport", transportName}, args...)...)
		if transportName == "sse" {
			return connectSSE(t, s.url, markerAuthToken), s.stderr.String
		}
		return connectStreamable(t, s.url, markerAuthToken, version, nil), s.stderr.String
	}
}
