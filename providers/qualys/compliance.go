package qualys

import (
	"context"
	"net/http"

	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// Sort keys of the compliance summary [doc].
const (
	SortByIP     = "IP"
	SortByDNS    = "DNS"
	SortByStatus = "status"
)

// AssetCompliance is one asset's PCI status. The documentation names the
// content (IP, DNS host name, PCI status) but not the JSON keys; the keys
// below are our best reading [guess] and are kept in this one type.
type AssetCompliance struct {
	IP        upstream.String `json:"ip,omitempty"`
	DNS       upstream.String `json:"dns,omitempty"`
	Status    upstream.String `json:"status"`
	AssetType upstream.String `json:"assetType,omitempty"`
}

// ComplianceSummary is a page of the per-asset compliance summary.
type ComplianceSummary struct {
	Page
	Assets []AssetCompliance `json:"complianceSummaryList"`
}

// ComplianceSummary reads the per-asset PCI status (GET
// /pci/compliance/summary).
func (c *Client) ComplianceSummary(ctx context.Context, opts ListOptions) (*ComplianceSummary, error) {
	var env envelope[ComplianceSummary]
	if err := c.http.Do(ctx, upstream.Request{Effect: upstream.Read, Method: http.MethodGet, Path: "pci/compliance/summary", Query: opts.query()}, &env); err != nil {
		return nil, err
	}
	if env.Data.Assets == nil {
		env.Data.Assets = []AssetCompliance{}
	}
	return &env.Data, nil
}
