package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/pci-mcp/pci-mcp/providers/halo"
	"github.com/pci-mcp/pci-mcp/providers/qualys"
)

// This file is pci-mcp's MCP resources: a Qualys scan and a Halo PCI
// report as documents a person can attach to a conversation, the recent
// ones listed, their ids offered as completions, and the workflow guide.
// They read the default account of each provider.

// Resource addresses.
const (
	scanTemplate     = "qualys://scans/{scan_id}"
	reportTemplate   = "halo://pci-reports/{pci_report_id}"
	scanURIPrefix    = "qualys://scans/"
	reportURIPrefix  = "halo://pci-reports/"
	workflowGuideURI = "pci-mcp://guide/workflow"
)

// recentResources is how many scans and reports resources/list names, and
// recentTTL how long that list is kept before it is read again.
const (
	recentResources = 20
	recentTTL       = 30 * time.Second
)

// resources serves the resources and completions of one server.
type resources struct {
	srv    *server.MCPServer
	qualys *Deps // nil when Qualys is not configured
	halo   *Deps // nil when Halo is not configured
	now    func() time.Time

	mu        sync.Mutex
	listedAt  time.Time
	scanIDs   []string // most recent first
	reportIDs []string // most recent first
}

// newResources returns the resources of deps' default accounts.
func newResources(deps *Deps) *resources {
	r := &resources{now: time.Now}
	if deps.accounts[ToolsetQualys] != nil {
		r.qualys, _, _ = deps.forCall(ToolsetQualys, nil)
	}
	if deps.accounts[ToolsetHalo] != nil {
		r.halo, _, _ = deps.forCall(ToolsetHalo, nil)
	}
	return r
}

// serverOptions declare resources and completions to mcp-go. The list does
// not announce changes: it is read again when asked, at most every
// recentTTL.
func (r *resources) serverOptions() []server.ServerOption {
	return []server.ServerOption{
		server.WithResourceCapabilities(false, false),
		server.WithCompletions(),
		server.WithResourceCompletionProvider(r),
		server.WithPromptCompletionProvider(r),
	}
}

// register adds the guide, the templates and the hook that keeps the list
// of recent scans and reports fresh.
func (r *resources) register(srv *server.MCPServer) {
	r.srv = srv
	srv.AddResource(guideResource(), readGuide)
	if r.qualys != nil {
		srv.AddResourceTemplate(mcp.NewResourceTemplate(scanTemplate, "Qualys PCI scan",
			mcp.WithTemplateDescription("A scan's details as JSON; compliance only once finished."),
			mcp.WithTemplateMIMEType("application/json")), r.readScan)
	}
	if r.halo != nil {
		srv.AddResourceTemplate(mcp.NewResourceTemplate(reportTemplate, "Halo Security PCI report",
			mcp.WithTemplateDescription("A PCI report as JSON: status, attester, targets and answered notes."),
			mcp.WithTemplateMIMEType("application/json")), r.readReport)
	}
	if hooks := srv.GetHooks(); hooks != nil {
		hooks.AddBeforeListResources(func(ctx context.Context, _ any, _ *mcp.ListResourcesRequest) { r.refresh(ctx) })
	}
}

func guideResource() mcp.Resource {
	return mcp.NewResource(workflowGuideURI, "PCI quarter workflow guide",
		mcp.WithResourceDescription("Which pci-mcp tool serves which step of a PCI ASV quarter, and what to check at each."),
		mcp.WithMIMEType("text/markdown"))
}

func readGuide(_ context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "text/markdown", Text: workflowGuide}}, nil
}

// readScan reads qualys://scans/{scan_id}: the scan's details as
// qualys_get_scan shows them, with no verdict before a final status.
func (r *resources) readScan(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	id, err := resourceID(req.Params.URI, scanURIPrefix, "scan_id")
	if err != nil {
		return nil, err
	}
	res, err := r.qualys.Qualys.ScanDetails(ctx, id)
	if err != nil {
		return nil, r.qualys.resourceError(ToolsetQualys, req.Params.URI, about(err, fmt.Sprintf("scan %d", id), scanNotFoundHint))
	}
	return r.qualys.jsonContents(req.Params.URI, newScanDetailsOutput(id, res))
}

// readReport reads halo://pci-reports/{pci_report_id}.
func (r *resources) readReport(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	id, err := resourceID(req.Params.URI, reportURIPrefix, "pci_report_id")
	if err != nil {
		return nil, err
	}
	res, err := r.halo.Halo.GetReport(ctx, id)
	if err != nil {
		return nil, r.halo.resourceError(ToolsetHalo, req.Params.URI,
			about(err, fmt.Sprintf("PCI report %d", id), "List reports with halo_pci_list_reports to find valid ids."))
	}
	return r.halo.jsonContents(req.Params.URI, res)
}

// resourceID reads the numeric id at the end of uri.
func resourceID(uri, prefix, name string) (int64, error) {
	text := strings.TrimPrefix(uri, prefix)
	id, err := strconv.ParseInt(text, 10, 64)
	if !strings.HasPrefix(uri, prefix) || err != nil || id < 1 {
		return 0, fmt.Errorf("%s: %s must be a positive whole number, as in %s123; nothing was sent", uri, name, prefix)
	}
	return id, nil
}

// jsonContents renders v as a JSON resource, scrubbed like every result.
func (d *Deps) jsonContents(uri string, v any) ([]mcp.ResourceContents, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return []mcp.ResourceContents{mcp.TextResourceContents{URI: uri, MIMEType: "application/json", Text: d.Redactor.Redact(string(data))}}, nil
}

// resourceError says what went wrong reading uri, as a tool result would.
func (d *Deps) resourceError(ts Toolset, uri string, err error) error {
	return errors.New(d.Redactor.Redact(d.describeFailure(spec{name: uri, toolset: ts, annotations: readHints}, err)))
}

// refresh lists the most recent scans and reports again once the last
// list is older than recentTTL: one upstream call each. A failed call
// keeps what was listed before.
func (r *resources) refresh(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.listedAt.IsZero() && r.now().Sub(r.listedAt) < recentTTL {
		return
	}
	list := []server.ServerResource{{Resource: guideResource(), Handler: readGuide}}
	if r.qualys != nil {
		scans, err := r.qualys.Qualys.ListScans(ctx, qualys.ListOptions{Offset: 1, Limit: recentResources, SortBy: "date", SortOrder: "DESC"})
		if err == nil {
			r.scanIDs = r.scanIDs[:0]
			for _, sc := range scans.Scans {
				r.scanIDs = append(r.scanIDs, strconv.FormatInt(int64(sc.ScanID), 10))
			}
		} else {
			r.qualys.Log.Warn("listing recent scans for resources/list failed", "err", r.qualys.Redactor.Redact(err.Error()))
		}
		for _, id := range r.scanIDs {
			list = append(list, server.ServerResource{Resource: mcp.NewResource(scanURIPrefix+id, "Qualys scan "+id,
				mcp.WithMIMEType("application/json")), Handler: r.readScan})
		}
	}
	if r.halo != nil {
		reports, err := r.halo.Halo.ListReports(ctx, halo.ListOptions{Limit: recentResources, SortDesc: true})
		if err == nil {
			r.reportIDs = r.reportIDs[:0]
			for _, rep := range reports.Reports {
				r.reportIDs = append(r.reportIDs, strconv.FormatInt(int64(rep.PCIReportID), 10))
			}
		} else {
			r.halo.Log.Warn("listing recent PCI reports for resources/list failed", "err", r.halo.Redactor.Redact(err.Error()))
		}
		for _, id := range r.reportIDs {
			list = append(list, server.ServerResource{Resource: mcp.NewResource(reportURIPrefix+id, "Halo PCI report "+id,
				mcp.WithMIMEType("application/json")), Handler: r.readReport})
		}
	}
	r.srv.SetResources(list...)
	r.listedAt = r.now()
}

// CompleteResourceArgument offers recent scan ids for qualys://scans and
// recent report ids for halo://pci-reports, most recent first.
func (r *resources) CompleteResourceArgument(ctx context.Context, uri string, arg mcp.CompleteArgument, _ mcp.CompleteContext) (*mcp.Completion, error) {
	switch {
	case uri == scanTemplate && arg.Name == "scan_id", uri == reportTemplate && arg.Name == "pci_report_id":
		r.refresh(ctx)
		r.mu.Lock()
		defer r.mu.Unlock()
		ids := r.scanIDs
		if uri == reportTemplate {
			ids = r.reportIDs
		}
		return matching(ids, arg.Value), nil
	}
	return &mcp.Completion{Values: []string{}}, nil
}

// CompletePromptArgument: no prompt argument takes an id, so nothing is
// offered.
func (r *resources) CompletePromptArgument(context.Context, string, mcp.CompleteArgument, mcp.CompleteContext) (*mcp.Completion, error) {
	return &mcp.Completion{Values: []string{}}, nil
}

// matching returns the values that start with prefix, in order.
func matching(values []string, prefix string) *mcp.Completion {
	out := []string{}
	for _, v := range values {
		if strings.HasPrefix(v, prefix) {
			out = append(out, v)
		}
	}
	return &mcp.Completion{Values: slices.Clip(out), Total: len(out)}
}
