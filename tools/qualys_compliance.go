package tools

import (
	"context"

	"github.com/pci-mcp/pci-mcp/providers/qualys"
)

// complianceSummaryInput pages and sorts the compliance summary.
type complianceSummaryInput struct {
	pageInput
	SortBy    string `json:"sort_by,omitempty" jsonschema:"enum=IP,enum=DNS,enum=status"`
	SortOrder string `json:"sort_order,omitempty" jsonschema:"enum=ASC,enum=DESC"`
}

func (in *complianceSummaryInput) check() error { in.defaults(); return nil }

func qualysComplianceSummary() Tool {
	return newTool(spec{
		name:        "qualys_compliance_summary",
		toolset:     ToolsetQualys,
		title:       "PCI compliance summary (Qualys)",
		description: "PCI status (Pass, Fail, not scanned) of each host and virtual host in scope: are we compliant?",
		annotations: readHints,
	}, func(ctx context.Context, d *Deps, in *complianceSummaryInput) (*qualys.ComplianceSummary, error) {
		return d.Qualys.ComplianceSummary(ctx, qualys.ListOptions{Offset: in.Offset, Limit: in.Limit, SortBy: in.SortBy, SortOrder: in.SortOrder})
	})
}

// qualysTools is the Qualys toolset in catalog order: scope, scans, findings,
// status. The removals are built with newGuardedTool, so they run only after
// the confirmation guard has a person's yes.
func qualysTools() []Tool {
	return []Tool{
		qualysAddHosts(),
		qualysAddVirtualHosts(),
		qualysRemoveHosts(),
		qualysRemoveVirtualHosts(),
		qualysLaunchScan(),
		qualysGetScan(),
		qualysWaitForScan(),
		qualysListScans(),
		qualysListVulnerabilities(),
		qualysGetVulnerability(),
		qualysComplianceSummary(),
		qualysComplianceReport(),
	}
}
