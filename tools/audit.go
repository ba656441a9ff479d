package tools

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/pci-mcp/pci-mcp/providers/upstream"
	"github.com/pci-mcp/pci-mcp/tools/guard"
)

// How a mutating call was confirmed, as the audit trail records it.
const (
	confirmedNone        = "none"
	confirmedElicitation = "elicitation"
	confirmedToken       = "token"
	confirmedApproval    = "approval"
)

// AuditEntry is one line of the audit trail: who changed what, how it was
// confirmed and how it ended. It never holds a secret.
type AuditEntry struct {
	Time time.Time `json:"time"`
	// Account is the named account (merchant) acted on, first so that a
	// reader of the trail sees it before anything else.
	Account string `json:"account,omitempty"`
	// Subject and Email are the authenticated person who made the call
	// (OAuth mode); absent with a shared bearer token or over stdio.
	Subject  string `json:"subject,omitempty"`
	Email    string `json:"email,omitempty"`
	Tool     string `json:"tool"`
	Provider string `json:"provider"`
	// User is the upstream user the account acts as.
	User    string `json:"user,omitempty"`
	Session string `json:"session,omitempty"`
	// Targets are the hosts, virtual hosts, scan title or report name acted on.
	Targets []string `json:"targets,omitempty"`
	// ArgsDigest identifies the exact arguments (hosts in canonical order).
	ArgsDigest   string `json:"args_digest,omitempty"`
	Confirmation string `json:"confirmation"`
	// Outcome: done, error, outcome_unknown, invalid_arguments, cancelled,
	// confirmation_required or refused.
	Outcome        string `json:"outcome"`
	UpstreamStatus int    `json:"upstream_status,omitempty"`
	Detail         string `json:"detail,omitempty"`
	// On the approval route: the approval, who decided it and with which
	// factor (totp or passkey).
	ApprovalID string `json:"approval_id,omitempty"`
	Approver   string `json:"approver,omitempty"`
	Factor     string `json:"factor,omitempty"`
}

// Audit writes the audit trail: to a file when one is configured, otherwise
// as info-level log lines. It is safe for concurrent use.
type Audit struct {
	mu       sync.Mutex
	w        io.Writer
	log      *slog.Logger
	redactor *upstream.Redactor
	now      func() time.Time
	// observe, when set, sees every entry (metrics count them).
	observe func(AuditEntry)
}

// Observe makes f see every entry written, e.g. to count confirmations by
// route and outcome. Set it before the first call.
func (a *Audit) Observe(f func(AuditEntry)) { a.observe = f }

// NewAudit returns an audit trail writing JSON lines to w, or logging them to
// log when w is nil.
func NewAudit(w io.Writer, log *slog.Logger, redactor *upstream.Redactor) *Audit {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Audit{w: w, log: log, redactor: redactor, now: time.Now}
}

// OpenAuditFile opens path for appending, creating it readable by its owner
// only. It is never truncated.
func OpenAuditFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening audit log %s: %w", path, err)
	}
	return f, nil
}

// Write appends one entry.
func (a *Audit) Write(e AuditEntry) {
	if a == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = a.now().UTC()
	}
	e.Detail = a.redactor.Redact(e.Detail)
	if a.observe != nil {
		a.observe(e)
	}
	if a.w == nil {
		a.log.Info("audit", "account", e.Account, "subject", e.Subject, "email", e.Email, "tool", e.Tool, "provider", e.Provider, "user", e.User, "session", e.Session,
			"targets", e.Targets, "args_digest", e.ArgsDigest, "confirmation", e.Confirmation,
			"outcome", e.Outcome, "upstream_status", e.UpstreamStatus, "detail", e.Detail,
			"approval_id", e.ApprovalID, "approver", e.Approver, "factor", e.Factor)
		return
	}
	line, err := json.Marshal(e)
	if err != nil {
		a.log.Error("audit entry could not be encoded", "tool", e.Tool, "err", err)
		return
	}
	line = append([]byte(a.redactor.Redact(string(line))), '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.w.Write(line); err != nil {
		// The change itself has happened; losing its record must at least be
		// loud.
		a.log.Error("audit entry could not be written", "tool", e.Tool, "err", err)
	}
}

// targeted is implemented by inputs that name what they act on.
type targeted interface {
	auditTargets() []string
}

// canonicalizer is implemented by inputs whose meaning does not depend on
// some of their form (host order and spelling): canonical returns the form to
// digest.
type canonicalizer interface {
	canonical() any
}

// argsDigest identifies a call's arguments: equal for calls that would send
// the same thing, different otherwise.
func argsDigest(in any) string {
	v := in
	if c, ok := in.(canonicalizer); ok {
		v = c.canonical()
	}
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:16])
}

// newAuditEntry starts the entry for one call of t: who, where, how it was
// confirmed and how it ended.
func newAuditEntry(ctx context.Context, d *Deps, t Tool, confirmation, outcome string, err error) AuditEntry {
	e := AuditEntry{
		Account: d.accountName, Tool: t.Name, Provider: string(t.Toolset), User: d.upstreamUser(t.Toolset), Session: sessionID(ctx),
		Confirmation: confirmation, Outcome: outcome,
	}
	if id, ok := guard.IdentityFrom(ctx); ok {
		e.Subject, e.Email = id.Subject, id.Email
	}
	if err != nil {
		e.Detail = err.Error()
	}
	return e
}

// record writes the entry for a checked mutating call that was sent.
func (a *Audit) record(ctx context.Context, d *Deps, t Tool, in any, confirmation string, err error) {
	a.recordWith(ctx, d, t, in, confirmation, err, nil)
}

// recordWith is record with more to say (edit fills it in): the approver
// of an approved call.
func (a *Audit) recordWith(ctx context.Context, d *Deps, t Tool, in any, confirmation string, err error, edit func(*AuditEntry)) {
	if a == nil {
		return
	}
	e := newAuditEntry(ctx, d, t, confirmation, "done", err)
	if edit != nil {
		edit(&e)
	}
	e.ArgsDigest = accountDigest(d.accountName, argsDigest(in))
	if tg, ok := in.(targeted); ok {
		e.Targets = tg.auditTargets()
	}
	if err != nil {
		e.Outcome = "error"
		if ue, ok := upstream.AsError(err); ok {
			e.UpstreamStatus = ue.StatusCode
			if ue.OutcomeUnknown {
				e.Outcome = "outcome_unknown"
			}
		}
	}
	a.Write(e)
}

// rejected writes the entry for a mutating call refused before anything was
// sent.
func (a *Audit) rejected(ctx context.Context, d *Deps, t Tool, outcome string, err error) {
	if a == nil {
		return
	}
	a.Write(newAuditEntry(ctx, d, t, confirmedNone, outcome, err))
}

// sessionID is the MCP session of the call, empty on stateless transports.
func sessionID(ctx context.Context) string {
	if s := server.ClientSessionFromContext(ctx); s != nil {
		return s.SessionID()
	}
	return ""
}
