package tools

import (
	"context"
	"fmt"

	"github.com/pci-mcp/pci-mcp/providers/halo"
)

// haloNoInput is the argument of the Halo tools that take none.
type haloNoInput struct{}

// haloPageInput pages a Halo list; positions start at 0.
type haloPageInput struct {
	Start int `json:"start,omitempty" jsonschema:"minimum=0,default=0"`
	Limit int `json:"limit,omitempty" jsonschema:"minimum=1,maximum=1000,default=100"`
}

// haloDefaultLimit is Halo's own default page size [doc], sent explicitly.
const haloDefaultLimit = 100

func (p *haloPageInput) check() error {
	if p.Limit == 0 {
		p.Limit = haloDefaultLimit
	}
	return nil
}

func (p *haloPageInput) options() halo.ListOptions {
	return halo.ListOptions{Start: p.Start, Limit: p.Limit}
}

func haloPCISummary() Tool {
	return newTool(spec{
		name:        "halo_pci_summary",
		toolset:     ToolsetHalo,
		title:       "PCI report summary (Halo)",
		description: "How many PCI reports exist, and the newest one's id and status: where do we stand?",
		annotations: readHints,
	}, func(ctx context.Context, d *Deps, _ *haloNoInput) (*halo.Summary, error) {
		return d.Halo.Summary(ctx)
	})
}

func haloPCIListReports() Tool {
	return newTool(spec{
		name:        "halo_pci_list_reports",
		toolset:     ToolsetHalo,
		title:       "List PCI reports (Halo)",
		description: "List PCI reports (id, name, status, who attested).",
		annotations: readHints,
	}, func(ctx context.Context, d *Deps, in *haloPageInput) (*halo.ReportList, error) {
		return d.Halo.ListReports(ctx, in.options())
	})
}

// haloReportIDInput names one PCI report.
type haloReportIDInput struct {
	PCIReportID numericID `json:"pci_report_id" jsonschema:"minimum=1" jsonschema_description:"From halo_pci_list_reports or halo_pci_summary."`
}

func haloPCIGetReport() Tool {
	return newTool(spec{
		name:        "halo_pci_get_report",
		toolset:     ToolsetHalo,
		title:       "Get a PCI report (Halo)",
		description: "Read one PCI report: status, name, who attested, its target ids and answered notes.",
		annotations: readHints,
	}, func(ctx context.Context, d *Deps, in *haloReportIDInput) (*halo.ReportDetail, error) {
		res, err := d.Halo.GetReport(ctx, int64(in.PCIReportID))
		if err != nil {
			return nil, about(err, fmt.Sprintf("PCI report %d", in.PCIReportID), "List reports with halo_pci_list_reports to find valid ids.")
		}
		return res, nil
	})
}

// haloTools is the Halo toolset in catalog order: status, the attestation
// workflow, reports, then the targets and scans that clear its blockers.
// halo_pci_attest is built with newGuardedTool, so it runs only after the
// confirmation guard has the person's yes and signature.
func haloTools() []Tool {
	return []Tool{
		haloPCISummary(),
		haloPCIStartAttestation(),
		haloAttest(),
		haloPCIListReports(),
		haloPCIGetReport(),
		haloListTargets(),
		haloGetTarget(),
		haloListScans(),
		haloGetScan(),
		haloListEvents(),
		haloGetEvent(),
		haloListAcknowledgedHosts(),
		haloAcknowledgeHost(),
		haloRemoveHostAcknowledgement(),
	}
}
