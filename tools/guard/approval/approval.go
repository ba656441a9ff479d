package approval

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pci-mcp/pci-mcp/tools/guard"
)

// IDPrefix starts every approval id.
const IDPrefix = "apr_"

// States of an approval. Every change between them is one Swap on the
// store, so two replicas never both move an approval on.
const (
	StatePending  = "pending"
	StateApproved = "approved"
	StateDenied   = "denied"
	// StateUsed: the approved call executed; the approval is spent.
	StateUsed    = "used"
	StateExpired = "expired"
)

// Events the audit trail records, besides the executed call itself.
const (
	EventRequested = "approval_requested"
	EventApproved  = "approved"
	EventDenied    = "denied"
	EventExpired   = "approval_expired"
)

// maxWrongCodes wrong codes deny and lock an approval.
const maxWrongCodes = 5

// Rate limit of attempts per approver name: attemptsPerWindow per
// attemptWindow, right or wrong, across every approval.
const (
	attemptsPerWindow = 10
	attemptWindow     = time.Minute
)

// keepAfterExpiry keeps a record past its expiry, so a late second call
// hears "expired", not "unknown".
const keepAfterExpiry = time.Hour

// Approval is one pending (or decided) approval, as the store keeps it.
type Approval struct {
	ID       string `json:"id"`
	Tool     string `json:"tool"`
	Provider string `json:"provider"`
	Account  string `json:"account,omitempty"`
	// Digest identifies the exact arguments: the second call must match.
	Digest string `json:"args_digest"`
	// Preview is the tool's preview, as its JSON.
	Preview json.RawMessage `json:"preview"`
	// PreviewText is the same preview as text (terminal, webhook).
	PreviewText string `json:"preview_text"`
	// Signer, for an attestation, is attest_person_name: only the approver
	// of that name may approve.
	Signer string `json:"signer,omitempty"`
	// RequestedBy is the authenticated subject who asked for the call (OAuth
	// mode): only they may redeem it, and under four eyes they may not
	// approve it.
	RequestedBy string    `json:"requested_by,omitempty"`
	State       string    `json:"state"`
	Approver    string    `json:"approver,omitempty"`
	Factor      string    `json:"factor,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at"`
	DecidedAt   time.Time `json:"decided_at,omitzero"`
}

// Request is what a destructive call asks to have approved.
type Request struct {
	Tool, Provider, Account string
	Digest                  string
	Preview                 json.RawMessage
	PreviewText             string
	Signer                  string
}

// Event is one state change, for the audit trail.
type Event struct {
	Kind     string
	Approval Approval
}

// Options configure New.
type Options struct {
	// Store keeps pending approvals, used codes and counters; share it
	// between replicas (Redis) so any of them can take a decision.
	Store guard.Store
	// Approvers is the approvers file.
	Approvers *Approvers
	// TTL is how long an approval may wait (--confirm-ttl).
	TTL time.Duration
	// BaseURL is the external base of links, e.g. https://pci.example.com
	// (PCI_MCP_APPROVAL_URL); SetBaseURL sets it once the listener is up.
	BaseURL string
	// AuthToken, when set, is the bearer the JSON API requires.
	AuthToken string
	// Webhook, when set, receives each new pending approval (a secret).
	Webhook string
	// FourEyes refuses an approval given by the person who asked for the
	// call (PCI_MCP_APPROVAL_FOUR_EYES): an approver is matched by the
	// subject they were enrolled with, and the API caller by their token.
	FourEyes bool
	// Events receives every state change (the audit trail).
	Events func(Event)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives operational logs; nil discards.
	Logger *slog.Logger
}

// Service keeps pending approvals and takes decisions on them.
type Service struct {
	opts    Options
	now     func() time.Time
	log     *slog.Logger
	base    atomic.Value // string
	passkey *passkeys
	hook    *webhook
}

// New returns the service.
func New(opts Options) (*Service, error) {
	if opts.Store == nil || opts.Approvers == nil {
		return nil, errors.New("approval: a store and an approvers file are required")
	}
	s := &Service{opts: opts, now: opts.Now, log: opts.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.opts.TTL <= 0 {
		s.opts.TTL = 5 * time.Minute
	}
	if opts.BaseURL != "" {
		if err := s.SetBaseURL(opts.BaseURL); err != nil {
			return nil, err
		}
	}
	s.passkey = &passkeys{s: s}
	if opts.Webhook != "" {
		s.hook = newWebhook(opts.Webhook, s.log)
	}
	return s, nil
}

// SetBaseURL sets the base of every link (scheme, host, optional path
// prefix), once the listener's address is known.
func (s *Service) SetBaseURL(base string) error {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("the approval page's base URL %q must be an absolute http or https URL", base)
	}
	s.base.Store(u.String())
	return nil
}

// BaseURL is the base of links, empty until set.
func (s *Service) BaseURL() string {
	base, _ := s.base.Load().(string)
	return base
}

// URL is the page of one approval.
func (s *Service) URL(id string) string { return s.BaseURL() + "/approvals/" + id }

// TTL is how long an approval may wait.
func (s *Service) TTL() time.Duration { return s.opts.TTL }

// Approvers is the approvers file.
func (s *Service) Approvers() *Approvers { return s.opts.Approvers }

func key(id string) string { return "approval:" + id }

// newID returns apr_ and 128 random bits, URL-safe.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return IDPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// validID keeps ids from the URL or the model to the shape we mint.
func validID(id string) bool {
	raw, ok := strings.CutPrefix(id, IDPrefix)
	if !ok || len(raw) != 22 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(raw)
	return err == nil
}

// Request records a pending approval and announces it (webhook). Nothing
// upstream has happened, and nothing will until it is approved.
func (s *Service) Request(ctx context.Context, r Request) (Approval, error) {
	now := s.now().UTC().Truncate(time.Second)
	a := Approval{
		ID: newID(), Tool: r.Tool, Provider: r.Provider, Account: r.Account, Digest: r.Digest,
		Preview: r.Preview, PreviewText: r.PreviewText, Signer: strings.TrimSpace(r.Signer),
		RequestedBy: guard.SubjectFrom(ctx),
		State:       StatePending, CreatedAt: now, ExpiresAt: now.Add(s.opts.TTL),
	}
	data, err := json.Marshal(a)
	if err != nil {
		return Approval{}, err
	}
	if err := s.opts.Store.Put(ctx, key(a.ID), data, a.ExpiresAt.Add(keepAfterExpiry)); err != nil {
		return Approval{}, fmt.Errorf("recording the approval: %w", err)
	}
	if err := s.index(ctx, a); err != nil {
		s.log.Warn("the approval is not in the pending list; its link still works", "approval_id", a.ID, "err", err)
	}
	s.emit(EventRequested, a)
	if s.hook != nil {
		s.hook.announce(a, s.URL(a.ID))
	}
	return a, nil
}

// The pending list: the store has no scan, so each approval takes a slot
// number from a counter and is written under it; listing reads the last
// listWindow slots.
const (
	seqKey     = "approval:seq"
	listWindow = 256
)

func slotKey(n int64) string { return "approval:slot:" + strconv.FormatInt(n, 10) }

func (s *Service) index(ctx context.Context, a Approval) error {
	n, err := s.opts.Store.Incr(ctx, seqKey, s.now().Add(100*365*24*time.Hour))
	if err != nil {
		return err
	}
	return s.opts.Store.Put(ctx, slotKey(n), []byte(a.ID), a.ExpiresAt.Add(keepAfterExpiry))
}

// Pending lists the approvals still waiting, oldest first.
func (s *Service) Pending(ctx context.Context) ([]Approval, error) {
	// Taking a number to read the counter costs one empty slot.
	n, err := s.opts.Store.Incr(ctx, seqKey, s.now().Add(100*365*24*time.Hour))
	if err != nil {
		return nil, err
	}
	var out []Approval
	for i := max(1, n-listWindow); i < n; i++ {
		id, err := s.opts.Store.Get(ctx, slotKey(i))
		if errors.Is(err, guard.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		// Get records the expiry of one that ran out (an audit line).
		a, err := s.Get(ctx, string(id))
		if err != nil || a.State != StatePending {
			continue
		}
		out = append(out, a)
	}
	return out, nil
}

// ErrUnknown: no approval has this id (or it is long gone).
var ErrUnknown = errors.New("unknown approval id")

// load returns the approval and its stored bytes (for Swap).
func (s *Service) load(ctx context.Context, id string) (Approval, []byte, error) {
	if !validID(id) {
		return Approval{}, nil, ErrUnknown
	}
	raw, err := s.opts.Store.Get(ctx, key(id))
	if errors.Is(err, guard.ErrNotFound) {
		return Approval{}, nil, ErrUnknown
	}
	if err != nil {
		return Approval{}, nil, fmt.Errorf("reading the approval: %w", err)
	}
	var a Approval
	if err := json.Unmarshal(raw, &a); err != nil {
		return Approval{}, nil, fmt.Errorf("reading the approval: %w", err)
	}
	return a, raw, nil
}

// Get returns the approval, marking it expired if its time has passed.
func (s *Service) Get(ctx context.Context, id string) (Approval, error) {
	for range 8 {
		a, raw, err := s.load(ctx, id)
		if err != nil {
			return Approval{}, err
		}
		if !s.expired(a) || a.State == StateExpired {
			return a, nil
		}
		if ok, err := s.move(ctx, a, raw, StateExpired, func(*Approval) {}); err != nil || ok {
			a.State = StateExpired
			return a, err
		}
	}
	return Approval{}, errConflict
}

var errConflict = errors.New("the approval changed too often while being read; try again")

// expired reports whether a still-open approval has run out of time.
func (s *Service) expired(a Approval) bool {
	open := a.State == StatePending || a.State == StateApproved
	return open && !s.now().Before(a.ExpiresAt)
}

// move swaps the approval from its stored bytes to state (after edit),
// and reports whether this call made the change. It emits the event.
func (s *Service) move(ctx context.Context, a Approval, raw []byte, state string, edit func(*Approval)) (bool, error) {
	next := a
	next.State = state
	edit(&next)
	data, err := json.Marshal(next)
	if err != nil {
		return false, err
	}
	ok, err := s.opts.Store.Swap(ctx, key(a.ID), raw, data, a.ExpiresAt.Add(keepAfterExpiry))
	if err != nil {
		return false, fmt.Errorf("recording the approval: %w", err)
	}
	if ok {
		switch state {
		case StateApproved:
			s.emit(EventApproved, next)
		case StateDenied:
			s.emit(EventDenied, next)
		case StateExpired:
			s.emit(EventExpired, next)
		}
	}
	return ok, nil
}

// Observe sends every state change to events (the audit trail), replacing
// Options.Events. Call it before serving.
func (s *Service) Observe(events func(Event)) { s.opts.Events = events }

func (s *Service) emit(kind string, a Approval) {
	if s.opts.Events != nil {
		s.opts.Events(Event{Kind: kind, Approval: a})
	}
}

// Why a second call may not execute.
var (
	ErrPending = errors.New("the approval is still pending")
	ErrDenied  = errors.New("the approval was denied")
	ErrExpired = errors.New("the approval expired")
	ErrUsed    = errors.New("the approval was already used; each approval allows one call")
	ErrOther   = errors.New("the approval was given for other arguments")
	// ErrOtherPerson: the approval was requested by another person.
	ErrOtherPerson = errors.New("the approval was requested by another person")
)

// Redeem spends an approved approval for the call with tool and digest:
// exactly one caller, on any replica, gets it back with a nil error, and
// may then execute. Every other answer says why not, and nothing is sent.
func (s *Service) Redeem(ctx context.Context, id, tool, digest string) (Approval, error) {
	for range 8 {
		a, raw, err := s.load(ctx, id)
		if err != nil {
			return Approval{}, err
		}
		if a.Tool != tool || a.Digest != digest {
			return a, ErrOther
		}
		if a.RequestedBy != "" && a.RequestedBy != guard.SubjectFrom(ctx) {
			return a, ErrOtherPerson
		}
		if s.expired(a) {
			if _, err := s.move(ctx, a, raw, StateExpired, func(*Approval) {}); err != nil {
				return a, err
			}
			continue
		}
		switch a.State {
		case StatePending:
			return a, ErrPending
		case StateDenied:
			return a, ErrDenied
		case StateExpired:
			return a, ErrExpired
		case StateUsed:
			return a, ErrUsed
		}
		ok, err := s.move(ctx, a, raw, StateUsed, func(*Approval) {})
		if err != nil {
			return a, err
		}
		if ok {
			return a, nil
		}
	}
	return Approval{}, errConflict
}

// Wait blocks until the approval is decided (or ctx ends), polling the
// store: the decision may be taken on another replica.
func (s *Service) Wait(ctx context.Context, id string, every time.Duration) (Approval, error) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		a, err := s.Get(ctx, id)
		if err != nil || a.State != StatePending {
			return a, err
		}
		select {
		case <-ctx.Done():
			return a, ctx.Err()
		case <-t.C:
		}
	}
}

// DecisionError is a refused approve or deny: Status is the HTTP status
// the API answers with.
type DecisionError struct {
	Status int
	Reason string
}

func (e *DecisionError) Error() string { return e.Reason }

func refused(status int, format string, args ...any) error {
	return &DecisionError{Status: status, Reason: fmt.Sprintf(format, args...)}
}

// Decide approves (approve true) or denies the approval as the named
// approver, proven by a TOTP code. A wrong code counts towards the lockout:
// the fifth denies and locks the approval.
func (s *Service) Decide(ctx context.Context, id, approver, code string, approve bool) (Approval, error) {
	a, _, err := s.load(ctx, id)
	if err != nil {
		return a, err
	}
	if err := s.decidable(ctx, a, approver, approve); err != nil {
		return a, err
	}
	if err := s.limit(ctx, approver); err != nil {
		return a, err
	}
	ap, err := s.opts.Approvers.Find(approver)
	if err != nil {
		return a, err
	}
	step := int64(-1)
	if ap != nil && ap.TOTPSecret != "" {
		step = matchTOTP(ap.TOTPSecret, strings.TrimSpace(code), s.now())
	}
	if step < 0 {
		return a, s.wrongCode(ctx, id)
	}
	// Each code is accepted once: the approver's time step is claimed.
	fresh, err := s.opts.Store.Claim(ctx, "approval:totp:"+strings.ToLower(ap.Name)+":"+strconv.FormatInt(step, 10),
		time.Unix((step+3)*int64(totpPeriod/time.Second), 0))
	if err != nil {
		return a, fmt.Errorf("checking the code: %w", err)
	}
	if !fresh {
		return a, refused(403, "this code was already used; wait for the next one")
	}
	return s.settle(ctx, id, ap.Name, FactorTOTP, approve)
}

// decidable checks what needs no factor: the approval is open, and an
// attestation is approved by its signer.
func (s *Service) decidable(ctx context.Context, a Approval, approver string, approve bool) error {
	if strings.TrimSpace(approver) == "" {
		return refused(400, "approver: the approver's name is required")
	}
	a, err := s.Get(ctx, a.ID)
	if err != nil {
		return err
	}
	if a.State != StatePending {
		return refused(409, "the approval is %s; nothing more can be decided", a.State)
	}
	if approve && a.Signer != "" && !SameName(a.Signer, approver) {
		return refused(403, "this attestation is signed by %s: only the approver of that name may approve it", a.Signer)
	}
	if approve && s.opts.FourEyes {
		return s.fourEyes(ctx, a, approver)
	}
	return nil
}

// fourEyes refuses an approval by the person who asked for the call: the
// approver's enrolled subject, or the API caller's, being the requester's.
// An approver enrolled without a subject cannot be told apart from the
// requester, so cannot approve under four eyes.
func (s *Service) fourEyes(ctx context.Context, a Approval, approver string) error {
	if a.RequestedBy == "" {
		return refused(403, "four eyes: who asked for this call is not known (no OAuth identity), so no one can approve it")
	}
	if caller := guard.SubjectFrom(ctx); caller == a.RequestedBy {
		return refused(403, "four eyes: the approval must come from another person than the one who asked for the call")
	}
	ap, err := s.opts.Approvers.Find(approver)
	if err != nil {
		return err
	}
	switch {
	case ap == nil:
		return nil // the factor check refuses an unknown approver
	case ap.Subject == "":
		return refused(403, "four eyes: %s is enrolled without an identity subject, so cannot be told apart from the requester; enrol them with --subject", ap.Name)
	case ap.Subject == a.RequestedBy:
		return refused(403, "four eyes: %s asked for this call and cannot also approve it", ap.Name)
	}
	return nil
}

// limit rate-limits attempts per approver name.
func (s *Service) limit(ctx context.Context, approver string) error {
	window := s.now().Truncate(attemptWindow)
	n, err := s.opts.Store.Incr(ctx, "approval:attempts:"+strings.ToLower(strings.TrimSpace(approver))+":"+strconv.FormatInt(window.Unix(), 10), window.Add(2*attemptWindow))
	if err != nil {
		return fmt.Errorf("checking the code: %w", err)
	}
	if n > attemptsPerWindow {
		return refused(429, "too many attempts for this approver; wait a minute and try again")
	}
	return nil
}

// wrongCode counts a wrong code; the fifth denies and locks the approval.
func (s *Service) wrongCode(ctx context.Context, id string) error {
	a, _, err := s.load(ctx, id)
	if err != nil {
		return err
	}
	n, err := s.opts.Store.Incr(ctx, "approval:wrong:"+id, a.ExpiresAt.Add(keepAfterExpiry))
	if err != nil {
		return fmt.Errorf("checking the code: %w", err)
	}
	if n >= maxWrongCodes {
		if _, err := s.settleAs(ctx, id, "", "", false, fmt.Sprintf("locked after %d wrong codes", n)); err != nil {
			return err
		}
		return refused(403, "wrong approver name or code; after %d wrong codes the approval is denied and locked", n)
	}
	return refused(403, "wrong approver name or code (%d of %d attempts before the approval is locked)", n, maxWrongCodes)
}

// settle records the decision of an approver proven by factor.
func (s *Service) settle(ctx context.Context, id, approver, factor string, approve bool) (Approval, error) {
	return s.settleAs(ctx, id, approver, factor, approve, "")
}

func (s *Service) settleAs(ctx context.Context, id, approver, factor string, approve bool, reason string) (Approval, error) {
	state := StateDenied
	if approve {
		state = StateApproved
	}
	for range 8 {
		a, raw, err := s.load(ctx, id)
		if err != nil {
			return a, err
		}
		if a.State != StatePending || s.expired(a) {
			a, _ = s.Get(ctx, id)
			return a, refused(409, "the approval is %s; nothing more can be decided", a.State)
		}
		ok, err := s.move(ctx, a, raw, state, func(n *Approval) {
			n.Approver, n.Factor, n.Reason, n.DecidedAt = approver, factor, reason, s.now().UTC()
		})
		if err != nil {
			return a, err
		}
		if ok {
			a, _, err = s.load(ctx, id)
			return a, err
		}
	}
	return Approval{}, errConflict
}
