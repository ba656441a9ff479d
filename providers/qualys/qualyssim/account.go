package qualyssim

import (
	"net/netip"
	"time"
)

// Numbering starts here so ids look like the vendor's: the seed's launch
// sample answers id 10988, which is therefore the first scan a client
// launches; the demo scan before it is 10987.
const (
	firstScanID      = 10988
	firstDetectionID = 7340001
)

// account is one PCI merchant account's state.
type account struct {
	ips    rangeSet      // hosts in scope
	vhosts []virtualHost // virtual hosts in scope, in the order added
	scans  []*scan       // every scan, in launch order

	nextScanID      int
	nextDetectionID int
	// detectionIDs keeps a finding's id stable across scans of one asset, as
	// a host detection's id is in the vendor's products.
	detectionIDs map[detectionKey]int
}

// detectionKey identifies one vulnerability on one asset.
type detectionKey struct {
	asset assetKey
	qid   int
}

// assetKey identifies a scanned asset: a host address, or a virtual host.
// Exactly one of the two is set.
type assetKey struct {
	host  netip.Addr
	vhost virtualHost
}

// newAccount returns the demo merchant unless opts.Empty, with opts.Hosts
// in scope besides.
func newAccount(opts Options) account {
	a := account{
		nextScanID:      firstScanID,
		nextDetectionID: firstDetectionID,
		detectionIDs:    map[detectionKey]int{},
	}
	if !opts.Empty {
		a.seedDemo()
	}
	for _, host := range opts.Hosts {
		r, err := parseIPAsset(host)
		if err != nil {
			panic("qualyssim: Options.Hosts: " + err.Error())
		}
		a.ips = a.ips.add(r)
	}
	return a
}

// detectionID returns the id of qid on asset, assigning the next one the
// first time it is seen.
func (a *account) detectionID(asset assetKey, qid int) int {
	key := detectionKey{asset, qid}
	id, ok := a.detectionIDs[key]
	if !ok {
		id = a.nextDetectionID
		a.nextDetectionID++
		a.detectionIDs[key] = id
	}
	return id
}

// assetResult is what the latest finished scan of one asset found.
type assetResult struct {
	scanID   int
	findings []finding
}

// status is the asset's PCI verdict from that scan.
func (r assetResult) status() string {
	for _, f := range r.findings {
		if f.vuln.failsPCI() {
			return statusFail
		}
	}
	return statusPass
}

// currentResults returns, per asset, the findings of the last-launched scan
// that covered it and had finished by now. Scans keep running on the clock
// without timers, so this is recomputed on every read.
func (a *account) currentResults(now time.Time) map[assetKey]assetResult {
	out := map[assetKey]assetResult{}
	for _, sc := range a.scans {
		if sc.status(now) != scanFinished {
			continue
		}
		for _, sa := range sc.assets {
			out[sa.key] = assetResult{scanID: sc.id, findings: sa.findings}
		}
	}
	return out
}
