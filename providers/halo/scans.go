package halo

import (
	"context"
	"net/url"

	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// Which scans scan/list.json returns [doc].
const (
	// ScansCurrent is each target's newest scan (Halo's default).
	ScansCurrent = "current"
	// ScansRecent adds the few scans before it.
	ScansRecent = "recent"
	// ScansPrior is every scan but each target's newest.
	ScansPrior = "prior"
	// ScansAll is every scan.
	ScansAll = "all"
)

// ScanSummary is a scan as scan/list shows it, with its target.
type ScanSummary struct {
	// ScanID is a string such as "sc48290".
	ScanID upstream.String `json:"scan_id"`
	Date   upstream.String `json:"date"`
	// Status is not documented for lists; empty when Halo leaves it out.
	Status upstream.String `json:"status,omitempty"`
	Target TargetSummary   `json:"target"`
}

// ScanList is a page of scans.
type ScanList struct {
	Pagination Pagination    `json:"pagination"`
	Scans      []ScanSummary `json:"scans"`
}

// ListScans lists scans of the given kind, ScansCurrent when empty (GET
// scan/list.json).
func (c *Client) ListScans(ctx context.Context, kind string, opts ListOptions) (*ScanList, error) {
	q := opts.query()
	if kind != "" {
		q.Set("type", kind)
	}
	var answer listAnswer[struct {
		Scan   ScanSummary   `json:"scan"`
		Target TargetSummary `json:"target"`
	}]
	if err := c.get(ctx, "scan/list.json", q, &answer); err != nil {
		return nil, err
	}
	out := &ScanList{Pagination: answer.Pagination, Scans: make([]ScanSummary, len(answer.List))}
	for i, item := range answer.List {
		out.Scans[i] = item.Scan
		out.Scans[i].Target = item.Target
	}
	return out, nil
}

// Scan is one scan as scan/get shows it. Counts are keyed by severity, "0"
// (informational) to "5".
type Scan struct {
	ScanID   upstream.String `json:"scan_id,omitempty"`
	TargetID upstream.Int    `json:"target_id,omitempty"`
	Date     upstream.String `json:"date"`
	// Duration is in seconds.
	Duration upstream.Int    `json:"duration"`
	Status   upstream.String `json:"status,omitempty"`
	// IssueSeverityCount counts distinct issues by severity.
	IssueSeverityCount map[string]upstream.Int `json:"issue_severity_count,omitempty"`
	// IssueInstanceSeverityCount counts issue instances by severity.
	IssueInstanceSeverityCount map[string]upstream.Int `json:"issue_instance_severity_count,omitempty"`
}

// GetScan reads one scan (GET scan/get.json).
func (c *Client) GetScan(ctx context.Context, scanID string) (*Scan, error) {
	var answer struct {
		Scan Scan `json:"scan"`
	}
	if err := c.get(ctx, "scan/get.json", url.Values{"scan_id": {scanID}}, &answer); err != nil {
		return nil, err
	}
	return &answer.Scan, nil
}
