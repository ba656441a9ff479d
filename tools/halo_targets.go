package tools

import (
	"context"
	"fmt"

	"github.com/pci-mcp/pci-mcp/providers/halo"
)

func haloListTargets() Tool {
	return newTool(spec{
		name:        "halo_list_targets",
		toolset:     ToolsetHalo,
		title:       "List targets (Halo)",
		description: "List the hosts Halo Security scans (target id, host, name).",
		annotations: readHints,
	}, func(ctx context.Context, d *Deps, in *haloPageInput) (*halo.TargetList, error) {
		return d.Halo.ListTargets(ctx, in.options())
	})
}

// haloTargetIDInput names one target.
type haloTargetIDInput struct {
	TargetID numericID `json:"target_id" jsonschema:"minimum=1" jsonschema_description:"From halo_list_targets or halo_pci_start_attestation."`
}

func haloGetTarget() Tool {
	return newTool(spec{
		name:        "halo_get_target",
		toolset:     ToolsetHalo,
		title:       "Get a target (Halo)",
		description: "Read one target: host, IP, creation date, newest scan_id (for halo_get_scan), earlier scan ids.",
		annotations: readHints,
	}, func(ctx context.Context, d *Deps, in *haloTargetIDInput) (*halo.Target, error) {
		res, err := d.Halo.GetTarget(ctx, int64(in.TargetID))
		if err != nil {
			return nil, about(err, fmt.Sprintf("target %d", in.TargetID), "List targets with halo_list_targets to find valid ids.")
		}
		return res, nil
	})
}
