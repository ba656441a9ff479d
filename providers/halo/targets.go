package halo

import (
	"context"
	"net/url"
	"strconv"

	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// TargetSummary is a target as lists show it.
type TargetSummary struct {
	TargetID upstream.Int `json:"target_id"`
	// Host is the host name or address Halo scans.
	Host upstream.String `json:"target"`
	// Name is the person-given label, e.g. "Storefront".
	Name upstream.String `json:"target_name"`
}

// TargetList is a page of targets.
type TargetList struct {
	Pagination Pagination      `json:"pagination"`
	Targets    []TargetSummary `json:"targets"`
}

// ListTargets lists the account's targets, by name (GET target/list.json).
func (c *Client) ListTargets(ctx context.Context, opts ListOptions) (*TargetList, error) {
	var answer listAnswer[struct {
		Target TargetSummary `json:"target"`
	}]
	if err := c.get(ctx, "target/list.json", opts.query(), &answer); err != nil {
		return nil, err
	}
	out := &TargetList{Pagination: answer.Pagination, Targets: make([]TargetSummary, len(answer.List))}
	for i, item := range answer.List {
		out.Targets[i] = item.Target
	}
	return out, nil
}

// Target is one target as target/get shows it. Dates are Halo's display
// strings ("2026-05-12 14:30").
type Target struct {
	TargetSummary
	IP          upstream.String `json:"ip,omitempty"`
	Geo         upstream.String `json:"geo,omitempty"`
	DateCreated upstream.String `json:"date_created,omitempty"`
	// ScanID is the target's newest scan, e.g. "sc48290".
	ScanID upstream.String `json:"scan_id,omitempty"`
	// RecentScanIDs are the scans before it, newest first.
	RecentScanIDs []upstream.String `json:"recent_scan_ids"`
	ScanFrequency upstream.Int      `json:"scan_frequency,omitempty"`
	ScanHour      upstream.Int      `json:"scan_hour,omitempty"`
}

// GetTarget reads one target (GET target/get.json).
func (c *Client) GetTarget(ctx context.Context, targetID int64) (*Target, error) {
	var answer struct {
		Target Target `json:"target"`
	}
	q := url.Values{"target_id": {strconv.FormatInt(targetID, 10)}}
	if err := c.get(ctx, "target/get.json", q, &answer); err != nil {
		return nil, err
	}
	answer.Target.RecentScanIDs = orEmpty(answer.Target.RecentScanIDs)
	return &answer.Target, nil
}
