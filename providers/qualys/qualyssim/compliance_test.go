package qualyssim

import (
	"net/netip"
	"testing"
)

// TestComplianceSummaryPaging sorts and pages the demo merchant's summary.
func TestComplianceSummaryPaging(t *testing.T) {
	srv, _ := startSim(t, Options{})
	cases := []struct {
		query, fetchRange string
		entries           []string
	}{
		{"?sortBy=status", "1-5", []string{
			"203.0.113.11||Fail|IP", "2001:db8:4c1::80||Not Scanned|IP",
			"203.0.113.10||Pass|IP", "203.0.113.10|shop.example.net|Pass|VIRTUALHOST", "203.0.113.12||Pass|IP",
		}},
		{"?sortBy=DNS&sortOrder=DESC", "1-5", []string{
			"203.0.113.10|shop.example.net|Pass|VIRTUALHOST", "2001:db8:4c1::80||Not Scanned|IP",
			"203.0.113.12||Pass|IP", "203.0.113.11||Fail|IP", "203.0.113.10||Pass|IP",
		}},
		{"?sortBy=ip&sortOrder=DESC&offset=2&limit=2", "2-3", []string{
			"203.0.113.12||Pass|IP", "203.0.113.11||Fail|IP",
		}},
		{"?offset=5&limit=1000", "5-5", []string{"2001:db8:4c1::80||Not Scanned|IP"}},
		{"?offset=6", "0-0", []string{}},
	}
	for _, c := range cases {
		d := object(t, srv, "GET", "/pci/compliance/summary"+c.query, "")
		equal(t, c.query+" totalCount", d["totalCount"], any(5.0))
		equal(t, c.query+" fetchRange", d["fetchRange"], any(c.fetchRange))
		got := []string{}
		for _, e := range d["complianceSummaryList"].([]any) {
			m := e.(map[string]any)
			got = append(got, m["ip"].(string)+"|"+m["dns"].(string)+"|"+m["status"].(string)+"|"+m["assetType"].(string))
		}
		deepEqual(t, c.query+" entries", got, c.entries)
	}
}

// TestComplianceOfLargeRange checks the status of a range listed as one
// entry as its hosts are scanned.
func TestComplianceOfLargeRange(t *testing.T) {
	srv, _ := startSim(t, Options{Empty: true, QueuedFor: -1, RunningFor: -1})
	data(t, srv, "POST", "/pci/asset/add", assetBody("IP", "203.0.112.0-203.0.113.255"))
	deepEqual(t, "before", summaryEntries(t, srv), []string{"203.0.112.0-203.0.113.255||Not Scanned|IP"})

	launch(t, srv, `{"title":"one passing host","targetIps":"203.0.113.10"}`)
	deepEqual(t, "partly scanned", summaryEntries(t, srv), []string{"203.0.112.0-203.0.113.255||Not Scanned|IP"})

	launch(t, srv, `{"title":"one failing host","targetIps":"203.0.113.11"}`)
	deepEqual(t, "a host fails", summaryEntries(t, srv), []string{"203.0.112.0-203.0.113.255||Fail|IP"})
}

// TestRangeStatusPass covers a large range whose every host passed.
func TestRangeStatusPass(t *testing.T) {
	r := ipRange{netip.MustParseAddr("198.51.100.0"), netip.MustParseAddr("198.51.100.1")}
	results := map[assetKey]assetResult{
		{host: netip.MustParseAddr("198.51.100.0")}: {},
		{host: netip.MustParseAddr("198.51.100.1")}: {},
	}
	equal(t, "all passed", rangeStatus(r, results), statusPass)
	delete(results, assetKey{host: netip.MustParseAddr("198.51.100.1")})
	equal(t, "one not scanned", rangeStatus(r, results), statusNotScanned)
}
