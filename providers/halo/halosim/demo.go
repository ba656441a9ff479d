package halosim

import (
	"fmt"
	"time"
)

// Demo data: ids are fixed so that tests, the scripted sandbox demo and the package
// documentation can name them.
const (
	demoStorefrontID = 5
	demoAPIID        = 7
	demoVPNID        = 9
	demoBlogID       = 12

	issueTLS10          = 10423 // fails PCI on the storefront until its rescan finishes
	issueRemoteAccess   = 20117 // special note on the VPN gateway
	issueEmbeddedScript = 20342 // special note on the storefront

	noteStorefrontScript = 4101
	noteVPNRemoteAccess  = 4102

	demoFirstReportID = 127301
	demoLastReportID  = 127345
)

// baseAccount is what every simulator has, demo or not: the merchant and the key's user.
func baseAccount() *account {
	return &account{
		merchant: "Example Shop Ltd.",
		user: user{
			id: 40213, firstName: "Dana", lastName: "Whitfield", title: "IT Director",
			email: "dana.whitfield@example.com", phone: "1-555-010-4477", role: 1,
		},
		targets: []*target{},
		scans:   []*scan{},
		issues:  map[int]issue{},
		reports: []*report{},
	}
}

// demoAccount seeds the demo merchant described in the package documentation. t0 is the
// simulator's start; the two pending scans finish at t0+finishAfter.
func demoAccount(t0 time.Time, finishAfter time.Duration) *account {
	a := baseAccount()
	day := 24 * time.Hour
	a.targets = []*target{
		{id: demoStorefrontID, host: "shop.example.com", name: "Storefront", ip: "203.0.113.10",
			geo: "US-CA", created: t0.Add(-420 * day), scanHour: 2, inPCIScope: true},
		{id: demoAPIID, host: "api.example.com", name: "Payments API", ip: "203.0.113.24",
			geo: "US-VA", created: t0.Add(-3 * day), scanHour: 3, inPCIScope: true},
		{id: demoVPNID, host: "2001:db8:4a7f:10::25", name: "VPN gateway", ip: "2001:db8:4a7f:10::25",
			geo: "US-CA", created: t0.Add(-200 * day), scanHour: 4, inPCIScope: true},
		{id: demoBlogID, host: "blog.example.com", name: "Marketing blog", ip: "198.51.100.30",
			geo: "US-OR", created: t0.Add(-300 * day), scanHour: 5, inPCIScope: false},
	}
	a.issues = map[int]issue{
		issueTLS10: {id: issueTLS10, name: "TLS Version 1.0 Protocol Detection", severity: 3, failsPCI: true},
		issueRemoteAccess: {id: issueRemoteAccess, name: "Remote Access Service Detected (SSH)", severity: 0,
			noteType: "remote_access",
			noteText: "OpenSSH 9.6 answers on port 22. The ASV Program Guide requires you to confirm that this " +
				"remote access service is needed for business, is restricted to known source addresses and " +
				"uses strong authentication, or to remove it."},
		issueEmbeddedScript: {id: issueEmbeddedScript, name: "Script Loaded from Out-of-Scope Domain", severity: 1,
			noteType: "embedded_links",
			noteText: "The checkout page loads JavaScript from widgets.example.net, which is not in this scan's " +
				"scope. Confirm the script comes from a trusted provider, is monitored for unauthorized change " +
				"and does not receive cardholder data outside your validated environment."},
	}

	finished := func(id string, targetID int, started time.Time, took time.Duration, sev, inst [6]int, f ...finding) *scan {
		return &scan{id: id, targetID: targetID, started: started, finishes: started.Add(took),
			severity: sev, instances: inst, findings: f}
	}
	script := finding{issueID: issueEmbeddedScript, noteID: noteStorefrontScript}
	ssh := finding{issueID: issueRemoteAccess, noteID: noteVPNRemoteAccess}
	tls := finding{issueID: issueTLS10}
	pendingEnd := t0.Add(finishAfter)
	a.scans = []*scan{
		finished("sc48120", demoStorefrontID, t0.Add(-96*day), 29*time.Minute,
			[6]int{14, 4, 2, 0, 0, 0}, [6]int{31, 6, 2, 0, 0, 0}, script),
		finished("sc48121", demoVPNID, t0.Add(-96*day+time.Hour), 10*time.Minute,
			[6]int{5, 1, 0, 0, 0, 0}, [6]int{7, 1, 0, 0, 0, 0}, ssh),
		finished("sc48202", demoBlogID, t0.Add(-30*day), 31*time.Minute,
			[6]int{11, 3, 3, 1, 0, 0}, [6]int{24, 5, 4, 1, 0, 0}),
		// The storefront's latest finished scan at t0: TLS 1.0 came back with a load balancer change.
		finished("sc48211", demoStorefrontID, t0.Add(-9*day), 30*time.Minute,
			[6]int{14, 4, 2, 1, 0, 0}, [6]int{31, 6, 2, 2, 0, 0}, script, tls),
		finished("sc48215", demoVPNID, t0.Add(-9*day+time.Hour), 11*time.Minute,
			[6]int{5, 1, 0, 0, 0, 0}, [6]int{7, 1, 0, 0, 0, 0}, ssh),
		// The storefront's rescan after the TLS fix, and the payments API's first scan: both
		// running at t0 and finished at t0+finishAfter.
		{id: "sc48290", targetID: demoStorefrontID, started: t0.Add(-4 * time.Minute), finishes: pendingEnd,
			severity: [6]int{14, 4, 2, 0, 0, 0}, instances: [6]int{31, 6, 2, 0, 0, 0}, findings: []finding{script}},
		{id: "sc48291", targetID: demoAPIID, started: t0.Add(-2 * time.Minute), finishes: pendingEnd,
			severity: [6]int{6, 1, 0, 0, 0, 0}, instances: [6]int{9, 1, 0, 0, 0, 0}},
	}

	// Two earlier quarterly reports, named after the two quarters before t0. The older one is
	// past the 90 days a report stays valid [doc]; "expired" as a status is a guess.
	earlier := []struct {
		id      int
		quarter int
		status  string
	}{{demoFirstReportID, -2, "expired"}, {demoLastReportID, -1, "approved"}}
	for _, e := range earlier {
		a.reports = append(a.reports, &report{
			id: e.id, name: quarterName(t0, e.quarter) + " external ASV scan",
			attestName: "Dana Whitfield", attestTitle: "IT Director", status: e.status,
			targetIDs: []int{demoStorefrontID, demoVPNID}, notes: []reportNote{},
		})
	}
	// Their events: each approved, the older one expired 90 days later [doc], and the newer
	// one's expiry (ten days after t0) announced two weeks ahead.
	a.history = []event{
		{id: fmt.Sprintf("ev-%d-approved", demoFirstReportID), key: keyReportApproved, at: t0.Add(-170 * day)},
		{id: fmt.Sprintf("ev-%d-expired", demoFirstReportID), key: keyReportExpired, at: t0.Add(-80 * day)},
		{id: fmt.Sprintf("ev-%d-approved", demoLastReportID), key: keyReportApproved, at: t0.Add(-80 * day)},
		{id: fmt.Sprintf("ev-%d-expire-soon", demoLastReportID), key: keyReportExpireSoon, at: t0.Add(-4 * day)},
	}
	return a
}

// quarterName names the calendar quarter offset quarters away from t's, as "2026 Q1".
func quarterName(t time.Time, offset int) string {
	q := t.UTC().Year()*4 + (int(t.UTC().Month())-1)/3 + offset
	return fmt.Sprintf("%d Q%d", q/4, q%4+1)
}
