package halosim

import (
	"net/http"
	"time"
)

// recentScanCount is how many earlier scans target/get lists; the documentation sample shows
// five [doc].
const recentScanCount = 5

// targetRef is a target as lists show it [doc].
type targetRef struct {
	TargetID   int    `json:"target_id"`
	Target     string `json:"target"`
	TargetName string `json:"target_name"`
}

// targetListItem wraps each target in target/list's list [doc].
type targetListItem struct {
	Target targetRef `json:"target"`
}

// targetDetail is a target as target/get shows it: the documented fields [doc] plus
// pci_scope, whose name and type are a guess.
type targetDetail struct {
	TargetID      int      `json:"target_id"`
	Target        string   `json:"target"`
	TargetName    string   `json:"target_name"`
	IP            string   `json:"ip"`
	Geo           string   `json:"geo"`
	DateCreated   string   `json:"date_created"`
	ScanID        string   `json:"scan_id"`
	RecentScanIDs []string `json:"recent_scan_ids"`
	ScanFrequency int      `json:"scan_frequency"`
	ScanHour      int      `json:"scan_hour"`
	PCIScope      bool     `json:"pci_scope"`
}

// targetGetAnswer is the body of target/get.json [doc].
type targetGetAnswer struct {
	Target targetDetail `json:"target"`
}

// ref is the target as lists show it.
func (t *target) ref() targetRef {
	return targetRef{TargetID: t.id, Target: t.host, TargetName: t.name}
}

// targetList answers target/list.json in sort 0's order, by name [doc].
func (s *Simulator) targetList(r *http.Request, _ []byte, _ time.Time) response {
	p, bad := parseListParams(r.URL.Query())
	if bad != nil {
		return *bad
	}
	items := make([]targetListItem, len(s.account.targets))
	for i, t := range s.account.targetsByName() {
		items[i] = targetListItem{Target: t.ref()}
	}
	return ok(page(items, p, len(s.account.targets)))
}

// targetGet answers target/get.json. scan_id is the target's newest scan, running or not, so
// a client can follow it to the end; recent_scan_ids are the ones before it, newest first
// [guess: the documentation shows the fields, not what they hold].
func (s *Simulator) targetGet(r *http.Request, _ []byte, _ time.Time) response {
	id, bad := requiredInt(r.URL.Query().Get("target_id"), "target_id")
	if bad != nil {
		return *bad
	}
	t := s.account.findTarget(id)
	if t == nil {
		return fail(http.StatusNotFound, codeNotFound, msgTargetNotFound)
	}
	d := targetDetail{
		TargetID: t.id, Target: t.host, TargetName: t.name, IP: t.ip, Geo: t.geo,
		DateCreated: t.created.UTC().Format(dateLayout), RecentScanIDs: []string{},
		// 1 is the documentation sample's value; what the numbers mean is undocumented [guess].
		ScanFrequency: 1, ScanHour: t.scanHour, PCIScope: t.inPCIScope,
	}
	scans := s.account.scansOf(t.id)
	if len(scans) > 0 {
		d.ScanID = scans[0].id
		for _, sc := range scans[1:min(len(scans), recentScanCount+1)] {
			d.RecentScanIDs = append(d.RecentScanIDs, sc.id)
		}
	}
	return ok(targetGetAnswer{Target: d})
}
