package tools

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/mark3labs/mcp-go/server"

	"github.com/pci-mcp/pci-mcp/providers/halo"
	"github.com/pci-mcp/pci-mcp/providers/qualys"
	"github.com/pci-mcp/pci-mcp/providers/upstream"
	"github.com/pci-mcp/pci-mcp/tools/guard"
	"github.com/pci-mcp/pci-mcp/tools/guard/approval"
)

// ServerName is the implementation name sent at initialize.
const ServerName = "pci-mcp"

// Options configure NewServer.
type Options struct {
	// Version is reported at initialize.
	Version string
	// Qualys is the Qualys client; nil leaves the Qualys tools out.
	Qualys *qualys.Client
	// Halo is the Halo Security client; nil leaves the Halo tools out.
	Halo *halo.Client
	// Accounts are named accounts of either provider. A provider with
	// several is chosen per call with the account argument. Qualys and Halo,
	// when set, are an account named "default" after that provider's own.
	Accounts []Account
	// Policy filters the catalog (read-only, toolsets, include, exclude).
	Policy Policy
	// Audit receives the audit trail; nil logs it through Logger.
	Audit *Audit
	// Guard confirms destructive calls; nil means a guard with a random
	// per-process key, the default TTL and Store.
	Guard *Guard
	// Confirm are the confirmation policies (--confirm, --confirm-attest);
	// zero means auto everywhere.
	Confirm ConfirmPolicies
	// Approvals serves the approval route; required when a served tool's
	// policy is approval.
	Approvals *approval.Service
	// Store keeps what must be single use or shared by replicas (used
	// confirmations, remembered attestation starts). nil means the Guard's
	// store: a memory store for this process unless the Guard was given
	// another.
	Store guard.Store
	// Redactor scrubs configured secrets from every result.
	Redactor *upstream.Redactor
	// Logger receives operational logs; nil discards.
	Logger *slog.Logger
	// ServerOptions are passed to mcp-go (tests add output validation).
	ServerOptions []server.ServerOption

	// pollClock paces waiting tools; nil means the wall clock. Tests set it.
	pollClock pollClock
}

// NewServer builds the MCP server: the catalog filtered by what is
// configured and by the policy, and the workflow instructions.
func NewServer(opts Options) (*server.MCPServer, []Tool, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	accounts := opts.Accounts
	if opts.Qualys != nil {
		accounts = append(accounts, Account{Name: DefaultAccountName, Qualys: opts.Qualys})
	}
	if opts.Halo != nil {
		accounts = append(accounts, Account{Name: DefaultAccountName, Halo: opts.Halo})
	}
	configured := map[Toolset]bool{}
	for _, a := range accounts {
		configured[a.toolset()] = true
	}
	selected, err := Select(Catalog(), configured, opts.Policy)
	if err != nil {
		return nil, nil, err
	}
	if selected = opts.Confirm.withoutDenied(selected); len(selected) == 0 {
		return nil, nil, errNoTools(opts.Policy)
	}
	if opts.Approvals == nil && opts.Confirm.Uses(ConfirmApproval, selected) {
		return nil, nil, fmt.Errorf("the confirmation policy is approval, but the approval route is not configured")
	}
	audit := opts.Audit
	if audit == nil {
		audit = NewAudit(nil, log, opts.Redactor)
	}
	g := opts.Guard
	if g == nil {
		if g, err = NewGuard(GuardOptions{Store: opts.Store}); err != nil {
			return nil, nil, err
		}
	}
	store := opts.Store
	if store == nil {
		store = g.Store()
	}
	deps := &Deps{Log: log, Redactor: opts.Redactor, Audit: audit, Guard: g, pollClock: opts.pollClock,
		Confirm: opts.Confirm, Approvals: opts.Approvals}
	if opts.Approvals != nil {
		opts.Approvals.Observe(audit.approvalEvent)
	}
	if deps.accounts, err = newAccountChoices(deps, accounts, store); err != nil {
		return nil, nil, err
	}
	for i, t := range selected {
		selected[i] = deps.accounts[t.Toolset].withAccount(t)
	}

	serverOpts := []server.ServerOption{
		server.WithToolCapabilities(false),
		// Clients may set a log level (logging/setLevel); the server offers it.
		server.WithLogging(),
		server.WithInstructions(instructions(selected, deps.accounts)),
		server.WithLogger(slog.New(quietHandler{log.Handler()})),
		server.WithToolHandlerMiddleware(redactResults(opts.Redactor)),
	}
	// Hooks first, so that options passed in may replace them; the
	// resources add theirs to whichever hooks the server ends up with.
	res := newResources(deps)
	serverOpts = append(serverOpts, server.WithHooks(&server.Hooks{}))
	serverOpts = append(serverOpts, res.serverOptions()...)
	serverOpts = append(serverOpts, opts.ServerOptions...)
	srv := server.NewMCPServer(ServerName, opts.Version, serverOpts...)
	res.register(srv)
	registerPrompts(srv, selected)
	tools := make([]server.ServerTool, len(selected))
	for i, t := range selected {
		tools[i] = server.ServerTool{Tool: t.Definition(), Handler: t.bind(deps)}
	}
	srv.AddTools(tools...)
	return srv, selected, nil
}

// instructions is the short guide to the PCI workflow sent at initialize:
// which tool serves which step, for the toolsets actually offered.
func instructions(selected []Tool, accounts map[Toolset]*accountChoice) string {
	has := map[string]bool{}
	sets := map[Toolset]bool{}
	for _, t := range selected {
		has[t.Name] = true
		sets[t.Toolset] = true
	}
	var b strings.Builder
	b.WriteString("pci-mcp runs a merchant's PCI DSS external (ASV) scan program.")
	if sets[ToolsetQualys] {
		b.WriteString(" Qualys workflow: 1. scope: qualys_compliance_summary shows what is in scope")
		if has["qualys_add_hosts"] {
			b.WriteString("; qualys_add_hosts and qualys_add_virtual_hosts add to it")
		}
		if has["qualys_remove_hosts"] {
			b.WriteString("; removals need the user's confirmation")
		}
		b.WriteString(". 2. scan: ")
		if has["qualys_launch_scan"] {
			b.WriteString("qualys_launch_scan, then ")
		}
		b.WriteString("qualys_wait_for_scan until finished (qualys_list_scans finds past scans). " +
			"3. findings: qualys_list_vulnerabilities, qualys_get_vulnerability for remediation. " +
			"4. status: qualys_compliance_summary gives each asset's Pass/Fail; qualys_compliance_report what fails and the special notes.")
	}
	if sets[ToolsetHalo] {
		b.WriteString(" Halo workflow: halo_pci_summary for status; halo_pci_start_attestation lists blockers, questions and notes; " +
			"resolve blockers (halo_get_target, halo_list_scans)")
		if has["halo_pci_attest"] {
			b.WriteString(", then halo_pci_attest with every answer (the user must confirm and sign)")
		}
		b.WriteString("; follow reports with halo_pci_list_reports, halo_pci_get_report and halo_list_events (approved, rejected).")
	}
	b.WriteString(" Never invent ids: read them from list tools. Full guide: resource " + workflowGuideURI + ".")
	b.WriteString(accountsGuide(sets, accounts))
	return b.String()
}

// errNoTools is returned when the policy leaves nothing to serve.
func errNoTools(p Policy) error {
	return fmt.Errorf("the tool selection leaves no tools to serve (read-only=%t, toolsets=%v, tools=%v, exclude-tools=%v)",
		p.ReadOnly, p.Toolsets, p.Tools, p.ExcludeTools)
}
