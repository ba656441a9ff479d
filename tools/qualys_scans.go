package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/pci-mcp/pci-mcp/providers/qualys"
)

// launchScanInput is the argument of qualys_launch_scan.
type launchScanInput struct {
	Title      string   `json:"title" jsonschema:"maxLength=200"`
	TargetIPs  []string `json:"target_ips,omitempty" jsonschema:"maxItems=1000,maxLength=100" jsonschema_description:"IPv4/IPv6 addresses, ranges first-last or CIDR blocks."`
	TargetDNS  []string `json:"target_dns,omitempty" jsonschema:"maxItems=1000,maxLength=253" jsonschema_description:"Host names."`
	TargetAll  bool     `json:"target_all,omitempty" jsonschema_description:"Every host in scope; not with target_ips/target_dns."`
	Bandwidth  string   `json:"bandwidth,omitempty" jsonschema:"enum=Low,enum=Medium,enum=High,default=Medium"`
	ScanType   string   `json:"scan_type,omitempty" jsonschema:"enum=IP,default=IP"`
	LaunchType string   `json:"launch_type,omitempty" jsonschema:"enum=ondemand,default=ondemand"`

	targetIPs []qualys.Host
}

func (in *launchScanInput) check() error {
	if strings.TrimSpace(in.Title) == "" {
		return argError("title", "must not be blank")
	}
	if len(in.TargetIPs) == 0 && len(in.TargetDNS) == 0 && !in.TargetAll {
		return argError("target_ips", "a scan needs targets: give target_ips, target_dns, or target_all: true")
	}
	if in.TargetAll {
		// Qualys would scan everything and drop the list without a word; the
		// caller meant one or the other.
		var listed []string
		if len(in.TargetIPs) > 0 {
			listed = append(listed, "target_ips")
		}
		if len(in.TargetDNS) > 0 {
			listed = append(listed, "target_dns")
		}
		if len(listed) > 0 {
			both := strings.Join(listed, " and ")
			return argError("target_all", "true together with %s is ambiguous: scan every host in scope with target_all alone, or only the listed targets with %s and no target_all", both, both)
		}
	}
	if len(in.TargetIPs) > 0 {
		hosts, err := qualys.ParseHosts(in.TargetIPs)
		if err != nil {
			return listError("target_ips", err)
		}
		in.targetIPs = hosts
	}
	for i, name := range in.TargetDNS {
		if err := qualys.CheckHostName(strings.TrimSuffix(name, ".")); err != nil {
			return argError(fmt.Sprintf("target_dns[%d]", i), "%q %s", name, err.Error())
		}
	}
	in.Bandwidth = orDefault(in.Bandwidth, qualys.DefaultBandwidth)
	in.ScanType = orDefault(in.ScanType, qualys.ScanTypeIP)
	in.LaunchType = orDefault(in.LaunchType, qualys.LaunchOnDemand)
	return nil
}

func (in *launchScanInput) auditTitle() string { return in.Title }

func (in *launchScanInput) auditTargets() []string {
	targets := hostStrings(in.targetIPs)
	targets = append(targets, in.TargetDNS...)
	if in.TargetAll {
		targets = append(targets, "all hosts in scope")
	}
	return targets
}

// launchScanOutput is the launched scan.
type launchScanOutput struct {
	ScanID int64  `json:"scanId" jsonschema_description:"Pass to qualys_wait_for_scan or qualys_get_scan."`
	Status string `json:"status"`
}

func qualysLaunchScan() Tool {
	return newTool(spec{
		name:         "qualys_launch_scan",
		toolset:      ToolsetQualys,
		title:        "Launch a PCI scan (Qualys)",
		description:  "Launch a PCI scan; each call starts a new one. Follow its scan id with qualys_wait_for_scan.",
		annotations:  launchHints,
		outcomeCheck: "list scans with qualys_list_scans to see whether the launch went through",
	}, func(ctx context.Context, d *Deps, in *launchScanInput) (*launchScanOutput, error) {
		res, err := d.Qualys.LaunchScan(ctx, qualys.LaunchScanRequest{
			Title: in.Title, TargetIPs: in.targetIPs, TargetDNS: in.TargetDNS, TargetAll: in.TargetAll,
			Bandwidth: in.Bandwidth, ScanType: in.ScanType, LaunchType: in.LaunchType,
		})
		if err != nil {
			return nil, err
		}
		return &launchScanOutput{ScanID: int64(res.ID), Status: string(res.Status)}, nil
	})
}

// scanIDInput names one scan.
type scanIDInput struct {
	ScanID numericID `json:"scan_id" jsonschema:"minimum=1" jsonschema_description:"From qualys_launch_scan or qualys_list_scans."`
}

// scanDetailsOutput is one scan's details with its id. Compliance is left
// out until the scan is over: Qualys reports a verdict for running scans too,
// and a model asking "do we pass?" would take that early "Fail" for an answer.
type scanDetailsOutput struct {
	ScanID int64 `json:"scanId"`
	qualys.ScanDetails
	Finished bool `json:"finished" jsonschema_description:"True once the status is final; compliance is shown only then."`
}

// newScanDetailsOutput shapes Qualys's details of scan id for a tool result.
func newScanDetailsOutput(id int64, d *qualys.ScanDetails) *scanDetailsOutput {
	out := &scanDetailsOutput{ScanID: id, ScanDetails: *d, Finished: d.Final()}
	if !out.Finished {
		out.Compliance = ""
	}
	return out
}

// scanNotFoundHint follows "scan N not found".
const scanNotFoundHint = "List scans with qualys_list_scans to find valid ids."

func qualysGetScan() Tool {
	return newTool(spec{
		name:        "qualys_get_scan",
		toolset:     ToolsetQualys,
		title:       "Get a PCI scan (Qualys)",
		description: "Read one scan: status, targets, duration and, once finished, the PCI verdict; to wait for it: qualys_wait_for_scan.",
		annotations: readHints,
	}, func(ctx context.Context, d *Deps, in *scanIDInput) (*scanDetailsOutput, error) {
		id := int64(in.ScanID)
		res, err := d.Qualys.ScanDetails(ctx, id)
		if err != nil {
			return nil, about(err, fmt.Sprintf("scan %d", id), scanNotFoundHint)
		}
		return newScanDetailsOutput(id, res), nil
	})
}

// pageInput pages a Qualys list; offsets start at 1.
type pageInput struct {
	Offset int `json:"offset,omitempty" jsonschema:"minimum=1,default=1"`
	Limit  int `json:"limit,omitempty" jsonschema:"minimum=1,maximum=1000,default=50"`
}

func (p *pageInput) defaults() {
	if p.Offset == 0 {
		p.Offset = 1
	}
	if p.Limit == 0 {
		p.Limit = 50
	}
}

// listScansInput pages and sorts the scan list.
type listScansInput struct {
	pageInput
	SortBy    string `json:"sort_by,omitempty" jsonschema:"pattern=^[A-Za-z]{1\\,32}$" jsonschema_description:"e.g. title or date"`
	SortOrder string `json:"sort_order,omitempty" jsonschema:"enum=ASC,enum=DESC"`
}

func (in *listScansInput) check() error { in.defaults(); return nil }

// scanSummaryOutput is one entry of the scan list, with whether it is over.
type scanSummaryOutput struct {
	qualys.ScanSummary
	Finished bool `json:"finished"`
}

// listScansOutput is a page of scans.
type listScansOutput struct {
	qualys.Page
	Scans []scanSummaryOutput `json:"scanInfoList"`
}

func qualysListScans() Tool {
	return newTool(spec{
		name:        "qualys_list_scans",
		toolset:     ToolsetQualys,
		title:       "List PCI scans (Qualys)",
		description: "List scans (id, title, status, finished, date).",
		annotations: readHints,
	}, func(ctx context.Context, d *Deps, in *listScansInput) (*listScansOutput, error) {
		res, err := d.Qualys.ListScans(ctx, qualys.ListOptions{Offset: in.Offset, Limit: in.Limit, SortBy: in.SortBy, SortOrder: in.SortOrder})
		if err != nil {
			return nil, err
		}
		out := &listScansOutput{Page: res.Page, Scans: make([]scanSummaryOutput, len(res.Scans))}
		for i, sc := range res.Scans {
			out.Scans[i] = scanSummaryOutput{ScanSummary: sc, Finished: qualys.ScanStatusFinal(string(sc.Status))}
		}
		return out, nil
	})
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
