package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// This file is pci-mcp's MCP prompts: short guides a person starts from
// their client's prompt menu. Each names the tools in order and what to
// check at each step, and ends by asking the person; none takes a
// destructive step on its own.

// Prompt names and arguments, as the issue gives them.
const (
	promptQuarterlyScan = "pci_quarterly_scan"
	promptAttestation   = "pci_attestation"
	promptScopeReview   = "pci_scope_review"
)

// promptSpec is one prompt: the toolset it needs, its optional argument,
// and its text given that argument.
type promptSpec struct {
	toolset     Toolset
	description string
	argument    string // "" for none
	argumentDoc string
	text        func(arg string) string
}

var prompts = map[string]promptSpec{
	promptQuarterlyScan: {
		toolset:     ToolsetQualys,
		description: "Run this quarter's external ASV scan: scope, launch, wait, report, what fails and why.",
		argument:    "hosts",
		argumentDoc: "Hosts to scan (addresses, ranges or CIDR blocks, comma-separated); default every host in scope.",
		text:        quarterlyScanText,
	},
	promptAttestation: {
		toolset:     ToolsetHalo,
		description: "Attest the PCI report in Halo Security: summary, start, blockers, each question and note with you, attest.",
		argument:    "report_name",
		argumentDoc: "Name for the report, e.g. 2026 Q4 external ASV scan.",
		text:        attestationText,
	},
	promptScopeReview: {
		toolset:     ToolsetQualys,
		description: "Review what is in PCI scope: never scanned or failing hosts, and proposals to add or remove for you to decide.",
		text:        func(string) string { return scopeReviewText },
	},
}

// promptOrder lists the prompts in the order prompts/list should show them.
var promptOrder = []string{promptQuarterlyScan, promptAttestation, promptScopeReview}

// registerPrompts adds the prompts whose toolset is served.
func registerPrompts(srv *server.MCPServer, selected []Tool) {
	served := map[Toolset]bool{}
	for _, t := range selected {
		served[t.Toolset] = true
	}
	for _, name := range promptOrder {
		p := prompts[name]
		if !served[p.toolset] {
			continue
		}
		opts := []mcp.PromptOption{mcp.WithPromptDescription(p.description)}
		if p.argument != "" {
			opts = append(opts, mcp.WithArgument(p.argument, mcp.ArgumentDescription(p.argumentDoc)))
		}
		srv.AddPrompt(mcp.NewPrompt(name, opts...), func(_ context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			arg := strings.TrimSpace(req.Params.Arguments[p.argument])
			if err := checkPromptArgument(p.argument, arg); err != nil {
				return nil, err
			}
			return mcp.NewGetPromptResult(p.description, []mcp.PromptMessage{
				mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(p.text(arg))),
			}), nil
		})
	}
}

// maxPromptArgument bounds a prompt argument, as every tool argument is.
const maxPromptArgument = 2000

// checkPromptArgument refuses an over-long argument or one with control or
// format characters, naming the argument, as tool arguments are refused.
func checkPromptArgument(name, value string) error {
	if len(value) > maxPromptArgument {
		return argError(name, "is %d bytes; the limit is %d", len(value), maxPromptArgument)
	}
	if r, bad := forbiddenRune(value, false); bad {
		return argError(name, "contains %s; %s", describeRune(r), allowedText(false))
	}
	return nil
}

func quarterlyScanText(hosts string) string {
	scope := "every host in PCI scope"
	launch := `qualys_launch_scan with target_all: true`
	if hosts != "" {
		scope = "these hosts: " + hosts
		launch = "qualys_launch_scan with target_ips (and target_dns for names) set to exactly those hosts"
	}
	return `Run this quarter's external PCI ASV scan of ` + scope + `. Work step by step and tell me what you find at each step.

1. Scope: call qualys_compliance_summary (page through all of it). Check that every host to scan is in scope; list any that are not. Do not add hosts yourself: propose qualys_add_hosts or qualys_add_virtual_hosts and wait for my answer.
2. Launch: ` + launch + `, a title naming the quarter, bandwidth Medium. Note the scanId. Targets must allow Qualys's scanners (64.39.96.0/20, 139.87.112.0/23).
3. Wait: call qualys_wait_for_scan with that scan_id. If finished is false, call it again; do not report a verdict before finished is true.
4. Report: call qualys_compliance_report with the scan_id: which addresses fail, and which special notes the report will carry.
5. Why: for each failing address, use qualys_list_vulnerabilities and qualys_get_vulnerability to say which findings fail PCI, why (CVSS 4.0 or more, or an automatic failure), and how to fix each.

Finish with a short summary (pass or fail, what fails, the special notes to answer) and ask me what to do next: fix and rescan, dispute a false positive in the Qualys console, or change the scope. Do not remove hosts or change anything else without my explicit yes.`
}

func attestationText(reportName string) string {
	name := "a name I give you (ask me for it)"
	if reportName != "" {
		name = fmt.Sprintf("%q", reportName)
	}
	return `Help me attest this quarter's PCI report in Halo Security, one step at a time.

1. Summary: call halo_pci_summary and tell me the newest report's status.
2. Start: call halo_pci_start_attestation. Show me the blockers (targets_require_scan, targets_has_vuln), the statement to agree to, the questions and the notes.
3. Blockers: for targets that need a scan, use halo_get_target and halo_list_scans to see whether their scans are running, and call halo_pci_start_attestation again once they finish. For targets with vulnerabilities, explain what must be fixed. If I say a finding is a false positive, propose halo_acknowledge_host for that host; it needs my confirmation.
4. Questions and notes: walk me through each question and each note, one at a time, and record my own answer and response. Never answer one for me.
5. Attest: when nothing blocks and everything is answered, call halo_pci_attest with report_name ` + name + ` and my answers; I confirm and sign it myself.
6. Follow up: check halo_list_events (PCI Report Approved or Rejected) and halo_pci_get_report until the report is approved, and tell me if it is rejected.

At every step, say what you found and ask me before going on.`
}

const scopeReviewText = `Review what is in our PCI scan scope and propose changes for me to decide.

1. Scope: call qualys_compliance_summary and page through every asset: address, host name and status.
2. Gaps: list the assets never scanned (Not Scanned) and those failing (Fail). For failing ones, call qualys_compliance_report to name the findings and special notes; use qualys_list_scans to say when they were last scanned.
3. Proposals: in a table, propose hosts to add (qualys_add_hosts, qualys_add_virtual_hosts) and hosts to remove (qualys_remove_hosts) with the reason for each: a host no longer in the cardholder-data environment, a new internet-facing system, a range that should be split.

Do not add or remove anything: ask me which proposals to carry out, and wait for my answer.`

// workflowGuide is the resource pci-mcp://guide/workflow: the PCI quarter
// the server's instructions summarise, step by step.
const workflowGuide = `# A PCI ASV quarter with pci-mcp

PCI DSS requirement 11.3.2 asks for a passing external vulnerability scan by an Approved Scanning Vendor every quarter. This is the loop, and the pci-mcp tool for each step.

## Qualys PCI Compliance
1. **Scope**: qualys_compliance_summary lists every host and virtual host in scope with its status (Pass, Fail, Not Scanned). qualys_add_hosts and qualys_add_virtual_hosts add to it; qualys_remove_hosts and qualys_remove_virtual_hosts remove, only with a person's confirmation.
2. **Scan**: qualys_launch_scan starts a scan (not idempotent: each call is a new scan). Targets must allow 64.39.96.0/20 and 139.87.112.0/23.
3. **Wait**: qualys_wait_for_scan waits with progress and returns the details once the status is final; finished false means call again. A verdict (compliance) is shown only once finished is true. qualys_get_scan reads a scan once; qualys_list_scans finds past scans.
4. **Report**: qualys_compliance_report says which addresses make the report fail and which special notes it will carry.
5. **Findings**: qualys_list_vulnerabilities and qualys_get_vulnerability explain each finding and its fix. Fix and rescan; false positives are disputed in the Qualys console.

## Halo Security
1. **Status**: halo_pci_summary; halo_pci_list_reports and halo_pci_get_report for reports.
2. **Start**: halo_pci_start_attestation lists what blocks attesting (targets to scan, targets with vulnerabilities), the questions and the notes.
3. **Blockers**: halo_list_targets and halo_get_target name the targets, halo_list_scans and halo_get_scan follow their scans; halo_acknowledge_host marks a confirmed false positive (with confirmation), halo_remove_host_acknowledgement undoes it, halo_list_acknowledged_hosts lists them.
4. **Attest**: halo_pci_attest with every answer; the person confirms and signs.
5. **Follow up**: halo_list_events and halo_get_event show PCI Report Approved, Rejected, Expires Soon and Has Expired. A report is valid 90 days after approval.

Never invent ids: read them from the list tools, or from the resources qualys://scans/{scan_id} and halo://pci-reports/{pci_report_id}.

Prompts: pci_quarterly_scan, pci_attestation and pci_scope_review start these workflows.`
