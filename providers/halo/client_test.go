package halo

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

const testAPIKey = "marker-halo-key-5e8b21"

// recorded is what the fake Halo received.
type recorded struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

// fakeHalo answers every request with status and body, records it, and
// returns a client pointed at it under /api/v1 like the real base URL.
func fakeHalo(t *testing.T, status int, body string) (*Client, func() []recorded) {
	t.Helper()
	var mu sync.Mutex
	var got []recorded
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), b})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL + "/api/v1", APIKey: testAPIKey, UserAgent: "pci-mcp/test",
		Settings: upstream.Settings{MaxAttempts: 1}})
	require.NoError(t, err)
	return c, func() []recorded {
		mu.Lock()
		defer mu.Unlock()
		return append([]recorded(nil), got...)
	}
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "halo", name))
	require.NoError(t, err)
	return string(data)
}

func assertWireHeaders(t *testing.T, req recorded, hasBody bool) {
	t.Helper()
	assert.Equal(t, testAPIKey, req.Header.Get("x-apikey"))
	assert.Equal(t, "application/json", req.Header.Get("Accept"))
	assert.Equal(t, "pci-mcp/test", req.Header.Get("User-Agent"))
	if hasBody {
		assert.Equal(t, "application/json", req.Header.Get("Content-Type"))
	} else {
		assert.Empty(t, req.Header.Get("Content-Type"))
	}
}

func ints(v ...int64) []upstream.Int {
	out := make([]upstream.Int, len(v))
	for i, n := range v {
		out[i] = upstream.Int(n)
	}
	return out
}

// TestSeedSamples reproduces every request of the Halo PCI document and
// decodes every answer.
func TestSeedSamples(t *testing.T) {
	ctx := context.Background()
	sampleReport := Report{PCIReportID: 12345, Name: "Report Name", Status: "draft", TargetCount: 1,
		AttestName: "Attest Name", AttestTitle: "Attest Title"}
	tests := []struct {
		name, method, path, query, response, request string
		call                                         func(c *Client) (any, error)
		want                                         any
	}{
		{"summary", http.MethodGet, "/api/v1/pci/summary.json", "", "summary.response.json", "",
			func(c *Client) (any, error) { return c.Summary(ctx) },
			&Summary{ReportCount: 1, LastReportID: 123, Status: "pending"}},
		{"start", http.MethodGet, "/api/v1/pci/start.json", "", "start.response.json", "",
			func(c *Client) (any, error) { return c.StartAttestation(ctx) },
			&Attestation{
				ID: "6f1c2b7e-3d4a-4e5f-8a9b-0c1d2e3f4a5b", Text: "text you must agree to",
				TargetCount: 10, TargetHostsOOS: 1,
				TargetIDsRequireScan: ints(1, 2), TargetIDsHasVuln: ints(1, 2),
				Questions: []Question{{ID: 1, Text: "question 1 text?", Type: "yesno"}},
				Notes: []Note{{ID: 1, IssueID: 100, IssueName: "XSS", TargetID: 5, TargetHost: "example.com",
					Text: "note text", Type: "note type"}},
			}},
		{"attest", http.MethodPost, "/api/v1/pci/attest.json", "", "attest.response.json", "attest.request.json",
			func(c *Client) (any, error) {
				return c.Attest(ctx, AttestRequest{
					AttestationID: "6f1c2b7e-3d4a-4e5f-8a9b-0c1d2e3f4a5b", ReportName: "Report Name",
					AttestPersonName: "Attest Name", AttestPersonTitle: "Attest Title",
					Questions: []QuestionAnswer{{QuestionID: 1, Answer: AnswerYes}},
					Notes:     []NoteAnswer{{TargetID: 1, IssueID: 2, Secure: true, Response: "your response message"}},
				})
			},
			&sampleReport},
		{"report list", http.MethodGet, "/api/v1/pci/report-list.json", "limit=100", "report_list.response.json", "",
			func(c *Client) (any, error) { return c.ListReports(ctx, ListOptions{Limit: 100}) },
			&ReportList{Pagination: Pagination{Total: 1, Start: 0, Limit: 100}, Reports: []Report{{
				PCIReportID: 127345, Name: "Report Name", Status: "draft", TargetCount: 1,
				AttestName: "Attest Name", AttestTitle: "Attest Title"}}}},
		{"report get", http.MethodGet, "/api/v1/pci/report-get.json", "pci_report_id=12345", "report_get.response.json", "",
			func(c *Client) (any, error) { return c.GetReport(ctx, 12345) },
			&ReportDetail{Report: sampleReport, TargetIDs: ints(1234), Notes: []ReportNote{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, got := fakeHalo(t, http.StatusOK, fixture(t, tt.response))
			result, err := tt.call(c)
			require.NoError(t, err)
			assert.Equal(t, tt.want, result)

			reqs := got()
			require.Len(t, reqs, 1)
			req := reqs[0]
			assert.Equal(t, tt.method, req.Method)
			assert.Equal(t, tt.path, req.Path)
			assert.Equal(t, tt.query, req.RawQuery)
			assertWireHeaders(t, req, tt.request != "")
			if tt.request == "" {
				assert.Empty(t, req.Body)
				return
			}
			assert.JSONEq(t, fixture(t, tt.request), string(req.Body))
		})
	}
}

// TestDocumentedCalls covers the target, scan and user calls with answers
// in the shapes Halo's documentation shows, numbers sent as strings where
// Halo may do so.
func TestDocumentedCalls(t *testing.T) {
	ctx := context.Background()
	page := ListOptions{Start: 20, Limit: 10}
	tests := []struct {
		name, path, query, body string
		call                    func(c *Client) (any, error)
		want                    any
	}{
		{"list targets", "/api/v1/target/list.json", "limit=10&start=20",
			`{"request":{"target_count":4,"sort":"0"},"pagination":{"total":"21","start":20,"limit":10},"list":[{"target":{"target_name":"Storefront","target_id":"5","target":"shop.example.com"}}]}`,
			func(c *Client) (any, error) { return c.ListTargets(ctx, page) },
			&TargetList{Pagination: Pagination{Total: 21, Start: 20, Limit: 10},
				Targets: []TargetSummary{{TargetID: 5, Host: "shop.example.com", Name: "Storefront"}}}},
		{"get target", "/api/v1/target/get.json", "target_id=7",
			`{"target":{"target_id":7,"target":"api.example.com","target_name":"Payments API","ip":"203.0.113.24","geo":"US-VA","date_created":"2026-05-09 14:30","scan_id":"sc48291","recent_scan_ids":null,"scan_frequency":"1","scan_hour":3,"extra":true}}`,
			func(c *Client) (any, error) { return c.GetTarget(ctx, 7) },
			&Target{TargetSummary: TargetSummary{TargetID: 7, Host: "api.example.com", Name: "Payments API"},
				IP: "203.0.113.24", Geo: "US-VA", DateCreated: "2026-05-09 14:30", ScanID: "sc48291",
				RecentScanIDs: []upstream.String{}, ScanFrequency: 1, ScanHour: 3}},
		{"list scans", "/api/v1/scan/list.json", "limit=10&start=20&type=all",
			`{"request":{},"pagination":{"total":1,"start":20,"limit":10},"list":[{"scan":{"date":"2026-05-12 14:26","scan_id":"sc48290","status":"running"},"target":{"target_id":5,"target":"shop.example.com","target_name":"Storefront"}}]}`,
			func(c *Client) (any, error) { return c.ListScans(ctx, ScansAll, page) },
			&ScanList{Pagination: Pagination{Total: 1, Start: 20, Limit: 10}, Scans: []ScanSummary{{
				ScanID: "sc48290", Date: "2026-05-12 14:26", Status: "running",
				Target: TargetSummary{TargetID: 5, Host: "shop.example.com", Name: "Storefront"}}}}},
		{"list scans, Halo's default type", "/api/v1/scan/list.json", "",
			`{"pagination":{"total":0,"start":0,"limit":100},"list":[]}`,
			func(c *Client) (any, error) { return c.ListScans(ctx, "", ListOptions{}) },
			&ScanList{Pagination: Pagination{Limit: 100}, Scans: []ScanSummary{}}},
		{"get scan", "/api/v1/scan/get.json", "scan_id=sc48211",
			`{"scan":{"date":"2026-05-03 14:30","duration":"1800","issue_severity_count":{"0":14,"1":4,"2":2,"3":"1","4":0,"5":0}}}`,
			func(c *Client) (any, error) { return c.GetScan(ctx, "sc48211") },
			&Scan{Date: "2026-05-03 14:30", Duration: 1800,
				IssueSeverityCount: map[string]upstream.Int{"0": 14, "1": 4, "2": 2, "3": 1, "4": 0, "5": 0}}},
		{"user", "/api/v1/user/me.json", "",
			`{"user":{"user_id":40213,"first_name":"Dana","last_name":"Whitfield","title":"IT Director","email":"dana.whitfield@example.com","phone":"1-555-010-4477","role":1}}`,
			func(c *Client) (any, error) { return c.User(ctx) },
			&User{UserID: 40213, FirstName: "Dana", LastName: "Whitfield", Title: "IT Director",
				Email: "dana.whitfield@example.com", Phone: "1-555-010-4477", Role: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, got := fakeHalo(t, http.StatusOK, tt.body)
			result, err := tt.call(c)
			require.NoError(t, err)
			assert.Equal(t, tt.want, result)
			reqs := got()
			require.Len(t, reqs, 1)
			assert.Equal(t, http.MethodGet, reqs[0].Method)
			assert.Equal(t, tt.path, reqs[0].Path)
			assert.Equal(t, tt.query, reqs[0].RawQuery)
			assert.Empty(t, reqs[0].Body)
			assertWireHeaders(t, reqs[0], false)
		})
	}
}

// TestSeedErrors: Halo's error bodies become *upstream.Error with Halo's
// message kept, whatever the status they come with.
func TestSeedErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, body   string
		status       int
		call         func(c *Client) error
		wantMsg      string
		wantCode     int
		wantNotFound bool
	}{
		{"start with nothing in scope", fixture(t, "start_no_targets.response.json"), http.StatusBadRequest,
			func(c *Client) error { _, err := c.StartAttestation(ctx); return err },
			"no targets in pci scope", 0, false},
		{"unknown report", fixture(t, "report_get_not_found.response.json"), http.StatusNotFound,
			func(c *Client) error { _, err := c.GetReport(ctx, 1); return err },
			"Report Not Found", 0, true},
		{"unknown attestation", fixture(t, "attest_not_found.response.json"), http.StatusNotFound,
			func(c *Client) error {
				_, err := c.Attest(ctx, AttestRequest{AttestationID: "x", ReportName: "r", AttestPersonName: "n", AttestPersonTitle: "t"})
				return err
			},
			"pci attestation not found", 0, true},
		{"error body on a 200", `{"code":0,"message":"pci_report_id not valid"}`, http.StatusOK,
			func(c *Client) error { _, err := c.GetReport(ctx, 1); return err },
			"pci_report_id not valid", 0, false},
		{"bad key", `{"code":401,"message":"invalid api key"}`, http.StatusUnauthorized,
			func(c *Client) error { _, err := c.Summary(ctx); return err },
			"invalid api key", 401, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := fakeHalo(t, tt.status, tt.body)
			err := tt.call(c)
			ue, ok := upstream.AsError(err)
			require.True(t, ok, "%v", err)
			assert.Equal(t, ProviderName, ue.Provider)
			assert.Equal(t, upstream.KindStatus, ue.Kind)
			assert.Equal(t, tt.status, ue.StatusCode)
			assert.Equal(t, tt.wantMsg, ue.Message)
			require.NotNil(t, ue.Code)
			assert.Equal(t, tt.wantCode, *ue.Code)
			assert.Equal(t, tt.wantNotFound, ue.NotFound())
			assert.Contains(t, err.Error(), tt.wantMsg)
		})
	}
}

func TestErrorBody(t *testing.T) {
	code := func(n int) *int { return &n }
	tests := []struct {
		body       string
		wantFailed bool
		wantMsg    string
		wantCode   *int
	}{
		{`{"code": 0, "message": "no targets in pci scope"}`, true, "no targets in pci scope", code(0)},
		{`{"code": "404", "message": "target not found"}`, true, "target not found", code(404)},
		{`{"code": "E12", "message": "odd code"}`, true, "odd code", nil},
		{`{"success": 1, "code": 0, "message": "done"}`, false, "", nil},
		{`{"code": 0}`, false, "", nil},
		{`{"message": "hello"}`, false, "", nil},
		{`{"report_count": 1, "status": "pending"}`, false, "", nil},
		{`[{"code": 0, "message": "x"}]`, false, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			failed, msg, gotCode := errorBody([]byte(tt.body))
			assert.Equal(t, tt.wantFailed, failed)
			assert.Equal(t, tt.wantMsg, msg)
			assert.Equal(t, tt.wantCode, gotCode)
		})
	}
}

func TestAttestWireForm(t *testing.T) {
	c, got := fakeHalo(t, http.StatusOK, fixture(t, "attest.response.json"))
	_, err := c.Attest(context.Background(), AttestRequest{
		AttestationID: "6f1c2b7e-3d4a-4e5f-8a9b-0c1d2e3f4a5b", ReportName: "Q2 & Q3 <external>",
		AttestPersonName: "Dana Whitfield", AttestPersonTitle: "IT Director",
		Questions: []QuestionAnswer{{QuestionID: 1, Answer: AnswerYes}, {QuestionID: 2, Answer: AnswerNo}},
		Notes:     []NoteAnswer{{TargetID: 9, IssueID: 20117, Secure: false, Response: "SSH is being removed."}},
	})
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":"6f1c2b7e-3d4a-4e5f-8a9b-0c1d2e3f4a5b","report_name":"Q2 & Q3 <external>",
		"attest_person_name":"Dana Whitfield","attest_person_title":"IT Director",
		"questions":[{"id":1,"answer":"yes"},{"id":2,"answer":"no"}],
		"notes":[{"target_id":"9","issue_id":"20117","secure":"0","response":"SSH is being removed."}]}`, string(got()[0].Body))

	// Without notes Halo still gets both arrays, never null.
	_, err = c.Attest(context.Background(), AttestRequest{AttestationID: "x", ReportName: "r", AttestPersonName: "n", AttestPersonTitle: "t"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":"x","report_name":"r","attest_person_name":"n","attest_person_title":"t","questions":[],"notes":[]}`, string(got()[1].Body))
}

func TestAttestRefusesBlankFieldsWithoutSending(t *testing.T) {
	c, got := fakeHalo(t, http.StatusOK, fixture(t, "attest.response.json"))
	_, err := c.Attest(context.Background(), AttestRequest{AttestationID: "x", ReportName: " ", AttestPersonName: "n", AttestPersonTitle: "t"})
	assert.Error(t, err)
	assert.Empty(t, got())
}

func TestAPIKeyNeverInErrors(t *testing.T) {
	// A gateway that echoes the request's key in its error page must not get
	// it into our error text.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"code":403,"message":"key `+r.Header.Get("x-apikey")+` is disabled"}`)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, APIKey: testAPIKey, Settings: upstream.Settings{MaxAttempts: 1}})
	require.NoError(t, err)
	_, err = c.Summary(context.Background())
	require.Error(t, err)
	assert.NotContains(t, err.Error(), testAPIKey)
	assert.Contains(t, err.Error(), upstream.Redacted)
	assert.Equal(t, upstream.Redacted, c.Redactor().Redact(testAPIKey))
}

func TestUsernameAfterUser(t *testing.T) {
	c, _ := fakeHalo(t, http.StatusOK, `{"user":{"user_id":40213,"name":"Dana Whitfield","first_name":"Dana","last_name":"Whitfield","email":"dana.whitfield@example.com"}}`)
	assert.Empty(t, c.Username(), "unknown before the first lookup")
	_, err := c.User(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "Dana Whitfield <dana.whitfield@example.com>", c.Username())
}

func TestNew(t *testing.T) {
	_, err := New(Config{})
	assert.Error(t, err, "the key is required")
	_, err = New(Config{APIKey: "k", BaseURL: "ftp://x"})
	assert.Error(t, err)
	c, err := New(Config{APIKey: testAPIKey})
	require.NoError(t, err)
	assert.NotNil(t, c)
}
