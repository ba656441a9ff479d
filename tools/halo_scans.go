package tools

import (
	"context"

	"github.com/pci-mcp/pci-mcp/providers/halo"
	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// haloListScansInput selects and pages the scan list.
type haloListScansInput struct {
	Type string `json:"type,omitempty" jsonschema:"enum=current,enum=recent,enum=prior,enum=all,default=current" jsonschema_description:"current: each target's newest scan; recent: also the few before it; prior: all but the newest; all: every scan."`
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
		title:       "List scans (Halo Security)",
		description: "List scans with scan id, date, status and target, a page at a time. By default each target's newest scan: use it to see whether scans that block attesting are still running.",
		annotations: readHints,
	}, func(ctx context.Context, d *Deps, in *haloListScansInput) (*halo.ScanList, error) {
		return d.Halo.ListScans(ctx, in.Type, in.options())
	})
}

// haloScanIDInput names one scan. Halo's scan ids are strings such as
// "sc48290"; the pattern admits any id of letters, digits, - and _ [guess].
type haloScanIDInput struct {
	ScanID textID `json:"scan_id" jsonschema:"minLength=1,maxLength=64,pattern=^[A-Za-z0-9_-]+$" jsonschema_description:"A string id such as sc48290, from halo_list_scans or halo_get_target."`
}

func haloGetScan() Tool {
	return newTool(spec{
		name:        "halo_get_scan",
		toolset:     ToolsetHalo,
		title:       "Get a scan (Halo Security)",
		description: "Read one scan: date, duration in seconds, status and issue counts by severity (\"0\" informational to \"5\").",
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
