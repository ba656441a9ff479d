package qualyssim

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"
)

// complianceEntry is one asset of the compliance summary.
type complianceEntry struct {
	ip        string
	sortIP    netip.Addr // first address, so ranges sort among hosts
	dns       string
	status    string
	assetType string
}

// MarshalJSON writes the entry under the guessed member names.
func (e complianceEntry) MarshalJSON() ([]byte, error) {
	return jsonObject{
		{complianceIPField, e.ip},
		{complianceDNSField, e.dns},
		{complianceStatusField, e.status},
		{complianceAssetTypeField, e.assetType},
	}.MarshalJSON()
}

// complianceSummary serves GET /pci/compliance/summary: one entry per host in
// scope (a range larger than expandRangeLimit is one entry) and per virtual
// host, with its PCI status from its latest finished scan.
func (s *Simulator) complianceSummary(c call) (any, error) {
	q, err := parseListQuery(c.query, listSort{keys: []string{"IP", "DNS", "status"}, key: "IP"})
	if err != nil {
		return nil, err
	}
	results := s.account.currentResults(c.now)
	var entries []complianceEntry
	for _, r := range s.account.ips {
		if r.size() > expandRangeLimit {
			entries = append(entries, complianceEntry{
				ip: r.String(), sortIP: r.first, status: rangeStatus(r, results), assetType: "IP",
			})
			continue
		}
		for _, host := range r.hosts() {
			entries = append(entries, complianceEntry{
				ip: host.String(), sortIP: host, status: hostStatus(results, assetKey{host: host}), assetType: "IP",
			})
		}
	}
	for _, v := range s.account.vhosts {
		entries = append(entries, complianceEntry{
			ip: v.ip.String(), sortIP: v.ip, dns: v.fqdn, status: hostStatus(results, assetKey{vhost: v}), assetType: "VIRTUALHOST",
		})
	}
	slices.SortStableFunc(entries, func(x, y complianceEntry) int {
		byIP := cmp.Or(x.sortIP.Compare(y.sortIP), strings.Compare(x.assetType, y.assetType), strings.Compare(x.dns, y.dns))
		switch q.sortBy {
		case "DNS":
			return q.order(cmp.Or(strings.Compare(x.dns, y.dns), byIP))
		case "status":
			return q.order(cmp.Or(strings.Compare(x.status, y.status), byIP))
		}
		return q.order(byIP)
	})
	return pageOf(entries, q, complianceListName), nil
}

// hostStatus is an asset's status from its latest finished scan.
func hostStatus(results map[assetKey]assetResult, key assetKey) string {
	r, ok := results[key]
	if !ok {
		return statusNotScanned
	}
	return r.status()
}

// rangeStatus summarises a large range: "Fail" if any scanned host in it
// fails, "Pass" once every host in it has passed, else "Not Scanned".
func rangeStatus(r ipRange, results map[assetKey]assetResult) string {
	var scanned uint64
	for key, res := range results {
		if !key.host.IsValid() || !r.contains(key.host) {
			continue
		}
		if res.status() == statusFail {
			return statusFail
		}
		scanned++
	}
	if scanned == r.size() {
		return statusPass
	}
	return statusNotScanned
}
