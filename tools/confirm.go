package tools

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/pci-mcp/pci-mcp/tools/guard"
)

// This file is the confirmation guard's one path: every destructive tool is
// built with newGuardedTool and nothing else can reach its handler. A call
// executes only after a person's explicit yes, through one of two routes:
//
//   - the client supports form elicitation: ask, with the preview as the
//     message, and execute only on accept with confirm: true (and, for an
//     attestation, a matching signature). Sessions on 2025-06-18/2025-11-25
//     get an elicitation/create; 2026-07-28 clients get an input request and
//     come back with the answer and our signed request state.
//   - it does not: the first call returns the preview and a signed,
//     single-use confirmation token, and sends nothing; the assistant shows
//     the preview and calls again with the token once the person agrees.

// confirmKey names the confirmation question in multi-round-trip requests.
const confirmKey = "confirm"

// Statuses of a destructive tool's result.
const (
	statusDone                 = "done"
	statusConfirmationRequired = "confirmation_required"
	statusCancelled            = "cancelled"
	statusApprovalRequired     = "approval_required"
	statusApprovalPending      = "approval_pending"
	statusDenied               = "denied"
)

// guardedOutput is the structured result of every destructive tool; P is
// its preview type.
type guardedOutput[T, P any] struct {
	Status  string `json:"status" jsonschema:"enum=done,enum=confirmation_required,enum=cancelled,enum=approval_required,enum=approval_pending,enum=denied"`
	Preview P      `json:"preview,omitempty"`
	// ConfirmationToken is passed back, with the same arguments, once the
	// user has agreed to the preview.
	ConfirmationToken string `json:"confirmation_token,omitempty"`
	ExpiresAt         string `json:"expires_at,omitempty" jsonschema:"format=date-time"`
	// ConfirmedBy says how the user confirmed: elicitation, token,
	// operator (at the terminal of pci-mcp call) or approval.
	ConfirmedBy string `json:"confirmed_by,omitempty"`
	// ApprovalID names the pending approval (--confirm approval): pass it
	// back, with the same arguments, once a person approved on ApprovalURL.
	ApprovalID  string `json:"approval_id,omitempty"`
	ApprovalURL string `json:"approval_url,omitempty"`
	// Approver is the person who approved, on the approval route.
	Approver string `json:"approver,omitempty"`
	Result   *T     `json:"result,omitempty"`
}

// confirmedFirst ends every destructive tool's description. The result of
// the first call says what to show and how to confirm, so the description
// need not repeat the protocol.
const confirmedFirst = "The user confirms a preview first."

// confirmationInput is embedded in every destructive tool's input.
type confirmationInput struct {
	ConfirmationToken string `json:"confirmation_token,omitempty" jsonschema:"maxLength=1024" jsonschema_description:"Only after the user agreed."`
	ApprovalID        string `json:"approval_id,omitempty" jsonschema:"maxLength=64"`
}

func (c confirmationInput) confirmationToken() string { return c.ConfirmationToken }
func (c confirmationInput) approvalID() string        { return c.ApprovalID }

// confirmable is implemented by destructive tools' inputs.
type confirmable interface {
	confirmationToken() string
	approvalID() string
}

// guardSpec is what the guard needs to know about a destructive tool.
type guardSpec[In any, P previewer] struct {
	// validate, when set, checks what needs the server's state (the
	// attestations this process started) before anyone is asked.
	validate func(ctx context.Context, d *Deps, in *In) error
	// preview describes exactly what the call will send.
	preview func(ctx context.Context, d *Deps, in *In) P
	// signature, when set, is the name the person must type to sign.
	signature func(in *In) string
}

// newGuardedTool builds a destructive tool: its handler runs only after the
// guard has a person's explicit yes.
func newGuardedTool[In, Out any, P previewer](s spec, g guardSpec[In, P], run runFunc[In, Out]) Tool {
	return buildTool[In, guardedOutput[Out, P]](s, func(ctx context.Context, d *Deps, c toolCall, in *In) *mcp.CallToolResult {
		return confirmThenRun(ctx, d, c, g, in, run)
	})
}

// confirmThenRun is the guard's decision for one call.
func confirmThenRun[In, Out any, P previewer](ctx context.Context, d *Deps, c toolCall, g guardSpec[In, P], in *In, run runFunc[In, Out]) *mcp.CallToolResult {
	conf, ok := any(in).(confirmable)
	if !ok || d.Guard == nil {
		// Fail closed: a destructive tool built without a way to confirm, or
		// served without a guard, never executes.
		return errorText(fmt.Sprintf("%s cannot be confirmed in this server; nothing was sent.", c.tool.Name))
	}
	q := confirmation{ctx: ctx, d: d, c: c, digest: accountDigest(d.accountName, argsDigest(in)), session: confirmationBinding(ctx)}
	if tg, ok := any(in).(targeted); ok {
		q.targets = tg.auditTargets()
	}
	refused := func(method string, err error) *mcp.CallToolResult {
		q.audit(method, "refused", err)
		return errorText(fmt.Sprintf("%s was not executed: %v. Nothing was sent to %s.", c.tool.Name, err, c.spec.toolset.provider()))
	}

	// The operator's policy for this tool may send the call another way
	// (the approval route) or rule routes out.
	policy := d.Confirm.For(c.tool.Name)
	if res := policyGate(q, conf, policy); res != nil {
		return res
	}

	// A confirmed call (the token route's second call, or a 2026-07-28
	// client coming back with the answer to our question) must carry a
	// token that verifies before anything, even a read for the preview, is
	// done for it. It is spent only once the call has passed validation.
	var confirmed *claims
	method := confirmedToken
	params := c.req.Params
	switch token := conf.confirmationToken(); {
	case policy == ConfirmApproval:
		// The approval route checks its own approval id.
	case token != "":
		cl, err := d.Guard.verify(token, purposeToken, c.tool.Name, d.accountName, q.digest, q.session, guard.SubjectFrom(ctx))
		if err != nil {
			return refused(method, err)
		}
		confirmed = &cl
	case params.RequestState != "" || len(params.InputResponses) > 0:
		method = confirmedElicitation
		if params.RequestState == "" {
			return refused(method, errors.New("an answer arrived without the request state this server issued with its question"))
		}
		cl, err := d.Guard.verify(params.RequestState, purposeState, c.tool.Name, d.accountName, q.digest, q.session, guard.SubjectFrom(ctx))
		if err != nil {
			return refused(method, err)
		}
		confirmed = &cl
	}

	if g.validate != nil {
		if err := g.validate(ctx, d, in); err != nil {
			var unavailable *errMemoryUnavailable
			if errors.As(err, &unavailable) {
				return refused(confirmedNone, err)
			}
			d.Audit.rejected(ctx, d, c.tool, "invalid_arguments", err)
			return invalidArgumentsResult(c.spec, err)
		}
	}
	preview := g.preview(ctx, d, in)
	preview.base().Account = d.accountName
	q.preview = preview
	q.cancelled = func() *mcp.CallToolResult {
		return d.structuredResult(&guardedOutput[Out, P]{Status: statusCancelled, Preview: preview})
	}
	if g.signature != nil {
		q.signature = g.signature(in)
	}
	execute := func(method string) *mcp.CallToolResult {
		method = d.Guard.answeredBy(method)
		out, err := run(ctx, d, in)
		d.Audit.record(ctx, d, c.tool, in, method, err)
		if err != nil {
			return d.errorResult(c.spec, err)
		}
		return d.structuredResult(&guardedOutput[Out, P]{Status: statusDone, Preview: preview, ConfirmedBy: method, Result: out})
	}

	if policy == ConfirmApproval {
		return approvalRoute(q, conf.approvalID(), preview, func(approver, id string) *mcp.CallToolResult {
			out, err := run(ctx, d, in)
			d.Audit.recordWith(ctx, d, c.tool, in, confirmedApproval, err, func(e *AuditEntry) { e.Approver, e.ApprovalID = approver, id })
			if err != nil {
				return d.errorResult(c.spec, err)
			}
			return d.structuredResult(&guardedOutput[Out, P]{Status: statusDone, Preview: preview, ConfirmedBy: confirmedApproval, Approver: approver, ApprovalID: id, Result: out})
		}, func(out guardedOutput[Out, P]) *mcp.CallToolResult { return d.structuredResult(&out) })
	}

	if confirmed != nil {
		if err := d.Guard.spend(ctx, *confirmed); err != nil {
			return refused(method, err)
		}
		if method == confirmedToken {
			return execute(confirmedToken)
		}
		return q.decide(server.ElicitationResponse(params.InputResponses, confirmKey), nil, execute)
	}

	// Every route from here ends in a mark the store must keep (a token or
	// request state spent once) or executes in this call: with a store that
	// does not answer, the guard hands out nothing a person could not use
	// and, like the confirmed call, sends nothing.
	if err := d.Guard.Store().Ping(ctx); err != nil {
		return refused(confirmedNone, fmt.Errorf("the guard's store does not answer (%w), so no confirmation can be issued or checked until it is back; read tools keep working", err))
	}

	route, unreachable := elicitationSupport(ctx)
	if d.Guard.tokensOnly || policy == ConfirmToken {
		route = elicitNone
	}
	switch route {
	case elicitUnreachable:
		// Never a token instead: the model, not the person, would hold it.
		return refused(confirmedElicitation, errors.New(unreachable))
	case elicitByInputRequest:
		state, _ := d.Guard.issue(purposeState, c.tool.Name, d.accountName, q.digest, q.session, guard.SubjectFrom(ctx))
		q.audit(confirmedElicitation, "confirmation_requested", nil)
		return server.NewInputRequestBuilder(state).Elicit(confirmKey, q.question()).ToolResult()
	case elicitByRequest:
		srv := server.ServerFromContext(ctx)
		if srv == nil {
			return refused(confirmedElicitation, errors.New("the session cannot be asked"))
		}
		askCtx, cancel := context.WithTimeout(ctx, d.Guard.TTL())
		defer cancel()
		answer, err := srv.RequestElicitation(askCtx, mcp.ElicitationRequest{
			Request: mcp.Request{Method: string(mcp.MethodElicitationCreate)},
			Params:  q.question(),
		})
		if err != nil && errors.Is(askCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			err = fmt.Errorf("the user did not answer the confirmation question within %s", d.Guard.TTL())
		}
		return q.decide(answer, err, execute)
	}

	token, expires := d.Guard.issue(purposeToken, c.tool.Name, d.accountName, q.digest, q.session, guard.SubjectFrom(ctx))
	q.audit(confirmedNone, statusConfirmationRequired, nil)
	out := guardedOutput[Out, P]{Status: statusConfirmationRequired, Preview: preview, ConfirmationToken: token, ExpiresAt: expires.UTC().Format(time.RFC3339)}
	res := d.structuredResult(&out)
	instructions := fmt.Sprintf("Nothing was sent yet. Show this preview to the user and ask whether to proceed:\n\n%s\n\n"+
		"Only if the user explicitly agrees, call %s again with exactly the same arguments plus \"confirmation_token\": %q (valid until %s, once). "+
		"If they do not agree, do not call again.",
		preview.Text(), c.tool.Name, token, out.ExpiresAt)
	res.Content = append([]mcp.Content{mcp.NewTextContent(instructions)}, res.Content...)
	return res
}

// confirmation is one pending question.
type confirmation struct {
	ctx     context.Context
	d       *Deps
	c       toolCall
	preview previewer
	digest  string
	session string
	// targets are what the call acts on, for the audit trail.
	targets   []string
	signature string
	// cancelled renders the tool's result for a declined question.
	cancelled func() *mcp.CallToolResult
}

// question is the elicitation: the preview as the message, a required
// boolean confirm and, for a signed statement, the signer's name.
func (q confirmation) question() mcp.ElicitationParams {
	props := map[string]any{
		"confirm": map[string]any{
			"type":        "boolean",
			"title":       "Confirm",
			"description": "Send exactly this to " + q.preview.base().Provider,
		},
	}
	required := []string{"confirm"}
	message := q.preview.Text()
	if q.signature != "" {
		props["signature"] = map[string]any{
			"type":        "string",
			"title":       "Signature",
			"description": "Type your full name (" + q.signature + ") to sign",
			"maxLength":   200,
		}
		required = append(required, "signature")
		message += "\nTo sign, type your full name: " + q.signature + "."
	}
	return mcp.ElicitationParams{
		Mode: mcp.ElicitationModeForm,
		// The preview holds upstream text (names, scope): the one redactor
		// sees the question before the person does.
		Message: q.d.Redactor.Redact(message),
		RequestedSchema: map[string]any{
			"type":       "object",
			"properties": props,
			"required":   required,
		},
	}
}

// decide acts on the person's answer: only accept with confirm: true (and a
// matching signature) executes.
func (q confirmation) decide(answer *mcp.ElicitationResult, err error, execute func(string) *mcp.CallToolResult) *mcp.CallToolResult {
	provider := q.c.spec.toolset.provider()
	fail := func(reason string) *mcp.CallToolResult {
		q.audit(confirmedElicitation, "refused", errors.New(reason))
		return errorText(fmt.Sprintf("%s was not executed: %s. Nothing was sent to %s.", q.c.tool.Name, reason, provider))
	}
	switch {
	case err != nil:
		return fail("the confirmation question failed: " + err.Error())
	case answer == nil:
		return fail("no answer to the confirmation question came back")
	}
	switch answer.Action {
	case mcp.ElicitationResponseActionDecline, mcp.ElicitationResponseActionCancel:
		q.audit(confirmedElicitation, statusCancelled, nil)
		verb := "declined"
		if answer.Action == mcp.ElicitationResponseActionCancel {
			verb = "cancelled"
		}
		res := q.cancelled()
		res.Content = append([]mcp.Content{mcp.NewTextContent(fmt.Sprintf(
			"Cancelled: the user %s the confirmation. Nothing was sent to %s. "+
				"(If no question was shown, the client declines confirmations on its own: the operator can start pci-mcp with --confirm=token to confirm by token instead.)",
			verb, provider))}, res.Content...)
		return res
	case mcp.ElicitationResponseActionAccept:
	default:
		return fail(fmt.Sprintf("the answer %q is not accept, decline or cancel", answer.Action))
	}
	content, _ := answer.Content.(map[string]any)
	confirmed, isBool := content["confirm"].(bool)
	switch {
	case !isBool:
		return fail("the answer did not include confirm: true")
	case !confirmed:
		return fail("the user did not confirm (confirm was false)")
	}
	if q.signature != "" {
		signed, _ := content["signature"].(string)
		if !strings.EqualFold(strings.TrimSpace(signed), strings.TrimSpace(q.signature)) {
			return fail(fmt.Sprintf("the signature %q does not match attest_person_name %q", strings.TrimSpace(signed), q.signature))
		}
	}
	return execute(confirmedElicitation)
}

func (q confirmation) audit(method, outcome string, err error) {
	e := newAuditEntry(q.ctx, q.d, q.c.tool, q.d.Guard.answeredBy(method), outcome, err)
	e.Targets, e.ArgsDigest = q.targets, q.digest
	if q.preview != nil {
		// The preview's account and user were looked up for the person.
		p := q.preview.base()
		e.Account, e.User = p.Account, p.User
	}
	q.d.Audit.Write(e)
}

// How the client in this call can be asked.
type elicitationRoute int

const (
	elicitNone           elicitationRoute = iota
	elicitByRequest                       // elicitation/create on the session (2025-06-18, 2025-11-25)
	elicitByInputRequest                  // an input_required result (2026-07-28)
	elicitUnreachable                     // the client declared it can be asked, but no question can reach it now
)

// elicitationSupport reports whether, and how, the calling client can show a
// form to its user; for elicitUnreachable, also why it cannot be asked now
// and what to do. Capabilities come from the request on 2026-07-28 and from
// initialize before: over HTTP, as the session id recorded them (so a
// restarted process or another replica, which never saw the initialize,
// treats the session as the first did); otherwise from the session's
// memory. Form mode is what an empty elicitation capability means.
//
// A session that declared form elicitation is asked, or refused: it never
// silently gets a confirmation token instead.
func elicitationSupport(ctx context.Context) (elicitationRoute, string) {
	if info := server.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
		if supportsForm(info.ClientCapabilities) {
			return elicitByInputRequest, ""
		}
		return elicitNone, ""
	}
	session := server.ClientSessionFromContext(ctx)
	req, overHTTP := guard.RequestFromContext(ctx)
	var declared bool
	if overHTTP && req.Session.KnowsCapabilities {
		declared = req.Session.Elicitation.Form
	} else if withInfo, ok := session.(server.SessionWithClientInfo); ok {
		caps := withInfo.GetClientCapabilities()
		declared = supportsForm(&caps)
	}
	if !declared {
		return elicitNone, ""
	}
	why := ""
	if _, canAsk := session.(server.SessionWithElicitation); !canAsk {
		why = "this session's transport cannot carry a question from the server"
	} else if overHTTP && req.CannotAsk != "" {
		why = req.CannotAsk
	}
	if why != "" {
		return elicitUnreachable, "the client declared that it can show a confirmation form, but " + why +
			"; no confirmation token is offered instead, since the model rather than the person would then confirm. " +
			"Retry on a connection that can receive the question (for Streamable HTTP, send Accept: application/json, text/event-stream), " +
			"or ask the operator to choose another --confirm mode (--confirm approval has a person approve on a page; --confirm token confirms by token)"
	}
	return elicitByRequest, ""
}

// confirmationBinding is what the tokens and request states issued to this
// call are bound to: its MCP session, and over HTTP with a bearer token the
// caller too (guard.Request.Caller, a keyed digest), so that a token is
// refused to another bearer even where there is no session (2026-07-28).
func confirmationBinding(ctx context.Context) string {
	binding := sessionID(ctx)
	if req, ok := guard.RequestFromContext(ctx); ok && req.Caller != "" {
		binding += "@" + req.Caller
	}
	return binding
}

func supportsForm(caps *mcp.ClientCapabilities) bool {
	if caps == nil || caps.Elicitation == nil {
		return false
	}
	e := caps.Elicitation
	return e.Form != nil || e.URL == nil
}
