package qualyssim

import (
	"slices"
	"strconv"
)

// vulnSummary is one entry of merchantVulnList in GET /pci/vuln/list. id is
// the detection id (not the QID), which GET /pci/vuln/{id}/details takes.
type vulnSummary struct {
	ID           int    `json:"id"`
	QID          int    `json:"qid"`
	Title        string `json:"title"`
	IP           string `json:"ip"`
	DNS          string `json:"dns"`
	Port         int    `json:"port"`
	Protocol     string `json:"protocol"`
	Severity     int    `json:"severity"`
	PCICompliant string `json:"pciCompliant"`
	ScanID       int    `json:"scanId"`
}

// reference is one entry of cveList, bugTraqList or vendorReferenceList.
type reference struct {
	URLText string `json:"urlText"`
}

// vulnDetails is the answer of GET /pci/vuln/{id}/details, members as seen in
// working client code.
type vulnDetails struct {
	Title               string      `json:"title"`
	IP                  string      `json:"ip"`
	DNS                 string      `json:"dns"`
	QID                 int         `json:"qid"`
	CVSSBase            string      `json:"cvssBase"`
	CVSSTemporal        string      `json:"cvssTemporal"`
	Port                int         `json:"port"`
	Service             string      `json:"service"`
	Protocol            string      `json:"protocol"`
	Severity            int         `json:"severity"`
	Category            string      `json:"category"`
	PCICompliant        string      `json:"pciCompliant"`
	FPStatus            string      `json:"fpStatus"`
	CVEList             []reference `json:"cveList"`
	BugTraqList         []reference `json:"bugTraqList"`
	VendorReferenceList []reference `json:"vendorReferenceList"`
	Threat              string      `json:"threat"`
	Impact              string      `json:"impact"`
	Solution            string      `json:"solution"`
	Patch               string      `json:"patch"`
	Result              string      `json:"result"`
	DateLastUpdate      string      `json:"dateLastUpdate"`
}

// pciVerdict is a finding's pciCompliant value.
func (f finding) pciVerdict() string {
	if f.vuln.failsPCI() {
		return statusFail
	}
	return statusPass
}

// references wraps texts as reference entries, never null.
func references(texts []string) []reference {
	out := []reference{}
	for _, t := range texts {
		out = append(out, reference{URLText: t})
	}
	return out
}

// cvss renders a score as the console does ("5.0").
func cvss(score float64) string { return strconv.FormatFloat(score, 'f', 1, 64) }

// listVulns serves GET /pci/vuln/list: the current findings, that is those of
// each asset's latest finished scan, by detection id unless sortBy says
// otherwise.
func (s *Simulator) listVulns(c call) (any, error) {
	q, err := parseListQuery(c.query, listSort{keys: []string{"id", "qid", "severity", "ip"}, key: "id"})
	if err != nil {
		return nil, err
	}
	var found []finding
	for _, r := range s.account.currentResults(c.now) {
		found = append(found, r.findings...)
	}
	slices.SortFunc(found, func(x, y finding) int {
		var by int
		switch q.sortBy {
		case "qid":
			by = x.vuln.QID - y.vuln.QID
		case "severity":
			by = x.vuln.Severity - y.vuln.Severity
		case "ip":
			by = x.ip.Compare(y.ip)
		}
		if by == 0 {
			by = x.id - y.id
		}
		return q.order(by)
	})
	items := make([]vulnSummary, 0, len(found))
	for _, f := range found {
		items = append(items, vulnSummary{
			ID: f.id, QID: f.vuln.QID, Title: f.vuln.Title, IP: f.ip.String(), DNS: f.dns,
			Port: f.port, Protocol: f.vuln.Protocol, Severity: f.vuln.Severity,
			PCICompliant: f.pciVerdict(), ScanID: f.scanID,
		})
	}
	return pageOf(items, q, "merchantVulnList"), nil
}

// vulnDetails serves GET /pci/vuln/{id}/details from the latest finished
// scan that detected it; a detection that only an unfinished scan holds is
// not visible yet.
func (s *Simulator) vulnDetails(c call) (any, error) {
	for _, sc := range slices.Backward(s.account.scans) {
		if sc.status(c.now) != scanFinished {
			continue
		}
		for _, sa := range sc.assets {
			for _, f := range sa.findings {
				if uint64(f.id) == c.id {
					return detailsOf(f), nil
				}
			}
		}
	}
	return nil, notFound("No vulnerability with id %d in this account's finished scans.", c.id)
}

// detailsOf renders a finding as vulnerability details.
func detailsOf(f finding) vulnDetails {
	v := f.vuln
	return vulnDetails{
		Title: v.Title, IP: f.ip.String(), DNS: f.dns, QID: v.QID,
		CVSSBase: cvss(v.CVSSBase), CVSSTemporal: cvss(v.CVSSTemporal),
		Port: f.port, Service: f.service(), Protocol: v.Protocol,
		Severity: v.Severity, Category: v.Category, PCICompliant: f.pciVerdict(),
		FPStatus: fpStatusNone, CVEList: references(v.CVEs),
		BugTraqList: references(v.BugTraqIDs), VendorReferenceList: references(v.VendorRefs),
		Threat: v.Threat, Impact: v.Impact, Solution: v.Solution, Patch: v.Patch,
		Result: v.Result, DateLastUpdate: formatDisplayTime(v.LastUpdatedOn),
	}
}
