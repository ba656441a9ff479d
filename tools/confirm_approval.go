package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/pci-mcp/pci-mcp/tools/guard/approval"
)

// The approval route (--confirm approval): the confirming act is one only a
// person can perform, on a page the model never sees. The first call
// records a pending approval and sends nothing; a person approves it on the
// page (or the API, or the terminal) with their TOTP code or passkey; the
// second call, with approval_id and the same arguments, executes once.
// Clients that declared URL-mode elicitation are sent the page instead, and
// the call waits for the decision and executes in one go.

// approvalKey names the URL-mode question in multi-round-trip requests.
const approvalKey = "approval"

// approvalPoll spaces the checks of a pending approval while a call waits
// for it (the decision may be taken on another replica).
const approvalPoll = 500 * time.Millisecond

// policyGate refuses what the tool's policy rules out, before any route
// runs; nil lets the call go on.
func policyGate(q confirmation, conf confirmable, policy ConfirmPolicy) *mcp.CallToolResult {
	refuse := func(method string, err error) *mcp.CallToolResult {
		q.audit(method, "refused", err)
		return errorText(fmt.Sprintf("%s was not executed: %v. Nothing was sent to %s.", q.c.tool.Name, err, q.c.spec.toolset.provider()))
	}
	switch policy {
	case ConfirmDeny:
		// Such tools are not in the catalog; fail closed all the same.
		return refuse(confirmedNone, errors.New("the server's confirmation policy denies this tool (--confirm deny)"))
	case ConfirmApproval:
		if q.d.Approvals == nil {
			return refuse(confirmedApproval, errors.New("the approval route is not configured in this server"))
		}
		if conf.confirmationToken() != "" || q.c.req.Params.RequestState != "" && !strings.HasPrefix(q.c.req.Params.RequestState, approval.IDPrefix) {
			return refuse(confirmedApproval, errors.New("this server confirms this tool only by a person's approval on the approval page (--confirm approval); a confirmation token or form answer does not count: call again without confirmation_token"))
		}
		return nil
	}
	if conf.approvalID() != "" {
		return refuse(confirmedApproval, errors.New("approval_id is used only when the server confirms by approval (--confirm approval); call again without it"))
	}
	if policy == ConfirmElicitation {
		if conf.confirmationToken() != "" {
			return refuse(confirmedToken, errors.New("this server confirms only through a form the client shows (--confirm elicitation); a confirmation token does not count"))
		}
		if route, _ := elicitationSupport(q.ctx); route == elicitNone && q.c.req.Params.RequestState == "" {
			return refuse(confirmedElicitation, errors.New("this server confirms only through a form the client shows (--confirm elicitation), and this client did not declare form elicitation; use a client that can show forms"))
		}
	}
	return nil
}

// approvalRoute decides a call under the approval policy. execute runs the
// approved call (once); render shapes the structured result.
func approvalRoute[Out any, P previewer](q confirmation, id string, preview P, execute func(approver, id string) *mcp.CallToolResult, render func(guardedOutput[Out, P]) *mcp.CallToolResult) *mcp.CallToolResult {
	ctx, d, c := q.ctx, q.d, q.c
	provider := c.spec.toolset.provider()
	fail := func(err error) *mcp.CallToolResult {
		q.audit(confirmedApproval, "refused", err)
		return errorText(fmt.Sprintf("%s was not executed: %v. Nothing was sent to %s.", c.tool.Name, err, provider))
	}
	result := func(status string, a approval.Approval, text string) *mcp.CallToolResult {
		res := render(guardedOutput[Out, P]{Status: status, Preview: preview, ApprovalID: a.ID,
			ApprovalURL: d.Approvals.URL(a.ID), ExpiresAt: a.ExpiresAt.UTC().Format(time.RFC3339)})
		res.Content = append([]mcp.Content{mcp.NewTextContent(text)}, res.Content...)
		return res
	}
	// redeem is the second step, whichever way the call came back.
	redeem := func(id string) *mcp.CallToolResult {
		a, err := d.Approvals.Redeem(ctx, id, c.tool.Name, q.digest)
		switch {
		case err == nil:
			if q.signature != "" && !approval.SameName(a.Approver, q.signature) {
				return fail(fmt.Errorf("the attestation was approved by %s, not by its signer %s", a.Approver, q.signature))
			}
			return execute(a.Approver, a.ID)
		case errors.Is(err, approval.ErrPending):
			return result(statusApprovalPending, a, fmt.Sprintf(
				"Nothing was sent yet: the approval is still pending. Remind the user to approve or deny it at %s (valid until %s), then call %s again with the same arguments and \"approval_id\": %q.",
				d.Approvals.URL(a.ID), a.ExpiresAt.UTC().Format(time.RFC3339), c.tool.Name, a.ID))
		case errors.Is(err, approval.ErrDenied):
			q.audit(confirmedApproval, statusDenied, nil)
			by := a.Approver
			if by == "" {
				by = "the approval route (" + a.Reason + ")"
			}
			return result(statusDenied, a, fmt.Sprintf("Denied by %s. Nothing was sent to %s; do not call again with this approval.", by, provider))
		case errors.Is(err, approval.ErrUnknown):
			return fail(errors.New("the approval_id is unknown (mistyped, or from another server); call again without approval_id to request a new approval"))
		case errors.Is(err, approval.ErrOther):
			return fail(errors.New("the approval was given for other arguments (or another tool); call again without approval_id to request an approval for these"))
		case errors.Is(err, approval.ErrExpired), errors.Is(err, approval.ErrUsed):
			return fail(fmt.Errorf("%w; call again without approval_id to request a new approval", err))
		}
		return fail(err)
	}

	if id != "" {
		return redeem(id)
	}
	params := c.req.Params
	if strings.HasPrefix(params.RequestState, approval.IDPrefix) {
		// A 2026-07-28 client back from showing the page (URL mode).
		answer := server.ElicitationResponse(params.InputResponses, approvalKey)
		if answer == nil || answer.Action != mcp.ElicitationResponseActionAccept {
			return fail(errors.New("the user did not open the approval page"))
		}
		wait, cancel := context.WithTimeout(ctx, d.Approvals.TTL())
		defer cancel()
		if _, err := d.Approvals.Wait(wait, params.RequestState, approvalPoll); err != nil && ctx.Err() != nil {
			return fail(errors.New("the call ended before the approval was decided"))
		}
		return redeem(params.RequestState)
	}

	if q.signature != "" {
		// Only the signer may approve an attestation: without an approver of
		// that name nobody ever could, so the link would lead nowhere.
		signer, err := d.Approvals.Approvers().Find(q.signature)
		if err != nil {
			return fail(fmt.Errorf("the approvers could not be read: %w", err))
		}
		if signer == nil {
			return fail(fmt.Errorf("no approver named %s is enrolled, and only the person who signs may approve an attestation; "+
				"enrol them with `pci-mcp approvers add %q`, or attest in the name of an enrolled approver", q.signature, q.signature))
		}
	}
	raw, err := json.Marshal(preview)
	if err != nil {
		return fail(err)
	}
	a, err := d.Approvals.Request(ctx, approval.Request{
		Tool: c.tool.Name, Provider: string(c.tool.Toolset), Account: preview.base().Account, Digest: q.digest,
		Preview: raw, PreviewText: preview.Text(), Signer: q.signature,
	})
	if err != nil {
		return fail(fmt.Errorf("the approval could not be recorded: %w", err))
	}
	link := d.Approvals.URL(a.ID)
	message := fmt.Sprintf("A person must approve this %s call with their authenticator code or passkey: open the approval page.", c.tool.Name)

	switch urlElicitation(ctx) {
	case elicitByInputRequest:
		return server.NewInputRequestBuilder(a.ID).Elicit(approvalKey, mcp.ElicitationParams{
			Mode: mcp.ElicitationModeURL, Message: message, ElicitationID: a.ID, URL: link,
		}).ToolResult()
	case elicitByRequest:
		srv, session := server.ServerFromContext(ctx), server.ClientSessionFromContext(ctx)
		wait, cancel := context.WithTimeout(ctx, d.Approvals.TTL())
		defer cancel()
		answer, err := srv.RequestURLElicitation(wait, session, a.ID, link, message)
		if err == nil && answer != nil && answer.Action == mcp.ElicitationResponseActionAccept {
			_, _ = d.Approvals.Wait(wait, a.ID, approvalPoll)
			_ = srv.SendElicitationComplete(ctx, session, a.ID)
			return redeem(a.ID)
		}
		// The client did not open the page: fall back to the link.
	}

	expires := a.ExpiresAt.UTC().Format(time.RFC3339)
	signer := ""
	if q.signature != "" {
		signer = fmt.Sprintf(" Only %s, who signs this statement, can approve it.", q.signature)
	}
	return result(statusApprovalRequired, a, fmt.Sprintf("Nothing was sent yet. This call needs a person's approval, on a page only they use:\n\n%s\n\n"+
		"Give the user this link to approve or deny it: %s (valid until %s).%s "+
		"Once they say they approved it, call %s again with exactly the same arguments plus \"approval_id\": %q. If they deny it, do not call again.",
		preview.Text(), link, expires, signer, c.tool.Name, a.ID))
}

// urlElicitation reports whether, and how, the client can be sent to a
// URL: a 2026-07-28 input request, or a 2025-11-25 elicitation/create in
// URL mode. Only clients that declared elicitation.url are.
func urlElicitation(ctx context.Context) elicitationRoute {
	if info := server.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
		if supportsURL(info.ClientCapabilities) {
			return elicitByInputRequest
		}
		return elicitNone
	}
	session := server.ClientSessionFromContext(ctx)
	withInfo, ok := session.(server.SessionWithClientInfo)
	if !ok {
		return elicitNone
	}
	if _, canAsk := session.(server.SessionWithElicitation); !canAsk {
		return elicitNone
	}
	caps := withInfo.GetClientCapabilities()
	if supportsURL(&caps) {
		return elicitByRequest
	}
	return elicitNone
}

func supportsURL(caps *mcp.ClientCapabilities) bool {
	return caps != nil && caps.Elicitation != nil && caps.Elicitation.URL != nil
}

// approvalEvent writes the audit line of a change on the approval route:
// requested, approved, denied (by whom, with which factor), expired.
func (a *Audit) approvalEvent(e approval.Event) {
	ap := e.Approval
	var preview struct {
		Items []string `json:"items"`
	}
	_ = json.Unmarshal(ap.Preview, &preview)
	entry := AuditEntry{
		Tool: ap.Tool, Provider: ap.Provider, Account: ap.Account, Targets: preview.Items, ArgsDigest: ap.Digest,
		Confirmation: confirmedApproval, Outcome: e.Kind, ApprovalID: ap.ID, Approver: ap.Approver, Factor: ap.Factor,
		Detail: ap.Reason,
	}
	a.Write(entry)
}
