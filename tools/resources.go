package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
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
// A provider with several accounts takes the account as a query,
// qualys://scans/10987?account=acme-eu, as its tools take the account
// argument; without it, the default account. Each resource of such a
// provider names its account, in its name and in its contents.

// Resource addresses. accountQuery is added to a template when its
// provider has several accounts.
const (
	scanTemplate     = "qualys://scans/{scan_id}"
	reportTemplate   = "halo://pci-reports/{pci_report_id}"
	accountQuery     = "{?account}"
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
	srv  *server.MCPServer
	deps *Deps
	now  func() time.Time

	mu        sync.Mutex
	listedAt  time.Time
	scanIDs   map[string][]string // by account name, most recent first
	reportIDs map[string][]string // by account name, most recent first
}

// newResources returns the resources of deps' accounts.
func newResources(deps *Deps) *resources {
	return &resources{deps: deps, now: time.Now, scanIDs: map[string][]string{}, reportIDs: map[string][]string{}}
}

// several reports whether the provider's resources take an account.
func (r *resources) several(ts Toolset) bool { return r.deps.accounts[ts].several() }

// views are the provider's accounts in configuration order.
func (r *resources) views(ts Toolset) []*Deps {
	c := r.deps.accounts[ts]
	if c == nil {
		return nil
	}
	views := make([]*Deps, len(c.names))
	for i, name := range c.names {
		views[i] = c.views[name]
	}
	return views
}

// view is the account a resource's URI names with its query, the default
// one without; an account the provider does not have is an error naming
// those it has.
func (r *resources) view(ts Toolset, uri string) (*Deps, error) {
	c := r.deps.accounts[ts]
	if c == nil {
		return nil, fmt.Errorf("%s: %s is not configured; nothing was sent", uri, ts.provider())
	}
	u, err := url.Parse(uri)
	if err != nil || !u.Query().Has(accountArgument) {
		return c.views[c.fallback], nil
	}
	args, _ := json.Marshal(map[string]string{accountArgument: u.Query().Get(accountArgument)})
	view, _, err := r.deps.forCall(ts, args)
	if err != nil {
		return nil, fmt.Errorf("%s: %w; nothing was sent", uri, err)
	}
	return view, nil
}

// resourceURI is the address of an item of view's account: with the
// account as a query when the provider has several, but for the default.
func (r *resources) resourceURI(ts Toolset, view *Deps, prefix, id string) string {
	if !r.several(ts) || view.accountName == r.deps.accounts[ts].fallback {
		return prefix + id
	}
	return prefix + id + "?" + accountArgument + "=" + url.QueryEscape(view.accountName)
}

// resourceName names an item, and its account when the provider has
// several.
func (r *resources) resourceName(ts Toolset, view *Deps, name string) string {
	if !r.several(ts) {
		return name
	}
	return name + " (account " + view.accountName + ")"
}

// template is a provider's resource template, with the account query when
// it has several accounts.
func (r *resources) template(ts Toolset, base string) string {
	if r.several(ts) {
		return base + accountQuery
	}
	return base
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
	if r.deps.accounts[ToolsetQualys] != nil {
		srv.AddResourceTemplate(mcp.NewResourceTemplate(r.template(ToolsetQualys, scanTemplate), "Qualys PCI scan",
			mcp.WithTemplateDescription("A scan's details as JSON; compliance only once finished."+r.accountNote(ToolsetQualys)),
			mcp.WithTemplateMIMEType("application/json")), r.readScan)
	}
	if r.deps.accounts[ToolsetHalo] != nil {
		srv.AddResourceTemplate(mcp.NewResourceTemplate(r.template(ToolsetHalo, reportTemplate), "Halo Security PCI report",
			mcp.WithTemplateDescription("A PCI report as JSON: status, attester, targets and answered notes."+r.accountNote(ToolsetHalo)),
			mcp.WithTemplateMIMEType("application/json")), r.readReport)
	}
	if hooks := srv.GetHooks(); hooks != nil {
		hooks.AddBeforeListResources(func(ctx context.Context, _ any, _ *mcp.ListResourcesRequest) { r.refresh(ctx) })
	}
}

// accountNote tells, in a template's description, how to choose the
// account.
func (r *resources) accountNote(ts Toolset) string {
	c := r.deps.accounts[ts]
	if !c.several() {
		return ""
	}
	return fmt.Sprintf(" account: one of %s; default %s.", strings.Join(c.names, ", "), c.fallback)
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
	view, err := r.view(ToolsetQualys, req.Params.URI)
	if err != nil {
		return nil, err
	}
	res, err := view.Qualys.ScanDetails(ctx, id)
	if err != nil {
		return nil, view.resourceError(ToolsetQualys, req.Params.URI, about(err, fmt.Sprintf("scan %d", id), scanNotFoundHint))
	}
	return view.jsonContents(req.Params.URI, newScanDetailsOutput(id, res))
}

// readReport reads halo://pci-reports/{pci_report_id}.
func (r *resources) readReport(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	id, err := resourceID(req.Params.URI, reportURIPrefix, "pci_report_id")
	if err != nil {
		return nil, err
	}
	view, err := r.view(ToolsetHalo, req.Params.URI)
	if err != nil {
		return nil, err
	}
	res, err := view.Halo.GetReport(ctx, id)
	if err != nil {
		return nil, view.resourceError(ToolsetHalo, req.Params.URI,
			about(err, fmt.Sprintf("PCI report %d", id), "List reports with halo_pci_list_reports to find valid ids."))
	}
	return view.jsonContents(req.Params.URI, res)
}

// resourceID reads the numeric id at the end of uri's path.
func resourceID(uri, prefix, name string) (int64, error) {
	text, _, _ := strings.Cut(strings.TrimPrefix(uri, prefix), "?")
	id, err := strconv.ParseInt(text, 10, 64)
	if !strings.HasPrefix(uri, prefix) || err != nil || id < 1 {
		return 0, fmt.Errorf("%s: %s must be a positive whole number, as in %s123; nothing was sent", uri, name, prefix)
	}
	return id, nil
}

// jsonContents renders v as a JSON resource, scrubbed like every result,
// and naming its account first when the provider has several.
func (d *Deps) jsonContents(uri string, v any) ([]mcp.ResourceContents, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if d.stampAccount && bytes.HasPrefix(data, []byte("{")) {
		data = d.withAccountMember(data)
	}
	return []mcp.ResourceContents{mcp.TextResourceContents{URI: uri, MIMEType: "application/json", Text: d.Redactor.Redact(string(data))}}, nil
}

// resourceError says what went wrong reading uri, as a tool result would.
func (d *Deps) resourceError(ts Toolset, uri string, err error) error {
	return errors.New(d.Redactor.Redact(d.describeFailure(spec{name: uri, toolset: ts, annotations: readHints}, err)))
}

// refresh lists the most recent scans and reports of every account again
// once the last list is older than recentTTL: one upstream call each per
// account. A failed call keeps what was listed before.
func (r *resources) refresh(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.listedAt.IsZero() && r.now().Sub(r.listedAt) < recentTTL {
		return
	}
	list := []server.ServerResource{{Resource: guideResource(), Handler: readGuide}}
	for _, kind := range []struct {
		ts                 Toolset
		ids                map[string][]string
		prefix, name, what string
		read               server.ResourceHandlerFunc
	}{
		{ToolsetQualys, r.scanIDs, scanURIPrefix, "Qualys scan ", "scans", r.readScan},
		{ToolsetHalo, r.reportIDs, reportURIPrefix, "Halo PCI report ", "PCI reports", r.readReport},
	} {
		for _, view := range r.views(kind.ts) {
			if ids, err := recentIDs(ctx, kind.ts, view); err == nil {
				kind.ids[view.accountName] = ids
			} else {
				view.Log.Warn("listing recent "+kind.what+" for resources/list failed", "account", view.accountName, "err", view.Redactor.Redact(err.Error()))
			}
			for _, id := range kind.ids[view.accountName] {
				list = append(list, server.ServerResource{Resource: mcp.NewResource(r.resourceURI(kind.ts, view, kind.prefix, id),
					r.resourceName(kind.ts, view, kind.name+id), mcp.WithMIMEType("application/json")), Handler: kind.read})
			}
		}
	}
	r.srv.SetResources(list...)
	r.listedAt = r.now()
}

// recentIDs lists the ids of view's most recent scans (Qualys) or PCI
// reports (Halo), most recent first: one upstream call.
func recentIDs(ctx context.Context, ts Toolset, view *Deps) ([]string, error) {
	ids := []string{}
	if ts == ToolsetQualys {
		scans, err := view.Qualys.ListScans(ctx, qualys.ListOptions{Offset: 1, Limit: recentResources, SortBy: "date", SortOrder: "DESC"})
		if err != nil {
			return nil, err
		}
		for _, sc := range scans.Scans {
			ids = append(ids, strconv.FormatInt(int64(sc.ScanID), 10))
		}
		return ids, nil
	}
	reports, err := view.Halo.ListReports(ctx, halo.ListOptions{Limit: recentResources, SortDesc: true})
	if err != nil {
		return nil, err
	}
	for _, rep := range reports.Reports {
		ids = append(ids, strconv.FormatInt(int64(rep.PCIReportID), 10))
	}
	return ids, nil
}

// CompleteResourceArgument offers recent scan ids for qualys://scans and
// recent report ids for halo://pci-reports, most recent first, of the
// account already chosen (the default until one is); and the account
// names, for a provider with several.
func (r *resources) CompleteResourceArgument(ctx context.Context, uri string, arg mcp.CompleteArgument, cc mcp.CompleteContext) (*mcp.Completion, error) {
	ts, idArg := ToolsetQualys, "scan_id"
	switch strings.TrimSuffix(uri, accountQuery) {
	case scanTemplate:
	case reportTemplate:
		ts, idArg = ToolsetHalo, "pci_report_id"
	default:
		return &mcp.Completion{Values: []string{}}, nil
	}
	c := r.deps.accounts[ts]
	switch {
	case c == nil:
	case arg.Name == accountArgument && c.several():
		return matching(c.names, arg.Value), nil
	case arg.Name == idArg:
		account := c.fallback
		if chosen := cc.Arguments[accountArgument]; c.several() && chosen != "" {
			account = chosen
		}
		r.refresh(ctx)
		r.mu.Lock()
		defer r.mu.Unlock()
		ids := r.scanIDs[account]
		if ts == ToolsetHalo {
			ids = r.reportIDs[account]
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
