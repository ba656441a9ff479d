package halosim

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// scanListItem is one scan in scan/list's list: the documented fields [doc] plus status.
type scanListItem struct {
	Scan   scanRef   `json:"scan"`
	Target targetRef `json:"target"`
}

// scanRef is a scan as scan/list shows it.
type scanRef struct {
	ScanID string `json:"scan_id"`
	Date   string `json:"date"`
	Status string `json:"status"`
}

// scanDetail is a scan as scan/get shows it: the documented fields [doc] plus scan_id,
// target_id and status, which a client needs to follow a scan [guess].
type scanDetail struct {
	ScanID                     string         `json:"scan_id"`
	TargetID                   int            `json:"target_id"`
	Date                       string         `json:"date"`
	Duration                   int            `json:"duration"`
	Status                     string         `json:"status"`
	IssueSeverityCount         map[string]int `json:"issue_severity_count"`
	IssueInstanceSeverityCount map[string]int `json:"issue_instance_severity_count"`
}

// scanGetAnswer is the body of scan/get.json [doc].
type scanGetAnswer struct {
	Scan scanDetail `json:"scan"`
}

// scanList answers scan/list.json in sort 0's order, by scan id [doc]. The type parameter
// defaults to current [doc]; what each type selects is a guess consistent with target/get:
// current is each target's newest scan (target/get's scan_id), recent adds the scans
// target/get lists as recent_scan_ids, prior is every scan but the newest per target, and
// all is every scan.
func (s *Simulator) scanList(r *http.Request, _ []byte, now time.Time) response {
	q := r.URL.Query()
	p, bad := parseListParams(q)
	if bad != nil {
		return *bad
	}
	kind := strings.TrimSpace(q.Get("type"))
	if kind == "" {
		kind = "current"
	}
	keep := map[string]func(rank int) bool{
		"current": func(rank int) bool { return rank == 0 },
		"recent":  func(rank int) bool { return rank <= recentScanCount },
		"prior":   func(rank int) bool { return rank > 0 },
		"all":     func(int) bool { return true },
	}[kind]
	if keep == nil {
		return badRequest("%s", msgTypeNotValid)
	}
	// Scan ids grow with time, so the account's start order is id order.
	items := []scanListItem{}
	for _, sc := range s.account.scans {
		if keep(s.account.scanRank(sc)) {
			items = append(items, scanListItem{
				Scan:   scanRef{ScanID: sc.id, Date: sc.started.UTC().Format(dateLayout), Status: sc.status(now)},
				Target: s.account.findTarget(sc.targetID).ref(),
			})
		}
	}
	return ok(page(items, p, len(s.account.targets)))
}

// scanGet answers scan/get.json. A running scan's duration is the time it has run so far.
func (s *Simulator) scanGet(r *http.Request, _ []byte, now time.Time) response {
	id := strings.TrimSpace(r.URL.Query().Get("scan_id"))
	if id == "" {
		return badRequest(fmtParamRequired, "scan_id")
	}
	sc := s.account.findScan(id)
	if sc == nil {
		return fail(http.StatusNotFound, codeNotFound, msgScanNotFound)
	}
	// A running scan has reported nothing yet: its counts are zero until it finishes.
	var severity, instances [6]int
	if !sc.running(now) {
		severity, instances = sc.severity, sc.instances
	}
	return ok(scanGetAnswer{Scan: scanDetail{
		ScanID: sc.id, TargetID: sc.targetID, Date: sc.started.UTC().Format(dateLayout),
		Duration: sc.duration(now), Status: sc.status(now),
		IssueSeverityCount:         severityCounts(severity),
		IssueInstanceSeverityCount: severityCounts(instances),
	}})
}

// severityCounts keys counts by severity "0" to "5", as Halo does [doc].
func severityCounts(counts [6]int) map[string]int {
	m := make(map[string]int, len(counts))
	for sev, n := range counts {
		m[strconv.Itoa(sev)] = n
	}
	return m
}
