package tools

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

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
	// confirmedOperator is a yes at the terminal of `pci-mcp call` (typed,
	// or --yes): the operator confirmed, not a client.
	confirmedOperator = "operator"
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
	// Title is the scan title of a launch.
	Title string `json:"title,omitempty"`
	// Targets are the hosts, virtual hosts or report acted on; past
	// maxAuditTargets only the first ones, with TargetCount and
	// TargetsDigest standing for all.
	Targets []string `json:"targets,omitempty"`
	// TargetCount is how many targets the call had, when Targets holds only
	// the first maxAuditTargets of them.
	TargetCount int `json:"target_count,omitempty"`
	// TargetsDigest is the SHA-256 of every target, one per line, when
	// Targets holds only the first ones.
	TargetsDigest string `json:"targets_digest,omitempty"`
	// ArgsDigest identifies the exact arguments (hosts in canonical order).
	ArgsDigest   string `json:"args_digest,omitempty"`
	Confirmation string `json:"confirmation"`
	// Outcome: done, error, outcome_unknown, invalid_arguments, refused,
	// cancelled, confirmation_requested, confirmation_required, and on the
	// approval route approval_requested, approved, denied or
	// approval_expired (README lists them; keep the two in step).
	Outcome string `json:"outcome"`
	// UpstreamStatus is the HTTP status of the write's answer, only when an
	// answer came.
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

// OpenAuditFile opens path for appending, creating it readable and
// writable by its owner only (0600); it is never truncated. The path must
// be a regular file or not exist: a symbolic link (which would send the
// trail elsewhere), a FIFO (which would hang start-up), a directory, a
// device or a socket is refused, and so is an existing file that its group
// or others may read or write. It never follows a link (O_NOFOLLOW) and
// never waits on a FIFO (O_NONBLOCK), so a path swapped between the check
// and the open is refused as well.
func OpenAuditFile(path string) (*os.File, error) {
	if info, err := os.Lstat(path); err == nil {
		if err := auditFileAcceptable(path, info); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("audit log %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o600)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("audit log %s is a symbolic link; point PCI_MCP_AUDIT_LOG at a regular file", path)
		}
		return nil, fmt.Errorf("opening audit log %s: %w", path, err)
	}
	// What was opened is what is checked: the path may have changed since.
	info, err := f.Stat()
	if err == nil {
		err = auditFileAcceptable(path, info)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// auditFileAcceptable refuses what the audit trail must not be written to.
func auditFileAcceptable(path string, info fs.FileInfo) error {
	mode := info.Mode()
	kind := ""
	switch {
	case mode&fs.ModeSymlink != 0:
		kind = "a symbolic link"
	case mode.IsDir():
		kind = "a directory"
	case mode&fs.ModeNamedPipe != 0:
		kind = "a FIFO (named pipe)"
	case mode&fs.ModeSocket != 0:
		kind = "a socket"
	case mode&fs.ModeDevice != 0:
		kind = "a device"
	case !mode.IsRegular():
		kind = "not a regular file"
	}
	if kind != "" {
		return fmt.Errorf("audit log %s is %s; point PCI_MCP_AUDIT_LOG at a regular file, or at a path that does not exist yet", path, kind)
	}
	if perm := mode.Perm(); perm&0o077 != 0 {
		return fmt.Errorf("audit log %s may be read or written by its group or others (mode %04o); run `chmod 600 %s`", path, perm, path)
	}
	return nil
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
	e.summariseTargets()
	if a.observe != nil {
		a.observe(e)
	}
	if a.w == nil {
		args := []any{"account", e.Account, "subject", e.Subject, "email", e.Email, "tool", e.Tool, "provider", e.Provider, "user", e.User, "session", e.Session,
			"title", e.Title, "targets", e.Targets, "target_count", e.TargetCount, "targets_digest", e.TargetsDigest, "args_digest", e.ArgsDigest,
			"confirmation", e.Confirmation, "outcome", e.Outcome}
		if e.UpstreamStatus != 0 {
			args = append(args, "upstream_status", e.UpstreamStatus)
		}
		args = append(args, "detail", e.Detail, "approval_id", e.ApprovalID, "approver", e.Approver, "factor", e.Factor)
		a.log.Info("audit", args...)
		return
	}
	line, err := e.encode(func(b []byte) []byte { return []byte(a.redactor.Redact(string(b))) })
	if err != nil {
		a.log.Error("audit entry could not be encoded", "tool", e.Tool, "err", err)
		return
	}
	line = append(line, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.w.Write(line); err != nil {
		// The change itself has happened; losing its record must at least be
		// loud.
		a.log.Error("audit entry could not be written", "tool", e.Tool, "err", err)
	}
}

// Bounds of one audit line: a reader (and a log shipper) can take every
// line whole, however many hosts a call named.
const (
	maxAuditLine    = 8 << 10
	maxAuditTargets = 20
)

// summariseTargets keeps the first maxAuditTargets targets, with the count
// and a digest of all of them.
func (e *AuditEntry) summariseTargets() {
	if len(e.Targets) <= maxAuditTargets {
		return
	}
	sum := sha256.Sum256([]byte(strings.Join(e.Targets, "\n")))
	e.TargetCount, e.TargetsDigest = len(e.Targets), hex.EncodeToString(sum[:])
	e.Targets = e.Targets[:maxAuditTargets]
}

// encode writes e as one JSON line of at most maxAuditLine bytes (after
// scrub, the redaction). If the entry is still too long with its targets
// summarised, the detail is shortened first, then the targets.
func (e AuditEntry) encode(scrub func([]byte) []byte) ([]byte, error) {
	for {
		line, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		line = scrub(line)
		over := len(line) - maxAuditLine + 1 // room for the newline
		switch {
		case over <= 0:
			return line, nil
		case len(e.Detail) > 0:
			e.Detail = cutText(e.Detail, len(e.Detail)-over-len("…")) + "…"
		case len(e.Targets) > 0:
			if e.TargetCount == 0 {
				all := e.Targets
				sum := sha256.Sum256([]byte(strings.Join(all, "\n")))
				e.TargetCount, e.TargetsDigest = len(all), hex.EncodeToString(sum[:])
			}
			e.Targets = e.Targets[:len(e.Targets)-1]
		default:
			return line, nil
		}
	}
}

// cutText returns at most n bytes of s, cut at a character boundary.
func cutText(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if n >= len(s) {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// titled is implemented by inputs with a title of their own (a scan's),
// kept out of the targets.
type titled interface {
	auditTitle() string
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
	if tt, ok := in.(titled); ok {
		e.Title = tt.auditTitle()
	}
	// Only an answer has a status: none when the write never got one.
	e.UpstreamStatus = upstream.WriteStatus(ctx)
	if err != nil {
		e.Outcome = "error"
		if ue, ok := upstream.AsError(err); ok && ue.OutcomeUnknown {
			e.Outcome = "outcome_unknown"
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
