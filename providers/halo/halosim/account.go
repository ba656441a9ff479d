package halosim

import (
	"slices"
	"strings"
	"time"
)

// dateLayout is how Halo writes dates ("0000-00-00 00:00" in the documentation samples) [doc];
// the simulator writes them in UTC [guess].
const dateLayout = "2006-01-02 15:04"

// account is the state of one Halo customer: what the API calls read and pci/attest changes.
type account struct {
	merchant string
	user     user
	targets  []*target // ascending id
	scans    []*scan   // ascending start time, which is also ascending id
	issues   map[int]issue
	reports  []*report // ascending id
	// acks are the acknowledged hosts, in the order added; they last as long
	// as the simulator.
	acks []hostAck
	// history are events that are not derived from scans and reports: the
	// demo's earlier report events, placed at fixed times.
	history []event
}

// target is a host Halo scans.
type target struct {
	id         int
	host       string
	name       string
	ip         string
	geo        string
	created    time.Time
	scanHour   int
	inPCIScope bool
}

// scan is one scan of one target. It is running until finishes and finished from then on, so
// its status follows the clock without any timer.
type scan struct {
	id        string
	targetID  int
	started   time.Time
	finishes  time.Time
	severity  [6]int // distinct issues found, by severity 0-5
	instances [6]int // issue instances found, by severity 0-5
	findings  []finding
}

// finding is an issue a scan found that matters to PCI: a vulnerability that fails the scan,
// or a condition the ASV Program Guide calls a special note, which the merchant must answer.
type finding struct {
	issueID int
	// noteID identifies the special note this finding raises, 0 if it raises none. It is
	// fixed per target and issue, so every scan that finds the same thing names the same note.
	noteID int
}

// issue is a kind of finding.
type issue struct {
	id       int
	name     string
	severity int
	// failsPCI marks issues that must be resolved before attesting.
	failsPCI bool
	// noteType and noteText describe the special note the issue raises; empty for none.
	noteType string
	noteText string
}

// report is a PCI report, made by a successful attestation.
type report struct {
	id          int
	name        string
	attestName  string
	attestTitle string
	// status is the report's status when reviewedAt is zero (the demo's
	// earlier reports), and until review otherwise.
	status    string
	targetIDs []int
	notes     []reportNote
	// attestedAt and reviewedAt place a new report's review in time: it is
	// "draft" when attested [seed], "pending" from halfway to reviewedAt,
	// and decision from reviewedAt on [guess: Halo's review takes days and
	// its intermediate states are undocumented].
	attestedAt time.Time
	reviewedAt time.Time
	decision   string
}

// Report decisions: a report whose notes were all answered secure is
// approved; one with a note answered not secure is rejected [guess].
const (
	reportApproved = "approved"
	reportRejected = "rejected"
	reportPending  = "pending"
)

// statusAt is the report's status at now.
func (r *report) statusAt(now time.Time) string {
	switch {
	case r.reviewedAt.IsZero():
		return r.status
	case !now.Before(r.reviewedAt):
		return r.decision
	case !now.Before(r.attestedAt.Add(r.reviewedAt.Sub(r.attestedAt) / 2)):
		return reportPending
	}
	return r.status
}

// user is the person the API key belongs to.
type user struct {
	id        int
	firstName string
	lastName  string
	title     string
	email     string
	phone     string
	role      int
}

// running reports whether the scan has not finished at now.
func (sc *scan) running(now time.Time) bool { return now.Before(sc.finishes) }

// status is the scan's status at now [guess: Halo's status words are undocumented].
func (sc *scan) status(now time.Time) string {
	if sc.running(now) {
		return "running"
	}
	return "finished"
}

// duration is how long the scan has run at now, in whole seconds.
func (sc *scan) duration(now time.Time) int {
	end := now
	if !sc.running(now) {
		end = sc.finishes
	}
	return int(end.Sub(sc.started) / time.Second)
}

// findTarget returns the target with the id, or nil.
func (a *account) findTarget(id int) *target {
	i, found := slices.BinarySearchFunc(a.targets, id, func(t *target, id int) int { return t.id - id })
	if !found {
		return nil
	}
	return a.targets[i]
}

// findScan returns the scan with the id, or nil.
func (a *account) findScan(id string) *scan {
	for _, sc := range a.scans {
		if sc.id == id {
			return sc
		}
	}
	return nil
}

// findReport returns the report with the id, or nil.
func (a *account) findReport(id int) *report {
	for _, r := range a.reports {
		if r.id == id {
			return r
		}
	}
	return nil
}

// scansOf returns the target's scans, newest first.
func (a *account) scansOf(targetID int) []*scan {
	var out []*scan
	for i := len(a.scans) - 1; i >= 0; i-- {
		if a.scans[i].targetID == targetID {
			out = append(out, a.scans[i])
		}
	}
	return out
}

// scanRank is the scan's place among its target's scans: 0 for the newest, 1 for the one
// before, and so on.
func (a *account) scanRank(sc *scan) int {
	return slices.Index(a.scansOf(sc.targetID), sc)
}

// targetsByName returns the targets ordered by name, then id.
func (a *account) targetsByName() []*target {
	out := slices.Clone(a.targets)
	slices.SortStableFunc(out, func(x, y *target) int { return strings.Compare(x.name, y.name) })
	return out
}

// latestFinished returns the target's newest scan that has finished at now, or nil: the scan
// whose results count for PCI.
func (a *account) latestFinished(targetID int, now time.Time) *scan {
	for _, sc := range a.scansOf(targetID) {
		if !sc.running(now) {
			return sc
		}
	}
	return nil
}

// pciTargets returns the targets in PCI scope, ascending id.
func (a *account) pciTargets() []*target {
	var out []*target
	for _, t := range a.targets {
		if t.inPCIScope {
			out = append(out, t)
		}
	}
	return out
}

// pciTargetIDs returns the ids of the targets in PCI scope, ascending.
func (a *account) pciTargetIDs() []int {
	out := []int{}
	for _, t := range a.pciTargets() {
		out = append(out, t.id)
	}
	return out
}

// blockers returns, at now, the in-scope targets that have never finished a scan and those
// whose latest finished scan found an issue that fails PCI. Both lists are ascending and
// never nil, so they encode as [].
func (a *account) blockers(now time.Time) (requireScan, hasVuln []int) {
	requireScan, hasVuln = []int{}, []int{}
	for _, t := range a.pciTargets() {
		sc := a.latestFinished(t.id, now)
		if sc == nil {
			requireScan = append(requireScan, t.id)
			continue
		}
		// A host acknowledged globally has its findings hidden from what
		// counts: that is why acknowledging needs a person's yes.
		if a.acknowledged(t.host, ackGlobal) {
			continue
		}
		if slices.ContainsFunc(sc.findings, func(f finding) bool { return a.issues[f.issueID].failsPCI }) {
			hasVuln = append(hasVuln, t.id)
		}
	}
	return requireScan, hasVuln
}

// specialNotes returns, at now, the special notes raised by the latest finished scan of each
// in-scope target, by target then note id.
func (a *account) specialNotes(now time.Time) []pciNote {
	notes := []pciNote{}
	for _, t := range a.pciTargets() {
		sc := a.latestFinished(t.id, now)
		if sc == nil {
			continue
		}
		for _, f := range sc.findings {
			if f.noteID == 0 {
				continue
			}
			is := a.issues[f.issueID]
			notes = append(notes, pciNote{
				ID: f.noteID, IssueID: is.id, IssueName: is.name,
				TargetID: t.id, TargetHost: t.host, Text: is.noteText, Type: is.noteType,
			})
		}
	}
	return notes
}

// lastReport returns the newest report, or nil.
func (a *account) lastReport() *report {
	if len(a.reports) == 0 {
		return nil
	}
	return a.reports[len(a.reports)-1]
}
