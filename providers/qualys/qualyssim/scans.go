package qualyssim

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Scan status values; "Launch Requested" is documented for scan lists, the
// others are the states a scan visibly passes through in the console.
const (
	scanQueued   = "Launch Requested"
	scanRunning  = "Running"
	scanFinished = "Finished"
)

// scan is one launched scan with everything it will have found once it has
// finished. Findings are fixed at launch and only shown once the clock says
// the scan is over, so no goroutine or timer is needed.
type scan struct {
	id         int
	title      string
	bandwidth  string
	scanType   string
	launchedAt time.Time
	queuedFor  time.Duration
	runningFor time.Duration
	target     string // display list, as scan details and lists show it
	assets     []scannedAsset
}

// scannedAsset is one asset a scan covers and what it finds there.
type scannedAsset struct {
	key      assetKey
	findings []finding
}

// finding is one vulnerability detected on one asset.
type finding struct {
	id     int
	scanID int
	vuln   vulnerability
	ip     netip.Addr
	dns    string
	port   int
}

// service names the service a finding was seen on.
func (f finding) service() string {
	switch {
	case f.vuln.Service != "":
		return f.vuln.Service
	case f.port == 0:
		return ""
	case f.port == 443 || f.port == 8443:
		return "https"
	}
	return "http"
}

// status is where the scan stands at now.
func (sc *scan) status(now time.Time) string {
	switch elapsed := now.Sub(sc.launchedAt); {
	case elapsed < sc.queuedFor:
		return scanQueued
	case elapsed < sc.queuedFor+sc.runningFor:
		return scanRunning
	}
	return scanFinished
}

// duration is how long the scan has been running, as "hh:mm:ss".
func (sc *scan) duration(now time.Time) string {
	var d time.Duration
	switch sc.status(now) {
	case scanRunning:
		d = now.Sub(sc.launchedAt) - sc.queuedFor
	case scanFinished:
		d = sc.runningFor
	}
	secs := int64(d / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", secs/3600, secs/60%60, secs%60)
}

// compliance is "Pass" for a finished scan none of whose findings fails
// PCI and "Fail" for one that has such a finding. A scan that has not
// finished has no verdict yet, and the simulator invents none: it answers
// "" and the member is left out.
func (sc *scan) compliance(now time.Time) string {
	if sc.status(now) != scanFinished {
		return ""
	}
	for _, sa := range sc.assets {
		if (assetResult{findings: sa.findings}).status() == statusFail {
			return statusFail
		}
	}
	return statusPass
}

// activeHosts counts the distinct addresses a finished scan reached.
func (sc *scan) activeHosts(now time.Time) int {
	if sc.status(now) != scanFinished {
		return 0
	}
	seen := map[netip.Addr]bool{}
	for _, sa := range sc.assets {
		if sa.key.host.IsValid() {
			seen[sa.key.host] = true
		} else {
			seen[sa.key.vhost.ip] = true
		}
	}
	return len(seen)
}

// launchRequest is the documented body of POST /pci/scan/launch; every member
// is a string, targetAll included.
type launchRequest struct {
	Title      string `json:"title"`
	Bandwidth  string `json:"bandwidth"`
	ScanType   string `json:"scanType"`
	TargetIPs  string `json:"targetIps"`
	TargetDNS  string `json:"targetDns"`
	TargetAll  string `json:"targetAll"`
	LaunchType string `json:"launchType"`
}

// launchResult is the documented answer of POST /pci/scan/launch.
type launchResult struct {
	ID     int    `json:"id"`
	Status string `json:"status"`
}

// scanPlan is a validated launch: what to call the scan and what it covers.
type scanPlan struct {
	title, bandwidth, scanType string
	target                     []string
	hosts                      []netip.Addr
	vhosts                     []virtualHost
}

// planScan validates req against the account. Addresses outside the
// account's scope are scanned as given; targetAll adds every host and
// virtual host in scope; a DNS name is scanned through the virtual hosts in
// scope that carry it, since the simulator cannot resolve names.
func (a *account) planScan(req launchRequest) (scanPlan, error) {
	plan := scanPlan{title: strings.TrimSpace(req.Title)}
	if plan.title == "" {
		return scanPlan{}, badRequest(`"title" is required.`)
	}
	var ok bool
	if plan.bandwidth, ok = canonicalBandwidth(req.Bandwidth); !ok {
		return scanPlan{}, badRequest(`"bandwidth" must be "Low", "Medium" or "High", got %q.`, req.Bandwidth)
	}
	if req.ScanType != "" && req.ScanType != "IP" {
		return scanPlan{}, badRequest(`"scanType" must be "IP", got %q.`, req.ScanType)
	}
	plan.scanType = "IP"
	if req.LaunchType != "" && req.LaunchType != "ondemand" {
		return scanPlan{}, badRequest(`"launchType" must be "ondemand", got %q.`, req.LaunchType)
	}
	var all bool
	switch req.TargetAll {
	case "", "false":
	case "true":
		all = true
	default:
		return scanPlan{}, badRequest(`"targetAll" must be the string "true" or "false", got %q.`, req.TargetAll)
	}

	ipTexts, err := splitList("targetIps", req.TargetIPs)
	if err != nil {
		return scanPlan{}, badRequest("%v.", err)
	}
	dnsTexts, err := splitList("targetDns", req.TargetDNS)
	if err != nil {
		return scanPlan{}, badRequest("%v.", err)
	}
	var ranges []ipRange
	for _, t := range ipTexts {
		r, err := parseIPAsset(t)
		if err != nil {
			return scanPlan{}, badRequest("Invalid scan target in targetIps: %v.", err)
		}
		ranges = append(ranges, r)
	}
	var names []string
	for _, t := range dnsTexts {
		name, err := parseHostname(t)
		if err != nil {
			return scanPlan{}, badRequest("Invalid scan target in targetDns: %v.", err)
		}
		names = append(names, name)
	}
	if all {
		ranges = append(ranges, a.ips...)
		for _, v := range a.vhosts {
			names = append(names, v.fqdn)
		}
	}
	if len(ranges) == 0 && len(names) == 0 {
		if all {
			return scanPlan{}, badRequest(`The account has no hosts in scope, so targetAll "true" selects nothing; add hosts first or name targets in targetIps or targetDns.`)
		}
		return scanPlan{}, badRequest(`The scan has no targets: give targetIps, targetDns or targetAll "true".`)
	}

	var set rangeSet
	for _, r := range ranges {
		plan.target = appendNew(plan.target, r.String())
		set = set.add(r)
	}
	var total uint64
	for _, r := range set {
		if total += r.size(); r.size() > maxScanHosts || total > maxScanHosts {
			return scanPlan{}, badRequest("The scan covers more than %d addresses; split it into smaller scans.", maxScanHosts)
		}
		plan.hosts = append(plan.hosts, r.hosts()...)
	}
	for _, name := range names {
		plan.target = appendNew(plan.target, name)
		for _, v := range a.vhosts {
			if v.fqdn == name && !slices.Contains(plan.vhosts, v) {
				plan.vhosts = append(plan.vhosts, v)
			}
		}
	}
	return plan, nil
}

// appendNew appends s to list unless it is already there.
func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// startScan records a scan of plan launched at at, deriving its findings now
// so that detection ids are assigned in launch order.
func (a *account) startScan(plan scanPlan, id int, at time.Time, queuedFor, runningFor time.Duration) *scan {
	sc := &scan{
		id: id, title: plan.title, bandwidth: plan.bandwidth, scanType: plan.scanType,
		launchedAt: at, queuedFor: queuedFor, runningFor: runningFor,
		target: strings.Join(plan.target, ","),
	}
	for _, host := range plan.hosts {
		key := assetKey{host: host}
		sa := scannedAsset{key: key}
		for _, v := range pickVulns(host.String(), networkCatalog()) {
			sa.findings = append(sa.findings, finding{
				id: a.detectionID(key, v.QID), scanID: id, vuln: v, ip: host, port: v.Port,
			})
		}
		sc.assets = append(sc.assets, sa)
	}
	for _, vh := range plan.vhosts {
		key := assetKey{vhost: vh}
		sa := scannedAsset{key: key}
		for _, v := range pickVulns(fmt.Sprintf("%s:%d", vh.fqdn, vh.port), webCatalog()) {
			sa.findings = append(sa.findings, finding{
				id: a.detectionID(key, v.QID), scanID: id, vuln: v, ip: vh.ip, dns: vh.fqdn, port: vh.port,
			})
		}
		sc.assets = append(sc.assets, sa)
	}
	a.scans = append(a.scans, sc)
	return sc
}

// launchScan serves POST /pci/scan/launch.
func (s *Simulator) launchScan(c call) (any, error) {
	var req launchRequest
	if err := decodeBody(c.body, &req); err != nil {
		return nil, err
	}
	plan, err := s.account.planScan(req)
	if err != nil {
		return nil, err
	}
	id := s.account.nextScanID
	s.account.nextScanID++
	s.account.startScan(plan, id, c.now, s.opts.QueuedFor, s.opts.RunningFor)
	return launchResult{ID: id, Status: "Launched scan successfully"}, nil
}

// scanDetails is the documented answer of GET /pci/scan/{scanId}/details,
// members in the seed's order.
type scanDetails struct {
	Title       string `json:"title"`
	StartedOn   string `json:"startedOn"`
	LaunchedBy  string `json:"launchedBy"`
	Duration    string `json:"duration"`
	ActiveHosts int    `json:"activeHosts"`
	LaunchType  string `json:"launchType"`
	Bandwidth   string `json:"bandwidth"`
	ScanStatus  string `json:"scanStatus"`
	Target      string `json:"target"`
	ScanType    string `json:"scanType"`
	Compliance  string `json:"compliance,omitempty"`
}

// findScan returns the scan with id or nil.
func (a *account) findScan(id uint64) *scan {
	for _, sc := range a.scans {
		if uint64(sc.id) == id {
			return sc
		}
	}
	return nil
}

// scanDetails serves GET /pci/scan/{scanId}/details.
func (s *Simulator) scanDetails(c call) (any, error) {
	sc := s.account.findScan(c.id)
	if sc == nil {
		return nil, notFound("No scan with id %d in this account.", c.id)
	}
	return scanDetails{
		Title:       sc.title,
		StartedOn:   formatDisplayTime(sc.launchedAt),
		LaunchedBy:  launchedBy,
		Duration:    sc.duration(c.now),
		ActiveHosts: sc.activeHosts(c.now),
		LaunchType:  "On Demand",
		Bandwidth:   sc.bandwidth,
		ScanStatus:  sc.status(c.now),
		Target:      sc.target,
		ScanType:    sc.scanType,
		Compliance:  sc.compliance(c.now),
	}, nil
}

// scanInfo is one entry of scanInfoList in GET /pci/scan/list.
type scanInfo struct {
	ScanID   int    `json:"scanId"`
	Title    string `json:"title"`
	Status   string `json:"status"`
	Date     string `json:"date"`
	ScanType string `json:"scanType"`
	Target   string `json:"target"`
}

// listScans serves GET /pci/scan/list: newest first unless sortBy says
// otherwise.
func (s *Simulator) listScans(c call) (any, error) {
	q, err := parseListQuery(c.query, listSort{keys: []string{"date", "title", "status", "scanId", "scanType"}, key: "date", desc: true})
	if err != nil {
		return nil, err
	}
	scans := slices.Clone(s.account.scans)
	slices.SortStableFunc(scans, func(x, y *scan) int {
		var by int
		switch q.sortBy {
		case "title":
			by = strings.Compare(x.title, y.title)
		case "status":
			by = strings.Compare(x.status(c.now), y.status(c.now))
		case "scanType":
			by = strings.Compare(x.scanType, y.scanType)
		case "date":
			by = x.launchedAt.Compare(y.launchedAt)
		}
		if by == 0 {
			by = x.id - y.id
		}
		return q.order(by)
	})
	items := make([]scanInfo, 0, len(scans))
	for _, sc := range scans {
		items = append(items, scanInfo{
			ScanID: sc.id, Title: sc.title, Status: sc.status(c.now),
			Date: formatDisplayTime(sc.launchedAt), ScanType: sc.scanType, Target: sc.target,
		})
	}
	return pageOf(items, q, "scanInfoList"), nil
}
