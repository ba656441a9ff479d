package qualyssim

import "time"

// The demo merchant: three IPv4 web hosts, one IPv6 host added after the
// last scan, a virtual host for the shop's checkout, and one finished scan
// from June 2025 that failed PCI on one host. Findings come from the same
// derivation as any scan (pickVulns), so rescanning a demo host finds the
// same things.
const (
	demoScanID    = firstScanID - 1
	demoScanTitle = "Q2 2025 external PCI scan"
	demoIPv4Hosts = "203.0.113.10-203.0.113.12"
	demoIPv6Host  = "2001:db8:4c1::80"
	demoVhostName = "shop.example.net"
	demoVhost     = demoVhostName + ":443:203.0.113.10/checkout"
)

// seedDemo fills a with the demo merchant. The demo is constant, so an
// error here is a bug in this file and panics.
func (a *account) seedDemo() {
	for _, host := range []string{demoIPv4Hosts, demoIPv6Host} {
		r, err := parseIPAsset(host)
		if err != nil {
			panic("qualyssim: invalid demo host: " + err.Error())
		}
		a.ips = a.ips.add(r)
	}
	vhost, err := parseVirtualHost(demoVhost)
	if err != nil {
		panic("qualyssim: invalid demo virtual host: " + err.Error())
	}
	a.vhosts = append(a.vhosts, vhost)

	plan, err := a.planScan(launchRequest{
		Title:     demoScanTitle,
		Bandwidth: "Medium",
		TargetIPs: demoIPv4Hosts,
		TargetDNS: demoVhostName,
	})
	if err != nil {
		panic("qualyssim: the demo scan is invalid: " + err.Error())
	}
	// A fixed launch time, never time.Now, keeps the demo the same on every run.
	launchedAt := time.Date(2025, time.June, 2, 13, 30, 0, 0, time.UTC)
	a.startScan(plan, demoScanID, launchedAt, 3*time.Minute, 41*time.Minute+18*time.Second)
}
