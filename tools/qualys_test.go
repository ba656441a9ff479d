package tools

import (
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func seedFixture(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "qualys", name))
	require.NoError(t, err)
	return string(data)
}

// TestQualysToolsReproduceSeedSamples calls each tool the way an assistant
// would and checks the request Qualys receives against the seed sample,
// field for field, and the result against the seed's answer.
func TestQualysToolsReproduceSeedSamples(t *testing.T) {
	tests := []struct {
		tool, args, route, fixture string
		wantStructured             map[string]any
	}{
		{"qualys_add_hosts", `{"hosts":["2001:0db8:85a3:0000:0000:8a2e:0370:7334"]}`, "POST /pci/asset/add", "add_hosts_ipv6",
			map[string]any{"message": "1 IP added successfully", "assets": []any{"2001:0db8:85a3:0000:0000:8a2e:0370:7334"}}},
		{"qualys_add_virtual_hosts",
			`{"virtual_hosts":[{"fqdn":"www.test.com","port":8008,"ip":"11.11.11.11","path":"/path"},{"fqdn":"www.test.com","port":8008,"ip":"2001:df1:f600:247d::a73:7de3","path":"/path"}]}`,
			"POST /pci/asset/add", "add_virtual_hosts_ipv6",
			map[string]any{"message": "2 VirtualHost added successfully", "assets": []any{"www.test.com:8008:11.11.11.11/path", "www.test.com:8008:2001:df1:f600:247d::a73:7de3/path"}}},
		{"qualys_launch_scan",
			// The seed's sample also sets targetAll, which qualys_launch_scan
			// refuses beside a list as ambiguous; the body differs only there.
			`{"title":"aa","target_ips":["10.15.20.25","2001:df1:f600:247d::a73:7de3"],"target_dns":["qas.com","fff.com","dnstest1.com"]}`,
			"POST /pci/scan/launch", "launch_scan_ipv6",
			map[string]any{"scanId": float64(10988), "status": "Launched scan successfully"}},
		{"qualys_get_scan", `{"scan_id":2185043}`, "GET /pci/scan/2185043/details", "scan_details_ipv6",
			map[string]any{"scanId": float64(2185043), "title": "aa", "startedOn": "May 26, 2025 at 06:49 AM GMT", "launchedBy": "Manoj Jaisinghani",
				"duration": "00:00:00", "activeHosts": float64(0), "launchType": "On Demand", "bandwidth": "Medium", "scanStatus": "Failed",
				"target": "1.2.3.5,10.10.10.10,...,2001:df1:f600:247d::a73:7de3", "scanType": "IP", "compliance": "Fail", "finished": true}},
	}
	for _, tt := range tests {
		t.Run(tt.tool, func(t *testing.T) {
			env := newTestEnv(t)
			env.qualys.on(tt.route, http.StatusOK, seedFixture(t, tt.fixture+".response.json"))
			res := env.call(t, tt.tool, tt.args)
			require.False(t, res.IsError, resultText(t, res))
			assert.Equal(t, tt.wantStructured, structured(t, res))
			assert.JSONEq(t, resultText(t, res), mustJSON(t, structured(t, res)), "text content mirrors structured content")

			got := env.qualys.requests()
			require.Len(t, got, 1)
			method, path, _ := strings.Cut(tt.route, " ")
			assert.Equal(t, method, got[0].Method)
			assert.Equal(t, path, got[0].Path)
			wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte(testQualysUser+":"+testQualysPassword))
			assert.Equal(t, wantAuth, got[0].Header.Get("Authorization"))
			assert.Equal(t, "V1", got[0].Header.Get("apiVersion"))
			assert.NotEmpty(t, got[0].Header.Get("X-Requested-With"))
			assert.Equal(t, "pci-mcp/test", got[0].Header.Get("User-Agent"))
			if method != http.MethodGet {
				want := seedFixture(t, tt.fixture+".request.json")
				if tt.tool == "qualys_launch_scan" {
					want = strings.Replace(want, `"targetAll": "true"`, `"targetAll": "false"`, 1)
				}
				assert.JSONEq(t, want, got[0].Body)
			}
		})
	}
}

func TestQualysListTools(t *testing.T) {
	tests := []struct {
		tool, args, route, query, body string
		wantKey                        string
	}{
		{"qualys_list_scans", `{}`, "GET /pci/scan/list", "limit=50&offset=1",
			`{"responseApiVersion":"V1","data":{"totalCount":1,"fetchRange":"1-1","scanInfoList":[{"scanId":11,"title":"Q3","status":"Finished","date":"Aug 1, 2026"}]}}`, "scanInfoList"},
		{"qualys_list_scans", `{"offset":51,"limit":10,"sort_by":"date","sort_order":"DESC"}`, "GET /pci/scan/list", "limit=10&offset=51&sortBy=date&sortOrder=DESC",
			`{"responseApiVersion":"V1","data":{"totalCount":0,"scanInfoList":[]}}`, "scanInfoList"},
		{"qualys_list_vulnerabilities", `{"limit":5}`, "GET /pci/vuln/list", "limit=5&offset=1",
			`{"responseApiVersion":"V1","data":{"totalCount":1,"merchantVulnList":[{"id":501,"qid":38170,"pciCompliant":"Fail"}]}}`, "merchantVulnList"},
		{"qualys_compliance_summary", `{"sort_by":"status","sort_order":"ASC"}`, "GET /pci/compliance/summary", "limit=50&offset=1&sortBy=status&sortOrder=ASC",
			`{"responseApiVersion":"V1","data":{"totalCount":1,"complianceSummaryList":[{"ip":"203.0.113.10","dns":"shop.example.com","status":"Pass"}]}}`, "complianceSummaryList"},
		{"qualys_get_vulnerability", `{"id":501}`, "GET /pci/vuln/501/details", "",
			`{"responseApiVersion":"V1","data":{"title":"TLS 1.0 enabled","qid":38628,"severity":3,"pciCompliant":"Fail","cveList":[{"urlText":"CVE-2011-3389"}]}}`, "cveList"},
	}
	for _, tt := range tests {
		t.Run(tt.tool+" "+tt.args, func(t *testing.T) {
			env := newTestEnv(t)
			env.qualys.on(tt.route, http.StatusOK, tt.body)
			res := env.call(t, tt.tool, tt.args)
			require.False(t, res.IsError, resultText(t, res))
			assert.Contains(t, structured(t, res), tt.wantKey)
			got := env.qualys.requests()
			require.Len(t, got, 1)
			assert.Equal(t, tt.query, got[0].RawQuery)
		})
	}
}

// TestValidationSendsNothing checks that every kind of bad argument is
// refused with the field named, and that nothing reaches Qualys.
func TestValidationSendsNothing(t *testing.T) {
	tests := []struct {
		tool, args string
		want       []string
	}{
		{"qualys_add_hosts", `{"hosts":[]}`, []string{"hosts", "must not be empty"}},
		{"qualys_add_hosts", `{}`, []string{"hosts: is required"}},
		{"qualys_add_hosts", `{"hosts":["203.0.113.5","203.0.113.300"]}`, []string{`hosts[1]`, `"203.0.113.300"`, "not an IPv4 or IPv6 address"}},
		{"qualys_add_hosts", `{"hosts":["203.0.113.9-203.0.113.1"]}`, []string{"hosts[0]", "after its end"}},
		{"qualys_add_hosts", `{"hosts":["203.0.113.1-2001:db8::1"]}`, []string{"hosts[0]", "mixes IPv4 and IPv6"}},
		{"qualys_add_hosts", `{"hosts":"203.0.113.5"}`, []string{"hosts", "must be an array, not a string"}},
		{"qualys_add_hosts", `{"hosts":[null]}`, []string{"hosts[0]", "must be a string, not null"}},
		{"qualys_add_hosts", `{"hosts":["203.0.113.5"],"host":"x"}`, []string{"host: is not an argument of this tool"}},
		{"qualys_add_hosts", `{"hosts":["` + strings.Repeat("1", 101) + `"]}`, []string{"hosts[0]", "limit is 100"}},
		{"qualys_add_hosts", `{"hosts":[` + strings.TrimSuffix(strings.Repeat(`"203.0.113.5",`, 1001), ",") + `]}`, []string{"hosts", "1001 entries", "limit is 1000"}},
		{"qualys_add_virtual_hosts", `{"virtual_hosts":[{"fqdn":"shop.example.com","port":443,"ip":"203.0.113.10"},{"fqdn":"bad_name.example.com","port":443,"ip":"203.0.113.10"}]}`,
			[]string{"virtual_hosts[1].fqdn", "not allowed in a host name"}},
		{"qualys_add_virtual_hosts", `{"virtual_hosts":[{"fqdn":"shop.example.com","port":70000,"ip":"203.0.113.10"}]}`, []string{"virtual_hosts[0].port", "at most 65535"}},
		{"qualys_add_virtual_hosts", `{"virtual_hosts":[{"fqdn":"shop.example.com","port":443}]}`, []string{"virtual_hosts[0].ip: is required"}},
		{"qualys_add_virtual_hosts", `{"virtual_hosts":[{"fqdn":"shop.example.com","port":443,"ip":"203.0.113.10","path":"no-slash"}]}`, []string{"virtual_hosts[0].path", "start with /"}},
		{"qualys_launch_scan", `{"title":"Q4"}`, []string{"target_ips", "needs targets"}},
		{"qualys_launch_scan", `{"title":"  ","target_all":true}`, []string{"title", "blank"}},
		{"qualys_launch_scan", `{"title":"Q4","target_all":true,"target_ips":["203.0.113.5"]}`,
			[]string{"target_all: true together with target_ips is ambiguous: scan every host in scope with target_all alone, or only the listed targets with target_ips and no target_all"}},
		{"qualys_launch_scan", `{"title":"Q4","target_all":true,"target_dns":["shop.example.com"]}`, []string{"target_all: true together with target_dns is ambiguous"}},
		{"qualys_launch_scan", `{"title":"Q4","target_all":true,"target_ips":["203.0.113.5"],"target_dns":["shop.example.com"]}`,
			[]string{"target_all: true together with target_ips and target_dns is ambiguous"}},
		{"qualys_launch_scan", `{"title":"Q4","target_all":true,"bandwidth":"Fast"}`, []string{"bandwidth", "Low, Medium, High"}},
		{"qualys_launch_scan", `{"title":"Q4","target_dns":["shop example.com"]}`, []string{"target_dns[0]", "not allowed in a host name"}},
		{"qualys_launch_scan", `{"title":"Q4","target_all":"yes"}`, []string{"target_all", "must be a boolean, not a string"}},
		{"qualys_get_scan", `{"scan_id":"12x"}`, []string{`scan_id: "12x" is not an id: give a whole number of at least 1, as a number or a string of digits`}},
		{"qualys_get_scan", `{"scan_id":"0"}`, []string{`scan_id: "0" is not an id`}},
		{"qualys_get_scan", `{"scan_id":true}`, []string{"scan_id: must be an integer or a string, not a boolean"}},
		{"qualys_get_scan", `{"scan_id":0}`, []string{"scan_id", "at least 1"}},
		{"qualys_get_scan", `{"scan_id":1.5}`, []string{"scan_id", "must be an integer or a string, not a number"}},
		{"qualys_list_scans", `{"limit":5000}`, []string{"limit", "at most 1000"}},
		{"qualys_list_scans", `{"offset":0}`, []string{"offset", "at least 1"}},
		{"qualys_list_scans", `{"sort_order":"up"}`, []string{"sort_order", "ASC, DESC"}},
		{"qualys_compliance_summary", `{"sort_by":"hostname"}`, []string{"sort_by", "IP, DNS, status"}},
		{"qualys_get_vulnerability", `[1,2]`, []string{"arguments must be a JSON object"}},
	}
	for _, tt := range tests {
		name := tt.tool + " " + tt.args
		if len(name) > 80 {
			name = name[:80]
		}
		t.Run(name, func(t *testing.T) {
			env := newTestEnv(t)
			res := env.call(t, tt.tool, tt.args)
			require.True(t, res.IsError)
			text := resultText(t, res)
			for _, w := range tt.want {
				assert.Contains(t, text, w)
			}
			assert.Contains(t, text, "Nothing was sent to Qualys")
			assert.Empty(t, env.qualys.requests(), "a rejected call must send nothing upstream")
		})
	}
}

func TestInvalidUTF8IsNamed(t *testing.T) {
	env := newTestEnv(t)
	// The in-process transport passes raw bytes through untouched.
	res := env.call(t, "qualys_launch_scan", "{\"title\":\"Q4 \xff\",\"target_all\":true}")
	require.True(t, res.IsError)
	assert.Contains(t, resultText(t, res), "title: contains invalid UTF-8")
	assert.Empty(t, env.qualys.requests())
}

// TestUpstreamFailuresBecomeActionableResults maps 401, 404 and 500 from
// Qualys to results a person can act on, without the credentials.
func TestUpstreamFailuresBecomeActionableResults(t *testing.T) {
	tests := []struct {
		name, tool, args, route string
		status                  int
		body                    string
		want                    []string
	}{
		{"401", "qualys_list_scans", `{}`, "GET /pci/scan/list", 401, `{"message":"Invalid credentials"}`,
			[]string{"Qualys rejected the credentials (HTTP 401)", "QUALYS_USERNAME", "QUALYS_PASSWORD", "SAML-SSO"}},
		{"404 scan", "qualys_get_scan", `{"scan_id":123}`, "GET /pci/scan/123/details", 404, `{"errors":[{"code":404,"message":"Scan does not exist"}]}`,
			[]string{"scan 123 not found", "Scan does not exist", "qualys_list_scans"}},
		{"404 vulnerability", "qualys_get_vulnerability", `{"id":77}`, "GET /pci/vuln/77/details", 404, `{}`,
			[]string{"vulnerability 77 not found", "qualys_list_vulnerabilities"}},
		{"500 read", "qualys_compliance_summary", `{}`, "GET /pci/compliance/summary", 500, `{"message":"internal failure"}`,
			[]string{"Qualys had a server error", "HTTP 500", "internal failure", "Try again"}},
		{"500 launch", "qualys_launch_scan", `{"title":"Q4","target_all":true}`, "POST /pci/scan/launch", 500, `oops`,
			[]string{"HTTP 500", "may or may not have taken effect", "qualys_list_scans"}},
		{"400 add", "qualys_add_hosts", `{"hosts":["203.0.113.5"]}`, "POST /pci/asset/add", 400, `{"errors":[{"message":"Asset limit reached"}]}`,
			[]string{"Qualys refused qualys_add_hosts (HTTP 400)", "Asset limit reached"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			env.qualys.on(tt.route, tt.status, tt.body)
			res := env.call(t, tt.tool, tt.args)
			require.True(t, res.IsError)
			text := resultText(t, res)
			for _, w := range tt.want {
				assert.Contains(t, text, w)
			}
			assert.NotContains(t, text, testQualysPassword)
			assert.Len(t, env.qualys.requests(), 1, "exactly one attempt")
		})
	}
}

func TestMutatingCallsAreAudited(t *testing.T) {
	env := newTestEnv(t)
	env.qualys.on("POST /pci/asset/add", http.StatusOK, `{"data":"2 IP added successfully"}`)
	env.qualys.on("POST /pci/scan/launch", http.StatusInternalServerError, `{}`)
	env.call(t, "qualys_add_hosts", `{"hosts":["203.0.113.5","2001:db8::5"]}`)
	env.call(t, "qualys_launch_scan", `{"title":"Q4","target_all":true}`)
	env.call(t, "qualys_add_hosts", `{"hosts":["nope"]}`)
	env.call(t, "qualys_list_scans", `{}`) // reads are not audited

	lines := env.auditLines(t)
	require.Len(t, lines, 3)
	assert.Equal(t, "qualys_add_hosts", lines[0].Tool)
	assert.Equal(t, "qualys", lines[0].Provider)
	assert.Equal(t, "default", lines[0].Account)
	assert.Equal(t, testQualysUser, lines[0].User)
	assert.Equal(t, []string{"203.0.113.5", "2001:db8::5"}, lines[0].Targets)
	assert.Equal(t, "none", lines[0].Confirmation)
	assert.Equal(t, "done", lines[0].Outcome)
	assert.NotEmpty(t, lines[0].ArgsDigest)
	assert.Equal(t, "outcome_unknown", lines[1].Outcome)
	assert.Equal(t, 500, lines[1].UpstreamStatus)
	assert.Equal(t, "invalid_arguments", lines[2].Outcome)
	assert.NotContains(t, env.audit.w.String(), testQualysPassword)
}

func TestPanicBecomesErrorResultAndServerKeepsServing(t *testing.T) {
	env := newTestEnv(t)
	// A nil client makes the handler panic; the call must come back as an
	// isError result, and the next call must work.
	env.server.AddTool(qualysListScans().Definition(), qualysListScans().bind(&Deps{Log: discardLogger()}))
	res := env.call(t, "qualys_list_scans", `{}`)
	require.True(t, res.IsError)
	assert.Contains(t, resultText(t, res), "internal error")

	env.qualys.on("GET /pci/scan/1/details", http.StatusOK, seedFixture(t, "scan_details_ipv6.response.json"))
	res = env.call(t, "qualys_get_scan", `{"scan_id":1}`)
	assert.False(t, res.IsError, resultText(t, res))
}
