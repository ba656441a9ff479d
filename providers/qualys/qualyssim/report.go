package qualyssim

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// reportAsset is one asset of the compliance report fetch.
type reportAsset struct {
	ip     netip.Addr
	dns    string
	status string
	qids   []int
}

// MarshalJSON writes the asset under the guessed member names.
func (r reportAsset) MarshalJSON() ([]byte, error) {
	return jsonObject{
		{reportIPField, r.ip.String()}, {reportDNSField, r.dns},
		{reportStatusField, r.status}, {reportQIDsField, r.qids},
	}.MarshalJSON()
}

// reportNote is one special note of the compliance report fetch.
type reportNote struct {
	ip   netip.Addr
	dns  string
	qid  int
	note specialNote
}

// MarshalJSON writes the note under the guessed member names.
func (n reportNote) MarshalJSON() ([]byte, error) {
	return jsonObject{
		{reportIPField, n.ip.String()}, {reportDNSField, n.dns}, {reportQIDField, n.qid},
		{reportNoteTypeField, n.note.kind}, {reportNoteTextField, n.note.text},
	}.MarshalJSON()
}

// reportFetch serves GET /pci/reporting/reportGeneration/fetch: what the
// compliance report will say, from each asset's latest finished scan, or
// from one finished scan with scanId. Assets no finished scan covered are
// left out: the report covers what was scanned.
func (s *Simulator) reportFetch(c call) (any, error) {
	results := s.account.currentResults(c.now)
	if text := strings.TrimSpace(c.query.Get(reportScanIDParam)); text != "" {
		id, err := strconv.ParseUint(text, 10, 63)
		if err != nil {
			return nil, badRequest("%q is not a numeric %s.", text, reportScanIDParam)
		}
		sc := s.account.findScan(id)
		switch {
		case sc == nil:
			return nil, notFound("No scan with id %d in this account.", id)
		case sc.status(c.now) != scanFinished:
			return nil, badRequest("Scan %d has not finished; a compliance report is generated from finished scans.", id)
		}
		results = map[assetKey]assetResult{}
		for _, sa := range sc.assets {
			results[sa.key] = assetResult{scanID: sc.id, findings: sa.findings}
		}
	}
	assets := []reportAsset{}
	notes := []reportNote{}
	failing := []string{}
	for key, r := range results {
		a := reportAsset{ip: key.host, status: r.status(), qids: []int{}}
		if !key.host.IsValid() {
			a.ip, a.dns = key.vhost.ip, key.vhost.fqdn
		}
		for _, f := range r.findings {
			a.qids = append(a.qids, f.vuln.QID)
			if note, ok := specialNotes[f.vuln.QID]; ok {
				notes = append(notes, reportNote{ip: a.ip, dns: a.dns, qid: f.vuln.QID, note: note})
			}
		}
		slices.Sort(a.qids)
		assets = append(assets, a)
		if a.status == statusFail && !slices.Contains(failing, a.ip.String()) {
			failing = append(failing, a.ip.String())
		}
	}
	slices.SortFunc(assets, func(x, y reportAsset) int { return cmp.Or(x.ip.Compare(y.ip), strings.Compare(x.dns, y.dns)) })
	slices.SortFunc(notes, func(x, y reportNote) int {
		return cmp.Or(x.ip.Compare(y.ip), strings.Compare(x.dns, y.dns), x.qid-y.qid)
	})
	slices.SortFunc(failing, func(x, y string) int { return netip.MustParseAddr(x).Compare(netip.MustParseAddr(y)) })
	return jsonObject{
		{reportAssetsField, assets},
		{reportNotesField, notes},
		{reportFailingField, failing},
		{reportDateField, formatDisplayTime(c.now)},
	}, nil
}
