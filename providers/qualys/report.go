package qualys

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// The compliance report fetch is documented only by name and purpose
// (PCI Compliance 1.6 API notification): GET
// /pci/reporting/reportGeneration/fetch returns "the asset details, special
// note details, QIDs detected for these assets, and non-compliant IP
// addresses". Everything else is a guess, and these are all of them:
//   - the optional scanId query parameter choosing the scan (below);
//   - the member names: the JSON tags of ComplianceReport, ReportAsset and
//     SpecialNote, chosen by analogy with the other PCI answers.
//
// Decoding keeps every member it cannot name, and any member whose shape
// differs from the guess, in Other: a wrong guess loses nothing, the
// answer still reaches the person.
const (
	reportFetchPath   = "pci/reporting/reportGeneration/fetch" // [doc]
	reportScanIDParam = "scanId"                               // [guess]
)

// ComplianceReport is what the ASV report will say: each asset with its
// status and detected QIDs, the special notes it will carry, and the
// addresses that make it fail.
type ComplianceReport struct {
	Assets          []ReportAsset `json:"assetDetails"`
	SpecialNotes    []SpecialNote `json:"specialNotes"`
	NonCompliantIPs []string      `json:"nonCompliantIps"`
	// Other holds every member of the answer not named above, as sent.
	Other map[string]json.RawMessage `json:"other,omitempty"`
}

// UnmarshalJSON keeps the members it does not name in Other.
func (r *ComplianceReport) UnmarshalJSON(data []byte) error {
	type plain ComplianceReport
	return decodeKeepingRest(data, (*plain)(r), &r.Other)
}

// ReportAsset is one asset of the report [guess: member names].
type ReportAsset struct {
	IP     upstream.String `json:"ip"`
	DNS    upstream.String `json:"dns,omitempty"`
	Status upstream.String `json:"complianceStatus,omitempty"`
	// QIDs are the vulnerabilities detected on the asset.
	QIDs  []upstream.Int             `json:"qids,omitempty"`
	Other map[string]json.RawMessage `json:"other,omitempty"`
}

// SpecialNote is an ASV special note the report will carry, such as remote
// access software found on an asset [guess: member names].
type SpecialNote struct {
	IP    upstream.String            `json:"ip,omitempty"`
	DNS   upstream.String            `json:"dns,omitempty"`
	QID   upstream.Int               `json:"qid,omitempty"`
	Type  upstream.String            `json:"type,omitempty"`
	Note  upstream.String            `json:"note,omitempty"`
	Other map[string]json.RawMessage `json:"other,omitempty"`
}

// UnmarshalJSON keeps the members it does not name in Other.
func (a *ReportAsset) UnmarshalJSON(data []byte) error {
	type plain ReportAsset
	return decodeKeepingRest(data, (*plain)(a), &a.Other)
}

// UnmarshalJSON keeps the members it does not name in Other.
func (n *SpecialNote) UnmarshalJSON(data []byte) error {
	type plain SpecialNote
	return decodeKeepingRest(data, (*plain)(n), &n.Other)
}

// ComplianceReport fetches what the compliance report will say (GET
// /pci/reporting/reportGeneration/fetch), for scanID when it is above zero.
func (c *Client) ComplianceReport(ctx context.Context, scanID int64) (*ComplianceReport, error) {
	q := url.Values{}
	if scanID > 0 {
		q.Set(reportScanIDParam, strconv.FormatInt(scanID, 10))
	}
	var env envelope[ComplianceReport]
	if err := c.http.Do(ctx, upstream.Request{Effect: upstream.Read, Method: http.MethodGet, Path: reportFetchPath, Query: q}, &env); err != nil {
		return nil, err
	}
	r := &env.Data
	r.Assets = orEmptyList(r.Assets)
	r.SpecialNotes = orEmptyList(r.SpecialNotes)
	r.NonCompliantIPs = orEmptyList(r.NonCompliantIPs)
	return r, nil
}

// decodeKeepingRest decodes the JSON object data into out, a pointer to a
// struct, member by member: a member out names and that decodes is set, and
// every other member (unknown, or of another shape than guessed) goes into
// rest as sent. It fails only when data is not an object.
func decodeKeepingRest(data []byte, out any, rest *map[string]json.RawMessage) error {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return err
	}
	v := reflect.ValueOf(out).Elem()
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		raw, ok := all[name]
		if !ok || name == "other" {
			continue
		}
		if json.Unmarshal(raw, v.Field(i).Addr().Interface()) == nil {
			delete(all, name)
		} else {
			v.Field(i).SetZero()
		}
	}
	if len(all) > 0 {
		*rest = all
	}
	return nil
}

// orEmptyList makes a missing list encode as [].
func orEmptyList[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
