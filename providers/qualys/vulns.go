package qualys

import (
	"context"
	"net/http"
	"strconv"

	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// VulnerabilitySummary is one detection in the merchant's vulnerability list.
// Only id and pciCompliant are confirmed; the other fields are what public
// client code reads [code].
type VulnerabilitySummary struct {
	// ID is the detection id (use it with VulnerabilityDetails), not the QID.
	ID           upstream.Int    `json:"id"`
	QID          upstream.Int    `json:"qid,omitempty"`
	Title        upstream.String `json:"title,omitempty"`
	IP           upstream.String `json:"ip,omitempty"`
	DNS          upstream.String `json:"dns,omitempty"`
	Port         upstream.Int    `json:"port,omitempty"`
	Protocol     upstream.String `json:"protocol,omitempty"`
	Severity     upstream.Int    `json:"severity,omitempty"`
	PCICompliant upstream.String `json:"pciCompliant,omitempty"`
	ScanID       upstream.Int    `json:"scanId,omitempty"`
}

// VulnerabilityList is a page of detections.
type VulnerabilityList struct {
	Page
	Vulnerabilities []VulnerabilitySummary `json:"merchantVulnList"`
}

// ListVulnerabilities lists the merchant's detections (GET /pci/vuln/list).
func (c *Client) ListVulnerabilities(ctx context.Context, opts ListOptions) (*VulnerabilityList, error) {
	var env envelope[VulnerabilityList]
	if err := c.http.Do(ctx, upstream.Request{Effect: upstream.Read, Method: http.MethodGet, Path: "pci/vuln/list", Query: opts.query()}, &env); err != nil {
		return nil, err
	}
	if env.Data.Vulnerabilities == nil {
		env.Data.Vulnerabilities = []VulnerabilitySummary{}
	}
	return &env.Data, nil
}

// Reference is a link in a vulnerability's CVE, Bugtraq or vendor lists.
type Reference struct {
	URLText upstream.String `json:"urlText,omitempty"`
	URL     upstream.String `json:"url,omitempty"`
}

// Vulnerability is one detection in full (GET /pci/vuln/{id}/details).
type Vulnerability struct {
	Title               upstream.String `json:"title"`
	IP                  upstream.String `json:"ip,omitempty"`
	DNS                 upstream.String `json:"dns,omitempty"`
	QID                 upstream.Int    `json:"qid,omitempty"`
	CVSSBase            upstream.String `json:"cvssBase,omitempty"`
	CVSSTemporal        upstream.String `json:"cvssTemporal,omitempty"`
	Port                upstream.Int    `json:"port,omitempty"`
	Service             upstream.String `json:"service,omitempty"`
	Protocol            upstream.String `json:"protocol,omitempty"`
	Severity            upstream.Int    `json:"severity,omitempty"`
	Category            upstream.String `json:"category,omitempty"`
	PCICompliant        upstream.String `json:"pciCompliant,omitempty"`
	FalsePositiveStatus upstream.String `json:"fpStatus,omitempty"`
	CVEs                []Reference     `json:"cveList,omitempty"`
	Bugtraq             []Reference     `json:"bugTraqList,omitempty"`
	VendorReferences    []Reference     `json:"vendorReferenceList,omitempty"`
	Threat              upstream.String `json:"threat,omitempty"`
	Impact              upstream.String `json:"impact,omitempty"`
	Solution            upstream.String `json:"solution,omitempty"`
	Patch               upstream.String `json:"patch,omitempty"`
	Result              upstream.String `json:"result,omitempty"`
	DateLastUpdate      upstream.String `json:"dateLastUpdate,omitempty"`
}

// VulnerabilityDetails reads one detection by its detection id.
func (c *Client) VulnerabilityDetails(ctx context.Context, id int64) (*Vulnerability, error) {
	var env envelope[Vulnerability]
	path := "pci/vuln/" + strconv.FormatInt(id, 10) + "/details"
	if err := c.http.Do(ctx, upstream.Request{Effect: upstream.Read, Method: http.MethodGet, Path: path}, &env); err != nil {
		return nil, err
	}
	return &env.Data, nil
}
