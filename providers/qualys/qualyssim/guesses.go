package qualyssim

import (
	"strings"
	"time"
)

// Everything in this file is a [guess]: the Qualys PCI API documents neither
// its error body, nor the compliance summary's member names, nor these
// formats and limits. Each lives here so one edit changes it everywhere.
//
// Guesses that have to live elsewhere (in struct tags or in behaviour) are
// indexed here so this file lists them all:
//   - scanInfoList entries carry "target" besides the documented scanId,
//     title, status, date and scanType (scans.go);
//   - merchantVulnList entries: client code shows only "id" and
//     "pciCompliant"; qid, title, ip, dns, port, protocol, severity and
//     scanId are guessed (vulns.go);
//   - vulnerability details: the member names come from client code, their
//     types are guessed: cvssBase and cvssTemporal are strings ("5.0"), qid,
//     port and severity numbers, and bugTraqList and vendorReferenceList
//     share cveList's [{urlText}] shape (vulns.go);
//   - scan states after "Launch Requested" are "Running" and "Finished", and
//     a scan that has not finished has no "compliance" member (scans.go);
//   - bandwidth, scanType and launchType accept only the values above and
//     "IP" and "ondemand" (scans.go);
//   - request bodies are decoded strictly while unknown query parameters are
//     ignored (body.go, paging.go);
//   - checks run in the order credentials, path and method, headers, media
//     type (checks.go);
//   - removing an asset that is not in scope succeeds, and answers count the
//     request's entries (assets.go, as the seed's delete sample implies);
//   - a DNS target is scanned only through the virtual hosts in scope with
//     that name, since the simulator resolves nothing (scans.go).

// Names in the compliance summary answer. The documentation says only that it
// lists, per asset, the IP, the DNS host name and the PCI status with a
// totalCount; the list and member names below are guessed by analogy with
// scanInfoList and merchantVulnList.
const (
	complianceListName       = "complianceSummaryList"
	complianceIPField        = "ip"
	complianceDNSField       = "dns"
	complianceStatusField    = "status"
	complianceAssetTypeField = "assetType"
)

// Compliance summary status values; "Pass" and "Fail" are documented for
// scans and findings, "Not Scanned" is guessed.
const (
	statusPass       = "Pass"
	statusFail       = "Fail"
	statusNotScanned = "Not Scanned"
)

// errorEnvelope is the error body the simulator sends with every non-2xx
// answer: {"responseApiVersion":"LATEST - V1","errors":[{"code":400,"message":"..."}]}.
type errorEnvelope struct {
	ResponseAPIVersion string      `json:"responseApiVersion"`
	Errors             []wireError `json:"errors"`
}

// wireError is one entry of errorEnvelope.Errors; code repeats the HTTP status.
type wireError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// errorBody builds the error answer for one status and message.
func errorBody(status int, message string) errorEnvelope {
	return errorEnvelope{
		ResponseAPIVersion: responseAPIVersion,
		Errors:             []wireError{{Code: status, Message: message}},
	}
}

// displayTime formats instants the way the seed's scan details do
// ("May 26, 2025 at 06:49 AM GMT"); whether the day is zero-padded is a guess
// (Java's "MMMM dd, yyyy 'at' hh:mm a z" pads it).
const displayTime = "January 02, 2006 at 03:04 PM GMT"

// formatDisplayTime renders t in displayTime, always in GMT.
func formatDisplayTime(t time.Time) string { return t.UTC().Format(displayTime) }

// emptyFetchRange is fetchRange when a page holds nothing.
const emptyFetchRange = "0-0"

// Paging limits and defaults.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// canonicalBandwidth returns the display form of a scan bandwidth, accepting
// any letter case; only "Medium" appears in the documentation, an empty value
// means "Medium".
func canonicalBandwidth(text string) (string, bool) {
	switch strings.ToLower(text) {
	case "", "medium":
		return "Medium", true
	case "low":
		return "Low", true
	case "high":
		return "High", true
	}
	return "", false
}

// fpStatusNone is a finding's false-positive status when none was requested.
const fpStatusNone = "None"

// launchedBy is the display name of the sandbox account's user.
const launchedBy = "Sandbox Merchant"

// expandRangeLimit is the largest range the compliance summary lists host by
// host; larger ranges appear as one "first-last" entry.
const expandRangeLimit = 256

// maxScanHosts caps the addresses one scan may cover so a launch on a huge
// range fails clearly instead of exhausting memory; the real limit is unknown.
const maxScanHosts = 4096

// The compliance report fetch (GET /pci/reporting/reportGeneration/fetch)
// is documented only by purpose: asset details, special notes, the QIDs
// detected per asset and the non-compliant IP addresses. Its parameter and
// every member name below are guesses, shared with the client's guesses in
// providers/qualys/report.go; reportDate is one more member the client does
// not name, so the sandbox shows that unknown members reach the person.
const (
	reportScanIDParam   = "scanId"
	reportAssetsField   = "assetDetails"
	reportNotesField    = "specialNotes"
	reportFailingField  = "nonCompliantIps"
	reportDateField     = "reportDate"
	reportIPField       = "ip"
	reportDNSField      = "dns"
	reportStatusField   = "complianceStatus"
	reportQIDsField     = "qids"
	reportQIDField      = "qid"
	reportNoteTypeField = "type"
	reportNoteTextField = "note"
)

// specialNote is an ASV special note a finding raises.
type specialNote struct{ kind, text string }

// specialNotes are the findings that raise an ASV special note: the ASV
// Program Guide asks the merchant to justify remote access services, and
// QID 38739 means SSH answers on the host.
var specialNotes = map[int]specialNote{
	38739: {kind: "Remote Access", text: "SSH answers on port 22. Confirm it is needed for business, restricted to known source addresses and uses strong authentication, or remove it."},
}
