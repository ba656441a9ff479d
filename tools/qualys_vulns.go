package tools

import (
	"context"
	"fmt"

	"github.com/pci-mcp/pci-mcp/providers/qualys"
)

// listVulnerabilitiesInput pages the vulnerability list.
type listVulnerabilitiesInput struct {
	pageInput
}

func (in *listVulnerabilitiesInput) check() error { in.defaults(); return nil }

func qualysListVulnerabilities() Tool {
	return newTool(spec{
		name:        "qualys_list_vulnerabilities",
		toolset:     ToolsetQualys,
		title:       "List vulnerabilities (Qualys)",
		description: "List detections from finished scans (id, QID, host, port, severity, PCI pass/fail).",
		annotations: readHints,
	}, func(ctx context.Context, d *Deps, in *listVulnerabilitiesInput) (*qualys.VulnerabilityList, error) {
		return d.Qualys.ListVulnerabilities(ctx, qualys.ListOptions{Offset: in.Offset, Limit: in.Limit})
	})
}

// vulnerabilityIDInput names one detection.
type vulnerabilityIDInput struct {
	ID numericID `json:"id" jsonschema:"minimum=1" jsonschema_description:"Detection id from qualys_list_vulnerabilities (not the QID)."`
}

// vulnerabilityOutput is one detection in full, with its id.
type vulnerabilityOutput struct {
	ID int64 `json:"id"`
	qualys.Vulnerability
}

func qualysGetVulnerability() Tool {
	return newTool(spec{
		name:        "qualys_get_vulnerability",
		toolset:     ToolsetQualys,
		title:       "Get a vulnerability (Qualys)",
		description: "Read one detection in full: threat, impact, solution, CVEs, CVSS, evidence and PCI status.",
		annotations: readHints,
	}, func(ctx context.Context, d *Deps, in *vulnerabilityIDInput) (*vulnerabilityOutput, error) {
		id := int64(in.ID)
		res, err := d.Qualys.VulnerabilityDetails(ctx, id)
		if err != nil {
			return nil, about(err, fmt.Sprintf("vulnerability %d", id), "List them with qualys_list_vulnerabilities to find valid detection ids.")
		}
		return &vulnerabilityOutput{ID: id, Vulnerability: *res}, nil
	})
}
