package tools

import (
	"context"

	"github.com/pci-mcp/pci-mcp/providers/halo"
	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// haloListScansInput selects and pages the scan list.
type haloListScansInput struct {
	Type string `json:"type,omitempty" jsonschema:"enum=current,enum=recent,enum=prior,enum=all,default=current" jsonschema_description:"current: each target's newest; recent: and the few before; prior: all but the newest; all"`
	haloPageInput
}

func (in *haloListScansInput) check() error {
	in.Type = orDefault(in.Type, halo.ScansCurrent)
	return in.haloPageInput.check()
}

func haloListScans() Tool {
	return newTool(spec{
		name:        "halo_list_scans",
		toolset:     ToolsetHalo,
		title:       "List scans (Halo)",
		description: "List scans (id, date, status, target).",
		annotations: readHints,
	}, func(ctx context.Context, d *Deps, in *haloListScansInput) (*halo.ScanList, error) {
		return d.Halo.ListScans(ctx, in.Type, in.options())
	})
}

// haloScanIDInput names one scan. Halo's scan ids are strings such as
// "sc48290"; the pattern admits any id of letters, digits, - and _ [guess].
type haloScanIDInput struct {
	ScanID textID `json:"scan_id" jsonschema:"pattern=^[\\w-]{1\\,64}$" jsonschema_description:"e.g. sc48290, from halo_list_scans or halo_get_target."`
}

func haloGetScan() Tool {
	return newTool(spec{
		name:        "halo_get_scan",
		toolset:     ToolsetHalo,
		title:       "Get a scan (Halo)",
		description: "Read one scan: date, duration (s), status, issue counts by severity (0 informational to 5).",
		annotations: readHints,
	}, func(ctx context.Context, d *Deps, in *haloScanIDInput) (*halo.Scan, error) {
		id := string(in.ScanID)
		res, err := d.Halo.GetScan(ctx, id)
		if err != nil {
			return nil, about(err, "scan "+id, "List scans with halo_list_scans to find valid ids.")
		}
		if res.ScanID == "" {
			res.ScanID = upstream.String(id)
		}
		return res, nil
	})
}
