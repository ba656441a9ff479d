package halosim

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// scanItem writes one scan/list entry.
func scanItem(id, date, status, target string) string {
	targets := map[string]string{
		"5":  `{"target_id":5,"target":"shop.example.com","target_name":"Storefront"}`,
		"7":  `{"target_id":7,"target":"api.example.com","target_name":"Payments API"}`,
		"9":  `{"target_id":9,"target":"2001:db8:4a7f:10::25","target_name":"VPN gateway"}`,
		"12": `{"target_id":12,"target":"blog.example.com","target_name":"Marketing blog"}`,
	}
	return `{"scan":{"scan_id":"` + id + `","date":"` + date + `","status":"` + status + `"},"target":` + targets[target] + `}`
}

func scanList(total int, items ...string) string {
	return `{"request":{"target_count":4,"sort":"0"},"pagination":{"total":` + strconv.Itoa(total) +
		`,"start":0,"limit":100},"list":[` + strings.Join(items, ",") + `]}`
}

func TestScanList(t *testing.T) {
	h := newHarness(t, Options{})
	var (
		s48120 = scanItem("sc48120", "2026-02-05 14:30", "finished", "5")
		s48121 = scanItem("sc48121", "2026-02-05 15:30", "finished", "9")
		s48202 = scanItem("sc48202", "2026-04-12 14:30", "finished", "12")
		s48211 = scanItem("sc48211", "2026-05-03 14:30", "finished", "5")
		s48215 = scanItem("sc48215", "2026-05-03 15:30", "finished", "9")
		s48290 = scanItem("sc48290", "2026-05-12 14:26", "running", "5")
		s48291 = scanItem("sc48291", "2026-05-12 14:28", "running", "7")
	)
	tests := []struct {
		name   string
		query  string
		status int
		want   string
	}{
		{"current by default", "", 200, scanList(4, s48202, s48215, s48290, s48291)},
		{"current", "type=current", 200, scanList(4, s48202, s48215, s48290, s48291)},
		{"recent", "type=recent", 200, scanList(7, s48120, s48121, s48202, s48211, s48215, s48290, s48291)},
		{"prior", "type=prior", 200, scanList(3, s48120, s48121, s48211)},
		{"all", "type=all", 200, scanList(7, s48120, s48121, s48202, s48211, s48215, s48290, s48291)},
		{"bad type", "type=latest", 400, `{"code":0,"message":"type not valid: use current, recent, prior or all"}`},
		{"bad start", "type=all&start=x", 400, `{"code":0,"message":"start not valid: must be a whole number of 0 or more"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertAnswer(t, h.get("scan/list.json?"+tt.query), tt.status, tt.want)
		})
	}

	t.Run("the pending scans finish with the clock", func(t *testing.T) {
		h.clock.Advance(testScanDelay)
		assertAnswer(t, h.get("scan/list.json?type=current"), 200, scanList(4, s48202, s48215,
			scanItem("sc48290", "2026-05-12 14:26", "finished", "5"),
			scanItem("sc48291", "2026-05-12 14:28", "finished", "7")))
	})
}

func TestScanGet(t *testing.T) {
	h := newHarness(t, Options{})
	zero := `{"0":0,"1":0,"2":0,"3":0,"4":0,"5":0}`
	tests := []struct {
		name    string
		advance time.Duration // from t0
		query   string
		status  int
		want    string
	}{
		{"vulnerable scan", 0, "scan_id=sc48211", 200, `{"scan":{"scan_id":"sc48211","target_id":5,"date":"2026-05-03 14:30",
			"duration":1800,"status":"finished","issue_severity_count":{"0":14,"1":4,"2":2,"3":1,"4":0,"5":0},
			"issue_instance_severity_count":{"0":31,"1":6,"2":2,"3":2,"4":0,"5":0}}}`},
		{"rescan running", 0, "scan_id=sc48290", 200, `{"scan":{"scan_id":"sc48290","target_id":5,"date":"2026-05-12 14:26",
			"duration":240,"status":"running","issue_severity_count":` + zero + `,"issue_instance_severity_count":` + zero + `}}`},
		{"rescan still running", testScanDelay - time.Second, "scan_id=sc48290", 200, `{"scan":{"scan_id":"sc48290","target_id":5,
			"date":"2026-05-12 14:26","duration":839,"status":"running","issue_severity_count":` + zero +
			`,"issue_instance_severity_count":` + zero + `}}`},
		{"rescan finished, TLS fixed", testScanDelay, "scan_id=sc48290", 200, `{"scan":{"scan_id":"sc48290","target_id":5,
			"date":"2026-05-12 14:26","duration":840,"status":"finished","issue_severity_count":{"0":14,"1":4,"2":2,"3":0,"4":0,"5":0},
			"issue_instance_severity_count":{"0":31,"1":6,"2":2,"3":0,"4":0,"5":0}}}`},
		{"duration stops at the finish", time.Hour, "scan_id=sc48291", 200, `{"scan":{"scan_id":"sc48291","target_id":7,
			"date":"2026-05-12 14:28","duration":720,"status":"finished","issue_severity_count":{"0":6,"1":1,"2":0,"3":0,"4":0,"5":0},
			"issue_instance_severity_count":{"0":9,"1":1,"2":0,"3":0,"4":0,"5":0}}}`},
		{"unknown", 0, "scan_id=sc1", 404, `{"code":404,"message":"scan not found"}`},
		{"missing id", 0, "", 400, `{"code":0,"message":"scan_id required"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.clock.Set(t0.Add(tt.advance))
			assertAnswer(t, h.get("scan/get.json?"+tt.query), tt.status, tt.want)
		})
	}
}

func TestScansFinishAtOnceWithANegativeDelay(t *testing.T) {
	h := newHarness(t, Options{ScanFinishesAfter: -time.Second})
	got := h.get("pci/start.json").body
	if !strings.Contains(got, `"target_ids_require_scan":[],"target_ids_has_vuln":[]`) {
		t.Errorf("start at t0 with a negative delay still has blockers: %s", got)
	}
}

func TestZeroDelayMeansTheSandboxDefault(t *testing.T) {
	clock := &fakeClock{now: t0}
	srv, err := Start(Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	h := &harness{t: t, srv: srv, clock: clock}
	for _, tt := range []struct {
		at     time.Duration
		status string
	}{{DefaultScanFinishesAfter - time.Second, "running"}, {DefaultScanFinishesAfter, "finished"}} {
		clock.Set(t0.Add(tt.at))
		if got := h.get("scan/get.json?scan_id=sc48291").body; !strings.Contains(got, `"status":"`+tt.status+`"`) {
			t.Errorf("at t0+%v: %s, want status %s", tt.at, got, tt.status)
		}
	}
}
