package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/pci-mcp/pci-mcp/providers/qualys"
)

// complianceReportInput optionally picks the scan the report comes from.
type complianceReportInput struct {
	ScanID numericID `json:"scan_id,omitempty" jsonschema:"minimum=1" jsonschema_description:"A finished scan; default: each asset's latest."`
}

// complianceReportOutput is the report's content with a sentence that
// answers the question first.
type complianceReportOutput struct {
	Summary string `json:"summary"`
	qualys.ComplianceReport
}

func qualysComplianceReport() Tool {
	return newTool(spec{
		name:    "qualys_compliance_report",
		toolset: ToolsetQualys,
		title:   "What the ASV report will say (Qualys)",
		description: "Which hosts make us fail, and which special notes will the report carry? " +
			"Per asset: status and detected QIDs; the special notes; the non-compliant IPs.",
		annotations: readHints,
	}, func(ctx context.Context, d *Deps, in *complianceReportInput) (*complianceReportOutput, error) {
		res, err := d.Qualys.ComplianceReport(ctx, int64(in.ScanID))
		if err != nil {
			if in.ScanID > 0 {
				return nil, about(err, fmt.Sprintf("scan %d", in.ScanID), scanNotFoundHint)
			}
			return nil, err
		}
		return &complianceReportOutput{Summary: reportSummary(res), ComplianceReport: *res}, nil
	})
}

// reportSummary says in one sentence what fails and what notes come.
func reportSummary(r *qualys.ComplianceReport) string {
	var b strings.Builder
	switch n := len(r.NonCompliantIPs); {
	case len(r.Assets) == 0 && n == 0:
		b.WriteString("No scanned assets in the report yet.")
	case n == 0:
		fmt.Fprintf(&b, "No address fails: %s in the report.", plural(len(r.Assets), "asset", "assets"))
	default:
		verb := "fail"
		if n == 1 {
			verb = "fails"
		}
		fmt.Fprintf(&b, "%s %s PCI: %s.", plural(n, "address", "addresses"), verb, strings.Join(r.NonCompliantIPs, ", "))
	}
	if n := len(r.SpecialNotes); n > 0 {
		var notes []string
		for _, note := range r.SpecialNotes {
			where := string(note.IP)
			if note.DNS != "" {
				where = string(note.DNS) + " (" + where + ")"
			}
			notes = append(notes, fmt.Sprintf("%s on %s", note.Type, where))
		}
		fmt.Fprintf(&b, " %s: %s.", plural(n, "special note", "special notes"), strings.Join(notes, "; "))
	}
	return b.String()
}
