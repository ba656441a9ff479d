package halo

import (
	"context"
	"net/url"
	"strconv"

	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// Event keys a PCI program watches. Halo's docs list the subjects ("PCI
// Report Approved", "PCI Report Rejected", "PCI Report Expires Soon", "PCI
// Report Expires Today", "PCI Report Has Expired", "Scan Started", "Scan
// Failed", "Scan Complete") but spell out only two keys:
// pci-report-expire-today and target-scan-start [doc]. The others follow
// their pattern [guess]; this block is the one place to correct them.
const (
	EventPCIReportApproved    = "pci-report-approve"
	EventPCIReportRejected    = "pci-report-reject"
	EventPCIReportExpireSoon  = "pci-report-expire-soon"
	EventPCIReportExpireToday = "pci-report-expire-today" // [doc]
	EventPCIReportExpired     = "pci-report-expire"
	EventTargetScanStarted    = "target-scan-start" // [doc]
	EventTargetScanFailed     = "target-scan-fail"
	EventTargetScanComplete   = "target-scan-complete"
)

// Event is something that happened in the account: a scan started or
// failed, a PCI report approved, rejected or expiring. Event ids are
// strings [doc].
type Event struct {
	EventID     upstream.String `json:"event_id"`
	Subject     upstream.String `json:"subject"`
	Key         upstream.String `json:"key"`
	DateCreated upstream.String `json:"date_created"`
	// URL opens the event in Halo's console.
	URL upstream.String `json:"url,omitempty"`
	// Target is the target the event is about, when there is one.
	Target *TargetSummary `json:"target,omitempty"`
}

// EventFilter narrows ListEvents; zero fields filter nothing.
type EventFilter struct {
	Key      string
	Subject  string
	TargetID int64
}

// EventList is a page of events.
type EventList struct {
	Pagination Pagination `json:"pagination"`
	Events     []Event    `json:"events"`
}

// ListEvents lists the account's events (GET event/list.json).
func (c *Client) ListEvents(ctx context.Context, f EventFilter, opts ListOptions) (*EventList, error) {
	q := opts.query()
	if f.Key != "" {
		q.Set("key", f.Key)
	}
	if f.Subject != "" {
		q.Set("subject", f.Subject)
	}
	if f.TargetID > 0 {
		q.Set("target_id", strconv.FormatInt(f.TargetID, 10))
	}
	var answer listAnswer[struct {
		Event Event `json:"event"`
	}]
	if err := c.get(ctx, "event/list.json", q, &answer); err != nil {
		return nil, err
	}
	out := &EventList{Pagination: answer.Pagination, Events: make([]Event, len(answer.List))}
	for i, item := range answer.List {
		out.Events[i] = item.Event
	}
	return out, nil
}

// GetEvent reads one event (GET event/get.json). An unknown id is refused
// with code 404, "event not found" [doc].
func (c *Client) GetEvent(ctx context.Context, eventID string) (*Event, error) {
	var answer struct {
		Event Event `json:"event"`
	}
	if err := c.get(ctx, "event/get.json", url.Values{"event_id": {eventID}}, &answer); err != nil {
		return nil, err
	}
	return &answer.Event, nil
}
