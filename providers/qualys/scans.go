package qualys

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// Documented launch parameters. Only these values appear in Qualys's
// samples and notes; Low and High bandwidth are an educated guess [guess].
const (
	BandwidthLow    = "Low"
	BandwidthMedium = "Medium"
	BandwidthHigh   = "High"

	ScanTypeIP       = "IP"
	LaunchOnDemand   = "ondemand"
	DefaultBandwidth = BandwidthMedium
)

// LaunchScanRequest describes a PCI scan to launch. At least one of
// TargetIPs, TargetDNS or TargetAll must select something.
type LaunchScanRequest struct {
	Title      string
	TargetIPs  []Host
	TargetDNS  []string
	TargetAll  bool
	Bandwidth  string // default DefaultBandwidth
	ScanType   string // default ScanTypeIP
	LaunchType string // default LaunchOnDemand
}

// launchBody is the wire form: lists joined with ", " and targetAll as the
// string "true"/"false", field order as in the seed sample.
type launchBody struct {
	Title      string `json:"title"`
	Bandwidth  string `json:"bandwidth"`
	ScanType   string `json:"scanType"`
	TargetIPs  string `json:"targetIps,omitempty"`
	TargetDNS  string `json:"targetDns,omitempty"`
	TargetAll  string `json:"targetAll"`
	LaunchType string `json:"launchType"`
}

// LaunchedScan is Qualys's answer to a launch.
type LaunchedScan struct {
	ID     upstream.Int    `json:"id"`
	Status upstream.String `json:"status"`
}

// LaunchScan starts a PCI scan (POST /pci/scan/launch). The launch is not
// idempotent: it is never retried once it may have reached Qualys.
func (c *Client) LaunchScan(ctx context.Context, r LaunchScanRequest) (*LaunchedScan, error) {
	if strings.TrimSpace(r.Title) == "" {
		return nil, errors.New("qualys: a scan title is required")
	}
	if len(r.TargetIPs) == 0 && len(r.TargetDNS) == 0 && !r.TargetAll {
		return nil, errors.New("qualys: a scan needs target IPs, target host names or TargetAll")
	}
	body := launchBody{
		Title:      r.Title,
		Bandwidth:  orDefault(r.Bandwidth, DefaultBandwidth),
		ScanType:   orDefault(r.ScanType, ScanTypeIP),
		TargetIPs:  joinHosts(r.TargetIPs),
		TargetDNS:  strings.Join(r.TargetDNS, listSeparator),
		TargetAll:  strconv.FormatBool(r.TargetAll),
		LaunchType: orDefault(r.LaunchType, LaunchOnDemand),
	}
	var env envelope[LaunchedScan]
	if err := c.http.Do(ctx, upstream.Request{Effect: upstream.Write, Method: http.MethodPost, Path: "pci/scan/launch", Body: body}, &env); err != nil {
		return nil, err
	}
	return &env.Data, nil
}

// ScanDetails is one scan as GET /pci/scan/{id}/details describes it. Dates
// and durations are Qualys's display strings ("May 26, 2025 at 06:49 AM GMT").
type ScanDetails struct {
	Title       upstream.String `json:"title"`
	StartedOn   upstream.String `json:"startedOn,omitempty"`
	LaunchedBy  upstream.String `json:"launchedBy,omitempty"`
	Duration    upstream.String `json:"duration,omitempty"`
	ActiveHosts upstream.Int    `json:"activeHosts"`
	LaunchType  upstream.String `json:"launchType,omitempty"`
	Bandwidth   upstream.String `json:"bandwidth,omitempty"`
	// ScanStatus: "Launch Requested", "Running", "Finished", "Failed", ...
	ScanStatus upstream.String `json:"scanStatus"`
	// Target lists IPv4 and IPv6 addresses and ranges, comma-separated.
	Target   upstream.String `json:"target,omitempty"`
	ScanType upstream.String `json:"scanType,omitempty"`
	// Compliance is the PCI verdict, "Pass" or "Fail". Qualys fills it in
	// before the scan is over (a running scan already reads "Fail"), so it
	// means something only once Final reports true.
	Compliance upstream.String `json:"compliance,omitempty"`
}

// finalScanStatuses are the statuses after which a scan changes no more.
// "Finished" and "Failed" appear in Qualys's samples; "Canceled",
// "Cancelled" and "Error" are the other end states of Qualys scans
// elsewhere in its products [guess]. This is the one place to change them.
var finalScanStatuses = []string{"Finished", "Failed", "Canceled", "Cancelled", "Error"}

// ScanStatusFinal reports whether a scan in this status is over, whatever
// its outcome. The comparison ignores case and surrounding spaces.
func ScanStatusFinal(status string) bool {
	status = strings.TrimSpace(status)
	for _, final := range finalScanStatuses {
		if strings.EqualFold(status, final) {
			return true
		}
	}
	return false
}

// Final reports whether the scan is over: its status is final and its
// Compliance verdict will not change.
func (d *ScanDetails) Final() bool { return ScanStatusFinal(string(d.ScanStatus)) }

// ScanDetails reads one scan (GET /pci/scan/{scanId}/details).
func (c *Client) ScanDetails(ctx context.Context, scanID int64) (*ScanDetails, error) {
	var env envelope[ScanDetails]
	path := "pci/scan/" + strconv.FormatInt(scanID, 10) + "/details"
	if err := c.http.Do(ctx, upstream.Request{Effect: upstream.Read, Method: http.MethodGet, Path: path}, &env); err != nil {
		return nil, err
	}
	return &env.Data, nil
}

// ScanSummary is one entry of the scan list.
type ScanSummary struct {
	ScanID     upstream.Int    `json:"scanId"`
	Title      upstream.String `json:"title"`
	Status     upstream.String `json:"status"`
	Date       upstream.String `json:"date,omitempty"`
	ScanType   upstream.String `json:"scanType,omitempty"`
	ScanModule upstream.String `json:"scanModule,omitempty"`
	Target     upstream.String `json:"target,omitempty"`
}

// ScanList is a page of scans.
type ScanList struct {
	Page
	Scans []ScanSummary `json:"scanInfoList"`
}

// ListScans lists the account's scans (GET /pci/scan/list).
func (c *Client) ListScans(ctx context.Context, opts ListOptions) (*ScanList, error) {
	var env envelope[ScanList]
	if err := c.http.Do(ctx, upstream.Request{Effect: upstream.Read, Method: http.MethodGet, Path: "pci/scan/list", Query: opts.query()}, &env); err != nil {
		return nil, err
	}
	if env.Data.Scans == nil {
		env.Data.Scans = []ScanSummary{}
	}
	return &env.Data, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
