package approval

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// EnrolmentTTL is how long a passkey enrolment link stays valid.
const EnrolmentTTL = 10 * time.Minute

// passkeys runs the WebAuthn ceremonies: registration from a one-time
// enrolment link, and assertion for one approval's decision. User
// verification is required in both.
type passkeys struct{ s *Service }

// relyingParty is WebAuthn for the page's origin: the RP ID is the base
// URL's host name (an IP address cannot be one: links use localhost).
func (p *passkeys) relyingParty() (*webauthn.WebAuthn, error) {
	base := p.s.BaseURL()
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return nil, errors.New("the approval page has no base URL yet")
	}
	return webauthn.New(&webauthn.Config{
		RPID: u.Hostname(), RPDisplayName: "pci-mcp approvals",
		RPOrigins: []string{u.Scheme + "://" + u.Host},
	})
}

// passkeyUser is an approver as WebAuthn sees one.
type passkeyUser struct{ ap *Approver }

func (u passkeyUser) WebAuthnID() []byte                         { return u.ap.UserHandle }
func (u passkeyUser) WebAuthnName() string                       { return u.ap.Name }
func (u passkeyUser) WebAuthnDisplayName() string                { return u.ap.Name }
func (u passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.ap.Passkeys }

// AddEnrolment creates a one-time passkey enrolment for name and returns
// its token (the link's last segment). The file keeps only its hash.
func (a *Approvers) AddEnrolment(name, title string, now time.Time) (string, error) {
	if err := validName(name); err != nil {
		return "", err
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	token := base64.RawURLEncoding.EncodeToString(raw)
	err := a.update(func(doc *approversDoc) error {
		doc.Enrolments = slices.DeleteFunc(doc.Enrolments, func(e Enrolment) bool { return !now.Before(e.Expires) })
		doc.Enrolments = append(doc.Enrolments, Enrolment{TokenHash: tokenHash(token), Name: strings.TrimSpace(name), Title: title, Expires: now.Add(EnrolmentTTL).UTC()})
		return nil
	})
	return token, err
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte("pci-mcp enrolment\x00" + token))
	return hex.EncodeToString(sum[:])
}

// enrolment returns the unexpired enrolment of token.
func (a *Approvers) enrolment(token string, now time.Time) (*Enrolment, error) {
	doc, err := a.read()
	if err != nil {
		return nil, err
	}
	h := tokenHash(token)
	for _, e := range doc.Enrolments {
		if e.TokenHash == h && now.Before(e.Expires) {
			return &e, nil
		}
	}
	return nil, refused(404, "this enrolment link is unknown, used or expired; ask for a new one with pci-mcp approvers add NAME --passkey")
}

// enrolee is the approver an enrolment adds a passkey to: the existing one
// of that name, or a new one.
func (a *Approvers) enrolee(e *Enrolment, now time.Time) (*Approver, error) {
	ap, err := a.Find(e.Name)
	if err != nil {
		return nil, err
	}
	if ap == nil {
		ap = &Approver{Name: e.Name, Title: e.Title, Added: now.UTC()}
	}
	if len(ap.UserHandle) == 0 {
		ap.UserHandle = make([]byte, 32)
		_, _ = rand.Read(ap.UserHandle)
	}
	return ap, nil
}

// beginEnrolment starts registering a passkey: the creation options for
// the browser. The ceremony's state waits in the store.
func (p *passkeys) beginEnrolment(ctx context.Context, token string) (any, error) {
	now := p.s.now()
	e, err := p.s.opts.Approvers.enrolment(token, now)
	if err != nil {
		return nil, err
	}
	ap, err := p.s.opts.Approvers.enrolee(e, now)
	if err != nil {
		return nil, err
	}
	rp, err := p.relyingParty()
	if err != nil {
		return nil, err
	}
	creation, session, err := rp.BeginRegistration(passkeyUser{ap},
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementPreferred, UserVerification: protocol.VerificationRequired,
		}),
		webauthn.WithExclusions(webauthn.Credentials(ap.Passkeys).CredentialDescriptors()),
	)
	if err != nil {
		return nil, fmt.Errorf("starting the passkey registration: %w", err)
	}
	if err := p.saveSession(ctx, "approval:wa-reg:"+tokenHash(token), session, e.Expires); err != nil {
		return nil, err
	}
	return creation, nil
}

// finishEnrolment checks the browser's new credential and stores it with
// the approver; the link is then spent.
func (p *passkeys) finishEnrolment(ctx context.Context, token string, body []byte) (string, error) {
	now := p.s.now()
	e, err := p.s.opts.Approvers.enrolment(token, now)
	if err != nil {
		return "", err
	}
	session, err := p.loadSession(ctx, "approval:wa-reg:"+tokenHash(token))
	if err != nil {
		return "", err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(body)
	if err != nil {
		return "", refused(400, "the browser's passkey answer could not be read: %v", err)
	}
	ap, err := p.s.opts.Approvers.enrolee(e, now)
	if err != nil {
		return "", err
	}
	ap.UserHandle = session.UserID
	rp, err := p.relyingParty()
	if err != nil {
		return "", err
	}
	cred, err := rp.CreateCredential(passkeyUser{ap}, *session, parsed)
	if err != nil {
		return "", refused(403, "the passkey was not accepted: %v", err)
	}
	// One link, one passkey, even if two replicas see the answer.
	fresh, err := p.s.opts.Store.Claim(ctx, "approval:enrol-used:"+tokenHash(token), e.Expires.Add(time.Minute))
	if err != nil || !fresh {
		return "", refused(409, "this enrolment link was already used")
	}
	err = p.s.opts.Approvers.update(func(doc *approversDoc) error {
		doc.Enrolments = slices.DeleteFunc(doc.Enrolments, func(x Enrolment) bool { return x.TokenHash == e.TokenHash })
		doc.upsert(e.Name, e.Title, now, func(a *Approver) {
			if len(a.UserHandle) == 0 {
				a.UserHandle = session.UserID
			}
			a.Passkeys = append(a.Passkeys, *cred)
		})
		return nil
	})
	return e.Name, err
}

// challenge binds an assertion to one approval, its exact arguments and
// the decision: an assertion approves that call only.
func challenge(a Approval, approve bool) []byte {
	decision := "deny"
	if approve {
		decision = "approve"
	}
	sum := sha256.Sum256([]byte("pci-mcp approval v1\x00" + a.ID + "\x00" + a.Digest + "\x00" + decision))
	return sum[:]
}

func loginKey(id, approver string, approve bool) string {
	return fmt.Sprintf("approval:wa-login:%s:%t:%s", id, approve, strings.ToLower(strings.TrimSpace(approver)))
}

// beginDecision starts a passkey assertion for approving (or denying) one
// approval as the named approver.
func (p *passkeys) beginDecision(ctx context.Context, id, approver string, approve bool) (any, error) {
	a, _, err := p.s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := p.s.decidable(ctx, a, approver, approve); err != nil {
		return nil, err
	}
	if err := p.s.limit(ctx, approver); err != nil {
		return nil, err
	}
	ap, err := p.s.opts.Approvers.Find(approver)
	if err != nil {
		return nil, err
	}
	if ap == nil || len(ap.Passkeys) == 0 {
		return nil, refused(403, "no passkey is enrolled for this approver name")
	}
	rp, err := p.relyingParty()
	if err != nil {
		return nil, err
	}
	assertion, session, err := rp.BeginLogin(passkeyUser{ap},
		webauthn.WithChallenge(challenge(a, approve)),
		webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, fmt.Errorf("starting the passkey check: %w", err)
	}
	if err := p.saveSession(ctx, loginKey(id, ap.Name, approve), session, a.ExpiresAt); err != nil {
		return nil, err
	}
	return assertion, nil
}

// finishDecision checks the assertion and records the decision.
func (p *passkeys) finishDecision(ctx context.Context, id, approver string, approve bool, body []byte) (Approval, error) {
	a, _, err := p.s.load(ctx, id)
	if err != nil {
		return a, err
	}
	if err := p.s.decidable(ctx, a, approver, approve); err != nil {
		return a, err
	}
	ap, err := p.s.opts.Approvers.Find(approver)
	if err != nil {
		return a, err
	}
	if ap == nil {
		return a, refused(403, "no passkey is enrolled for this approver name")
	}
	session, err := p.loadSession(ctx, loginKey(id, ap.Name, approve))
	if err != nil {
		return a, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(body)
	if err != nil {
		return a, refused(400, "the browser's passkey answer could not be read: %v", err)
	}
	rp, err := p.relyingParty()
	if err != nil {
		return a, err
	}
	cred, err := rp.ValidateLogin(passkeyUser{ap}, *session, parsed)
	if err != nil {
		return a, p.s.wrongCode(ctx, id)
	}
	// The sign counter moves on: keep it, so a cloned authenticator shows.
	_ = p.s.opts.Approvers.update(func(doc *approversDoc) error {
		doc.upsert(ap.Name, "", p.s.now(), func(x *Approver) {
			for i := range x.Passkeys {
				if string(x.Passkeys[i].ID) == string(cred.ID) {
					x.Passkeys[i].Authenticator.SignCount = cred.Authenticator.SignCount
				}
			}
		})
		return nil
	})
	return p.s.settle(ctx, id, ap.Name, FactorPasskey, approve)
}

func (p *passkeys) saveSession(ctx context.Context, key string, session *webauthn.SessionData, expires time.Time) error {
	data, err := json.Marshal(session)
	if err != nil {
		return err
	}
	return p.s.opts.Store.Put(ctx, key, data, expires)
}

func (p *passkeys) loadSession(ctx context.Context, key string) (*webauthn.SessionData, error) {
	data, err := p.s.opts.Store.Get(ctx, key)
	if err != nil {
		return nil, refused(409, "no passkey check was started here (or it expired); start again")
	}
	var session webauthn.SessionData
	if err := json.Unmarshal(data, &session); err != nil {
		return nil, err
	}
	return &session, nil
}
