package qualyssim

import (
	"net/http"
	"testing"
)

// TestDemoMerchant pins the demo data `pci-mcp --sandbox` starts with.
func TestDemoMerchant(t *testing.T) {
	srv, _ := startSim(t, Options{})
	cases := []struct {
		path, want string
	}{
		{
			"/pci/scan/list",
			`{"responseApiVersion":"LATEST - V1","data":{"totalCount":1,"fetchRange":"1-1","scanInfoList":[` +
				`{"scanId":10987,"title":"Q2 2025 external PCI scan","status":"Finished","date":"June 02, 2025 at 01:30 PM GMT",` +
				`"scanType":"IP","target":"203.0.113.10-203.0.113.12,shop.example.net"}]}}`,
		},
		{
			"/pci/scan/10987/details",
			`{"responseApiVersion":"LATEST - V1","data":{"title":"Q2 2025 external PCI scan","startedOn":"June 02, 2025 at 01:30 PM GMT",` +
				`"launchedBy":"Sandbox Merchant","duration":"00:41:18","activeHosts":3,"launchType":"On Demand","bandwidth":"Medium",` +
				`"scanStatus":"Finished","target":"203.0.113.10-203.0.113.12,shop.example.net","scanType":"IP","compliance":"Fail"}}`,
		},
		{
			"/pci/vuln/list",
			`{"responseApiVersion":"LATEST - V1","data":{"totalCount":2,"fetchRange":"1-2","merchantVulnList":[` +
				`{"id":7340001,"qid":38657,"title":"Birthday attacks against TLS ciphers with 64bit block size vulnerability (Sweet32)",` +
				`"ip":"203.0.113.11","dns":"","port":443,"protocol":"tcp","severity":3,"pciCompliant":"Fail","scanId":10987},` +
				`{"id":7340002,"qid":38170,"title":"SSL Certificate - Subject Common Name Does Not Match Server FQDN",` +
				`"ip":"203.0.113.12","dns":"","port":443,"protocol":"tcp","severity":2,"pciCompliant":"Pass","scanId":10987}]}}`,
		},
		{
			"/pci/compliance/summary",
			`{"responseApiVersion":"LATEST - V1","data":{"totalCount":5,"fetchRange":"1-5","complianceSummaryList":[` +
				`{"ip":"203.0.113.10","dns":"","status":"Pass","assetType":"IP"},` +
				`{"ip":"203.0.113.10","dns":"shop.example.net","status":"Pass","assetType":"VIRTUALHOST"},` +
				`{"ip":"203.0.113.11","dns":"","status":"Fail","assetType":"IP"},` +
				`{"ip":"203.0.113.12","dns":"","status":"Pass","assetType":"IP"},` +
				`{"ip":"2001:db8:4c1::80","dns":"","status":"Not Scanned","assetType":"IP"}]}}`,
		},
	}
	for _, c := range cases {
		r := send(t, srv, "GET", c.path, "")
		equal(t, c.path+" status", r.status, http.StatusOK)
		jsonEqual(t, c.path, r.body, c.want)
	}
}

// TestDemoIsTheSameEveryTime checks that the demo does not depend on the
// clock or on earlier simulators.
func TestDemoIsTheSameEveryTime(t *testing.T) {
	first, _ := startSim(t, Options{})
	launch(t, first, `{"title":"noise","targetAll":"true"}`)
	second, clock := startSim(t, Options{})
	clock.Advance(400 * 24 * 60 * 60 * 1e9)
	a := send(t, first, "GET", "/pci/scan/10987/details", "")
	b := send(t, second, "GET", "/pci/scan/10987/details", "")
	equal(t, "demo scan details", a.body, b.body)
}
