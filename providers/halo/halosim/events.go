package halosim

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Event keys and subjects. The subjects are Halo's [doc]; of the keys only
// pci-report-expire-today and target-scan-start are documented, the others
// follow their pattern [guess] (providers/halo/events.go holds the same
// guesses for the client).
const (
	keyScanStart        = "target-scan-start"
	keyScanComplete     = "target-scan-complete"
	keyReportApproved   = "pci-report-approve"
	keyReportRejected   = "pci-report-reject"
	keyReportExpireSoon = "pci-report-expire-soon"
	keyReportExpired    = "pci-report-expire"

	msgEventNotFound = "event not found" // [doc] code 404
)

var eventSubjects = map[string]string{
	keyScanStart:        "Scan Started",
	keyScanComplete:     "Scan Complete",
	keyReportApproved:   "PCI Report Approved",
	keyReportRejected:   "PCI Report Rejected",
	keyReportExpireSoon: "PCI Report Expires Soon",
	keyReportExpired:    "PCI Report Has Expired",
}

// event is one thing that happened in the account. Events are derived from
// the scans and reports as the clock says they happened, so they appear as
// scans finish and reports are reviewed, with no timer.
type event struct {
	id       string
	key      string
	at       time.Time
	targetID int // 0 for none
}

// eventAnswer is an event as event/list and event/get show it [doc].
type eventAnswer struct {
	EventID     string     `json:"event_id"`
	Subject     string     `json:"subject"`
	DateCreated string     `json:"date_created"`
	Key         string     `json:"key"`
	URL         string     `json:"url"`
	Target      *targetRef `json:"target,omitempty"`
}

type eventListItem struct {
	Event eventAnswer `json:"event"`
}

type eventGetAnswer struct {
	Success int         `json:"success"`
	Event   eventAnswer `json:"event"`
}

// events returns every event that has happened by now, newest first [guess:
// the documented default sort is by name, which says little for events].
// Ids are derived from what the event is about, so they never change.
func (a *account) events(now time.Time) []event {
	out := slices.Clone(a.history)
	for _, sc := range a.scans {
		if !now.Before(sc.started) {
			out = append(out, event{id: "ev-" + sc.id + "-start", key: keyScanStart, at: sc.started, targetID: sc.targetID})
		}
		if !sc.running(now) {
			out = append(out, event{id: "ev-" + sc.id + "-complete", key: keyScanComplete, at: sc.finishes, targetID: sc.targetID})
		}
	}
	for _, r := range a.reports {
		if r.reviewedAt.IsZero() || now.Before(r.reviewedAt) {
			continue
		}
		key := keyReportApproved
		if r.decision == reportRejected {
			key = keyReportRejected
		}
		out = append(out, event{id: "ev-" + strconv.Itoa(r.id) + "-" + r.decision, key: key, at: r.reviewedAt})
	}
	slices.SortStableFunc(out, func(x, y event) int {
		if c := y.at.Compare(x.at); c != 0 {
			return c
		}
		return strings.Compare(x.id, y.id)
	})
	return out
}

// answer renders e as Halo does.
func (a *account) answer(e event) eventAnswer {
	out := eventAnswer{
		EventID: e.id, Subject: eventSubjects[e.key], DateCreated: e.at.UTC().Format(dateLayout), Key: e.key,
		URL: "https://www.halosecurity.com/link?q=user-event&id=" + e.id,
	}
	if t := a.findTarget(e.targetID); t != nil {
		ref := t.ref()
		out.Target = &ref
	}
	return out
}

// eventList answers event/list.json with the documented filters key,
// subject, detail and target_id; detail matches nothing the simulator
// records [guess].
func (s *Simulator) eventList(r *http.Request, _ []byte, now time.Time) response {
	q := r.URL.Query()
	p, bad := parseListParams(q)
	if bad != nil {
		return *bad
	}
	var targetID int
	if v := strings.TrimSpace(q.Get("target_id")); v != "" {
		if targetID, bad = requiredInt(v, "target_id"); bad != nil {
			return *bad
		}
	}
	key, subject, detail := strings.TrimSpace(q.Get("key")), strings.TrimSpace(q.Get("subject")), strings.TrimSpace(q.Get("detail"))
	items := []eventListItem{}
	for _, e := range s.account.events(now) {
		switch {
		case key != "" && e.key != key,
			subject != "" && !strings.EqualFold(eventSubjects[e.key], subject),
			detail != "",
			targetID != 0 && e.targetID != targetID:
			continue
		}
		items = append(items, eventListItem{Event: s.account.answer(e)})
	}
	return ok(page(items, p, len(s.account.targets)))
}

// eventGet answers event/get.json.
func (s *Simulator) eventGet(r *http.Request, _ []byte, now time.Time) response {
	id := strings.TrimSpace(r.URL.Query().Get("event_id"))
	if id == "" {
		return badRequest(fmtParamRequired, "event_id")
	}
	for _, e := range s.account.events(now) {
		if e.id == id {
			return ok(eventGetAnswer{Success: 1, Event: s.account.answer(e)})
		}
	}
	return fail(http.StatusNotFound, codeNotFound, msgEventNotFound)
}
