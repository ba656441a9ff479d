package qualys

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

const (
	testUser     = "merchant-user"
	testPassword = "marker-password-9f3a"
)

// recorded is what the fake Qualys received.
type recorded struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

// fakeQualys answers every request with status and body, records it, and
// returns a client pointed at it.
func fakeQualys(t *testing.T, status int, body string) (*Client, *[]recorded) {
	t.Helper()
	var got []recorded
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), b})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, Username: testUser, Password: testPassword, UserAgent: "pci-mcp/test",
		Settings: upstream.Settings{MaxAttempts: 1}})
	require.NoError(t, err)
	return c, &got
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "qualys", name))
	require.NoError(t, err)
	return string(data)
}

func mustHosts(t *testing.T, entries ...string) []Host {
	t.Helper()
	h, err := ParseHosts(entries)
	require.NoError(t, err)
	return h
}

func mustVirtualHosts(t *testing.T, specs ...VirtualHostSpec) []VirtualHost {
	t.Helper()
	v, err := ParseVirtualHosts(specs)
	require.NoError(t, err)
	return v
}

// TestSeedSamples reproduces every request of the Qualys 1.6.2 notes and
// decodes every answer.
func TestSeedSamples(t *testing.T) {
	ctx := context.Background()
	vhostV4 := VirtualHostSpec{FQDN: "www.test.com", Port: 8008, IP: "11.11.11.11", Path: "/path"}
	vhostV6 := VirtualHostSpec{FQDN: "www.test.com", Port: 8008, IP: "2001:df1:f600:247d::a73:7de3", Path: "/path"}

	tests := []struct {
		name, method, path, fixture string
		call                        func(c *Client) (any, error)
		want                        any
	}{
		{"add IPv6 host", http.MethodPost, "/pci/asset/add", "add_hosts_ipv6",
			func(c *Client) (any, error) {
				return c.AddHosts(ctx, mustHosts(t, "2001:0db8:85a3:0000:0000:8a2e:0370:7334"))
			},
			&WriteResult{Message: "1 IP added successfully"}},
		{"remove IPv6 host", http.MethodDelete, "/pci/asset/delete", "remove_hosts_ipv6",
			func(c *Client) (any, error) { return c.RemoveHosts(ctx, mustHosts(t, "1e80::5c91:4831:88f9:41ef")) },
			&WriteResult{Message: "1 IP removed successfully"}},
		{"add IPv6 virtual host", http.MethodPost, "/pci/asset/add", "add_virtual_hosts_ipv6",
			func(c *Client) (any, error) { return c.AddVirtualHosts(ctx, mustVirtualHosts(t, vhostV4, vhostV6)) },
			&WriteResult{Message: "2 VirtualHost added successfully"}},
		{"remove IPv6 virtual host", http.MethodDelete, "/pci/asset/delete", "remove_virtual_hosts_ipv6",
			func(c *Client) (any, error) { return c.RemoveVirtualHosts(ctx, mustVirtualHosts(t, vhostV6, vhostV4)) },
			&WriteResult{Message: "2 VirtualHost removed successfully"}},
		{"launch scan with IPv6 targets", http.MethodPost, "/pci/scan/launch", "launch_scan_ipv6",
			func(c *Client) (any, error) {
				return c.LaunchScan(ctx, LaunchScanRequest{
					Title: "aa", TargetIPs: mustHosts(t, "10.15.20.25", "2001:df1:f600:247d::a73:7de3"),
					TargetDNS: []string{"qas.com", "fff.com", "dnstest1.com"}, TargetAll: true,
				})
			},
			&LaunchedScan{ID: 10988, Status: "Launched scan successfully"}},
		{"IPv6 scan details", http.MethodGet, "/pci/scan/2185043/details", "scan_details_ipv6",
			func(c *Client) (any, error) { return c.ScanDetails(ctx, 2185043) },
			&ScanDetails{Title: "aa", StartedOn: "May 26, 2025 at 06:49 AM GMT", LaunchedBy: "Manoj Jaisinghani",
				Duration: "00:00:00", LaunchType: "On Demand", Bandwidth: "Medium", ScanStatus: "Failed",
				Target: "1.2.3.5,10.10.10.10,...,2001:df1:f600:247d::a73:7de3", ScanType: "IP", Compliance: "Fail"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, got := fakeQualys(t, http.StatusOK, fixture(t, tt.fixture+".response.json"))
			result, err := tt.call(c)
			require.NoError(t, err)
			assert.Equal(t, tt.want, result)

			require.Len(t, *got, 1)
			req := (*got)[0]
			assert.Equal(t, tt.method, req.Method)
			assert.Equal(t, tt.path, req.Path)
			assertWireHeaders(t, req, tt.method != http.MethodGet)
			if tt.method == http.MethodGet {
				assert.Empty(t, req.Body)
				return
			}
			assert.JSONEq(t, fixture(t, tt.fixture+".request.json"), string(req.Body))
		})
	}
}

func assertWireHeaders(t *testing.T, req recorded, hasBody bool) {
	t.Helper()
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(testUser+":"+testPassword))
	assert.Equal(t, want, req.Header.Get("Authorization"))
	assert.Equal(t, "V1", req.Header.Get("apiVersion"))
	assert.NotEmpty(t, req.Header.Get("X-Requested-With"))
	assert.Equal(t, "application/json", req.Header.Get("Accept"))
	assert.Equal(t, "pci-mcp/test", req.Header.Get("User-Agent"))
	if hasBody {
		assert.Equal(t, "application/json", req.Header.Get("Content-Type"))
	} else {
		assert.Empty(t, req.Header.Get("Content-Type"))
	}
}

func TestListCalls(t *testing.T) {
	ctx := context.Background()
	opts := ListOptions{Offset: 11, Limit: 10, SortBy: "title", SortOrder: SortDescending}
	tests := []struct {
		name, path, body string
		call             func(c *Client) (any, error)
		want             any
	}{
		{"scans", "/pci/scan/list",
			`{"responseApiVersion":"V1","data":{"totalCount":12,"fetchRange":"11-12","scanInfoList":[{"scanId":"7","title":"Q3","status":"Finished","date":"Aug 1, 2026","scanType":"IP","unknownField":1}]}}`,
			func(c *Client) (any, error) { return c.ListScans(ctx, opts) },
			&ScanList{Page: Page{TotalCount: 12, FetchRange: "11-12"}, Scans: []ScanSummary{{ScanID: 7, Title: "Q3", Status: "Finished", Date: "Aug 1, 2026", ScanType: "IP"}}}},
		{"vulnerabilities", "/pci/vuln/list",
			`{"responseApiVersion":"V1","data":{"totalCount":1,"fetchRange":"1-1","merchantVulnList":[{"id":99,"qid":38170,"pciCompliant":"Fail","severity":"4"}]}}`,
			func(c *Client) (any, error) { return c.ListVulnerabilities(ctx, opts) },
			&VulnerabilityList{Page: Page{TotalCount: 1, FetchRange: "1-1"}, Vulnerabilities: []VulnerabilitySummary{{ID: 99, QID: 38170, PCICompliant: "Fail", Severity: 4}}}},
		{"compliance summary", "/pci/compliance/summary",
			`{"responseApiVersion":"V1","data":{"totalCount":0,"complianceSummaryList":null}}`,
			func(c *Client) (any, error) { return c.ComplianceSummary(ctx, opts) },
			&ComplianceSummary{Assets: []AssetCompliance{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, got := fakeQualys(t, http.StatusOK, tt.body)
			result, err := tt.call(c)
			require.NoError(t, err)
			assert.Equal(t, tt.want, result)
			require.Len(t, *got, 1)
			req := (*got)[0]
			assert.Equal(t, http.MethodGet, req.Method)
			assert.Equal(t, tt.path, req.Path)
			assert.Equal(t, "limit=10&offset=11&sortBy=title&sortOrder=DESC", req.RawQuery)
			assertWireHeaders(t, req, false)
		})
	}
}

func TestVulnerabilityDetails(t *testing.T) {
	c, got := fakeQualys(t, http.StatusOK, `{"responseApiVersion":"V1","data":{"title":"OpenSSH Vulnerability","qid":38909,"port":22,"severity":4,"pciCompliant":"Fail","cveList":[{"urlText":"CVE-2024-6387"}]}}`)
	v, err := c.VulnerabilityDetails(context.Background(), 501)
	require.NoError(t, err)
	assert.Equal(t, "/pci/vuln/501/details", (*got)[0].Path)
	assert.Equal(t, upstream.String("OpenSSH Vulnerability"), v.Title)
	assert.Equal(t, upstream.Int(22), v.Port)
	assert.Equal(t, []Reference{{URLText: "CVE-2024-6387"}}, v.CVEs)
}

func TestLaunchDefaultsAndOmittedLists(t *testing.T) {
	c, got := fakeQualys(t, http.StatusOK, `{"data":{"id":1,"status":"Launched scan successfully"}}`)
	_, err := c.LaunchScan(context.Background(), LaunchScanRequest{Title: "Quarterly", TargetAll: true})
	require.NoError(t, err)
	assert.JSONEq(t, `{"title":"Quarterly","bandwidth":"Medium","scanType":"IP","targetAll":"true","launchType":"ondemand"}`, string((*got)[0].Body))
}

func TestUpstreamErrors(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		wantMsg string
	}{
		{"404 json", http.StatusNotFound, `{"responseApiVersion":"V1","errors":[{"code":404,"message":"Scan 123 not found"}]}`, "Scan 123 not found"},
		{"401", http.StatusUnauthorized, `{"message":"Bad credentials"}`, "Bad credentials"},
		{"500 text", http.StatusInternalServerError, `Internal error`, "Internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := fakeQualys(t, tt.status, tt.body)
			_, err := c.ScanDetails(context.Background(), 123)
			ue, ok := upstream.AsError(err)
			require.True(t, ok, "%v", err)
			assert.Equal(t, tt.status, ue.StatusCode)
			assert.Equal(t, tt.wantMsg, ue.Message)
			assert.Equal(t, ProviderName, ue.Provider)
			assert.NotContains(t, err.Error(), testPassword)
		})
	}
}

func TestNewRequiresCredentials(t *testing.T) {
	_, err := New(Config{Username: "u"})
	assert.Error(t, err)
	_, err = New(Config{Username: "u", Password: "p", BaseURL: "ftp://x"})
	assert.Error(t, err)
}
