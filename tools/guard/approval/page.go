package approval

import (
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// The approval page and its JSON API, under /approvals/. The page is for a
// person's browser: server-rendered, escaped by html/template, with its
// script and style served from here (CSP default-src 'self'), never framed,
// never leaking its URL in a Referer. Every POST from it must come from its
// own origin and carry the anti-CSRF token of the page it was rendered in.
// The API is for the CLI, chat-ops bots and tests: it takes the same factor
// as the page, plus the bearer PCI_MCP_AUTH_TOKEN when one is set.

//go:embed static templates
var assets embed.FS

// pageTemplates are parsed on first use, not at start-up: every client
// launch of pci-mcp would otherwise wait for them, and most never serve the
// page. The page tests parse and render every one.
var pageTemplates = sync.OnceValue(func() *template.Template {
	return template.Must(template.ParseFS(assets, "templates/*.html"))
})

// maxPostBytes bounds a POST to the page or the API.
const maxPostBytes = 64 << 10

// Handler serves the page and the API. Mount it at /approvals/.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /approvals/static/{file}", http.StripPrefix("/approvals/", http.FileServerFS(assets)))
	mux.HandleFunc("GET /approvals/api/pending", s.api(s.apiPending))
	mux.HandleFunc("GET /approvals/api/{id}", s.api(s.apiGet))
	mux.HandleFunc("POST /approvals/api/{id}/approve", s.api(s.apiDecide(true)))
	mux.HandleFunc("POST /approvals/api/{id}/deny", s.api(s.apiDecide(false)))
	mux.HandleFunc("GET /approvals/enrol/{token}", s.enrolPage)
	mux.HandleFunc("POST /approvals/enrol/{token}/register-begin", s.pagePost(s.enrolBegin))
	mux.HandleFunc("POST /approvals/enrol/{token}/register-finish", s.pagePost(s.enrolFinish))
	mux.HandleFunc("GET /approvals/{id}", s.approvalPage)
	mux.HandleFunc("POST /approvals/{id}/decide", s.pagePost(s.decideForm))
	mux.HandleFunc("POST /approvals/{id}/passkey/begin", s.pagePost(s.passkeyBegin))
	mux.HandleFunc("POST /approvals/{id}/passkey/finish", s.pagePost(s.passkeyFinish))
	return securityHeaders(mux)
}

// securityHeaders are on every answer, page or not.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// previewView is the preview's JSON as the page shows it: the fields of
// both kinds of preview (hosts; an attestation's statement).
type previewView struct {
	Provider string   `json:"provider"`
	Account  string   `json:"account"`
	Action   string   `json:"action"`
	Items    []string `json:"items"`
	// NotInScope are the hosts of Items the account does not hold in PCI
	// scope now: the page warns of them, as the tool result does.
	NotInScope  []string `json:"not_in_scope"`
	Notice      string   `json:"notice"`
	ReportName  string   `json:"report_name"`
	PersonName  string   `json:"attest_person_name"`
	PersonTitle string   `json:"attest_person_title"`
	Questions   []struct {
		ID     int    `json:"id"`
		Text   string `json:"text"`
		Answer string `json:"answer"`
	} `json:"questions"`
	Notes []struct {
		TargetID int    `json:"target_id"`
		IssueID  int    `json:"issue_id"`
		Issue    string `json:"issue"`
		Target   string `json:"target"`
		Secure   bool   `json:"secure"`
		Response string `json:"response"`
	} `json:"notes"`
}

// pageData is what the approval template renders.
type pageData struct {
	Approval Approval
	Preview  previewView
	CSRF     string
	Message  string
	Problem  string
	Expires  string
	Open     bool
}

func (s *Service) approvalPage(w http.ResponseWriter, r *http.Request) {
	a, err := s.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.renderProblem(w, err)
		return
	}
	s.render(w, r, http.StatusOK, a, "", "")
}

func (s *Service) render(w http.ResponseWriter, r *http.Request, status int, a Approval, message, problem string) {
	d := pageData{Approval: a, Message: message, Problem: problem, Open: a.State == StatePending,
		Expires: a.ExpiresAt.UTC().Format(time.RFC1123)}
	_ = json.Unmarshal(a.Preview, &d.Preview)
	if d.Open {
		token, err := s.newCSRF(r, "approval:"+a.ID, a.ExpiresAt)
		if err != nil {
			s.renderProblem(w, err)
			return
		}
		d.CSRF = token
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = pageTemplates().ExecuteTemplate(w, "approval.html", d)
}

func (s *Service) renderProblem(w http.ResponseWriter, err error) {
	status, reason := statusOf(err)
	if errors.Is(err, ErrUnknown) {
		reason = "There is no approval with this id. It may have expired long ago, or the link is mistyped."
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = pageTemplates().ExecuteTemplate(w, "problem.html", reason)
}

// decideForm is the page's form: name and TOTP code, approve or deny.
func (s *Service) decideForm(w http.ResponseWriter, r *http.Request, _ []byte) {
	id := r.PathValue("id")
	approve := r.PostFormValue("action") == "approve"
	a, err := s.Decide(r.Context(), id, r.PostFormValue("approver"), r.PostFormValue("code"), approve)
	if a.ID == "" {
		s.renderProblem(w, err)
		return
	}
	if err != nil {
		status, reason := statusOf(err)
		current, _ := s.Get(r.Context(), id)
		s.render(w, r, status, current, "", reason)
		return
	}
	s.render(w, r, http.StatusOK, a, decisionMessage(a), "")
}

func decisionMessage(a Approval) string {
	if a.State == StateApproved {
		return "Approved by " + a.Approver + ". The assistant can now run the call, once."
	}
	return "Denied by " + a.Approver + ". Nothing will be sent."
}

// passkeyRequest is the page script's start of a passkey decision.
type passkeyRequest struct {
	Approver string `json:"approver"`
	Action   string `json:"action"`
}

func (s *Service) passkeyBegin(w http.ResponseWriter, r *http.Request, body []byte) {
	var req passkeyRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeJSONError(w, refused(400, "the request is not JSON"))
		return
	}
	options, err := s.passkey.beginDecision(r.Context(), r.PathValue("id"), req.Approver, req.Action == "approve")
	if err != nil {
		writeJSONError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, options)
}

func (s *Service) passkeyFinish(w http.ResponseWriter, r *http.Request, body []byte) {
	q := r.URL.Query()
	a, err := s.passkey.finishDecision(r.Context(), r.PathValue("id"), q.Get("approver"), q.Get("action") == "approve", body)
	if err != nil {
		writeJSONError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": a.State, "message": decisionMessage(a)})
}

// enrolData is what the enrolment template renders.
type enrolData struct {
	Name, Title, CSRF, Expires string
}

func (s *Service) enrolPage(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	e, err := s.opts.Approvers.enrolment(token, s.now())
	if err != nil {
		s.renderProblem(w, err)
		return
	}
	csrf, err := s.newCSRF(r, "enrol:"+tokenHash(token), e.Expires)
	if err != nil {
		s.renderProblem(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pageTemplates().ExecuteTemplate(w, "enrol.html", enrolData{Name: e.Name, Title: e.Title, CSRF: csrf, Expires: e.Expires.Format(time.RFC1123)})
}

func (s *Service) enrolBegin(w http.ResponseWriter, r *http.Request, _ []byte) {
	options, err := s.passkey.beginEnrolment(r.Context(), r.PathValue("token"))
	if err != nil {
		writeJSONError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, options)
}

func (s *Service) enrolFinish(w http.ResponseWriter, r *http.Request, body []byte) {
	name, err := s.passkey.finishEnrolment(r.Context(), r.PathValue("token"), body)
	if err != nil {
		writeJSONError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "enrolled", "message": "Passkey enrolled for " + name + "."})
}

// The anti-CSRF token: minted with each rendering of a page, kept in the
// store with the scope it was rendered for, required on every POST from it.

const csrfField = "csrf"

func (s *Service) newCSRF(r *http.Request, scope string, expires time.Time) (string, error) {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	if err := s.opts.Store.Put(r.Context(), "approval:csrf:"+token, []byte(scope), expires); err != nil {
		return "", err
	}
	return token, nil
}

func (s *Service) checkCSRF(r *http.Request, token string) bool {
	scope := "approval:" + r.PathValue("id")
	if t := r.PathValue("token"); t != "" {
		scope = "enrol:" + tokenHash(t)
	}
	if token == "" {
		return false
	}
	got, err := s.opts.Store.Get(r.Context(), "approval:csrf:"+token)
	return err == nil && subtle.ConstantTimeCompare(got, []byte(scope)) == 1
}

// pagePost guards a POST from the page: same origin, the page's CSRF token
// (form field or X-CSRF-Token header), a bounded body.
func (s *Service) pagePost(next func(http.ResponseWriter, *http.Request, []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.sameOrigin(r) {
			http.Error(w, "cross-origin request refused", http.StatusForbidden)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPostBytes))
		if err != nil {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		token := r.Header.Get("X-CSRF-Token")
		if token == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			form, _ := url.ParseQuery(string(body))
			r.PostForm, r.Form = form, form
			token = form.Get(csrfField)
		}
		if !s.checkCSRF(r, token) {
			http.Error(w, "the page's anti-CSRF token is missing or wrong: reload the page and try again", http.StatusForbidden)
			return
		}
		next(w, r, body)
	}
}

// sameOrigin requires a browser POST to come from this page's origin: the
// Origin header must say so. A form posted from a page with
// Referrer-Policy: no-referrer carries "Origin: null", so then (and without
// an Origin) the browser's own Sec-Fetch-Site must say same-origin.
func (s *Service) sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return r.Header.Get("Sec-Fetch-Site") == "same-origin"
	}
	return s.originAllowed(r, origin)
}

// originAllowed: the origin of the configured base URL, or the one the
// request itself was made to.
func (s *Service) originAllowed(r *http.Request, origin string) bool {
	if base, err := url.Parse(s.BaseURL()); err == nil && base.Host != "" && strings.EqualFold(origin, base.Scheme+"://"+base.Host) {
		return true
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return strings.EqualFold(origin, scheme+"://"+r.Host)
}

// The JSON API.

// api guards an API call: the bearer when one is set; a browser Origin
// other than our own refused; a bounded body.
func (s *Service) api(next func(http.ResponseWriter, *http.Request, []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.opts.AuthToken != "" {
			token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(s.opts.AuthToken)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="pci-mcp"`)
				writeJSONError(w, refused(401, "a valid bearer token (PCI_MCP_AUTH_TOKEN) is required"))
				return
			}
		}
		if origin := r.Header.Get("Origin"); origin != "" && !s.originAllowed(r, origin) {
			writeJSONError(w, refused(403, "cross-origin request refused"))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPostBytes))
		if err != nil {
			writeJSONError(w, refused(413, "request body too large"))
			return
		}
		next(w, r, body)
	}
}

// APIApproval is an approval as the API lists it.
type APIApproval struct {
	ID          string          `json:"approval_id"`
	Tool        string          `json:"tool"`
	Provider    string          `json:"provider"`
	Account     string          `json:"account,omitempty"`
	State       string          `json:"status"`
	Approver    string          `json:"approver,omitempty"`
	Factor      string          `json:"factor,omitempty"`
	Signer      string          `json:"signer,omitempty"`
	Preview     json.RawMessage `json:"preview"`
	PreviewText string          `json:"preview_text"`
	ApprovalURL string          `json:"approval_url"`
	CreatedAt   time.Time       `json:"created_at"`
	ExpiresAt   time.Time       `json:"expires_at"`
}

func (s *Service) apiView(a Approval) APIApproval {
	return APIApproval{ID: a.ID, Tool: a.Tool, Provider: a.Provider, Account: a.Account, State: a.State,
		Approver: a.Approver, Factor: a.Factor, Signer: a.Signer, Preview: a.Preview, PreviewText: a.PreviewText,
		ApprovalURL: s.URL(a.ID), CreatedAt: a.CreatedAt, ExpiresAt: a.ExpiresAt}
}

func (s *Service) apiPending(w http.ResponseWriter, r *http.Request, _ []byte) {
	list, err := s.Pending(r.Context())
	if err != nil {
		writeJSONError(w, err)
		return
	}
	out := make([]APIApproval, len(list))
	for i, a := range list {
		out[i] = s.apiView(a)
	}
	writeJSON(w, http.StatusOK, map[string]any{"pending": out})
}

func (s *Service) apiGet(w http.ResponseWriter, r *http.Request, _ []byte) {
	a, err := s.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		writeJSONError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.apiView(a))
}

// DecisionRequest is the body of approve and deny.
type DecisionRequest struct {
	Approver string `json:"approver"`
	Code     string `json:"code"`
}

func (s *Service) apiDecide(approve bool) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		var req DecisionRequest
		if err := json.Unmarshal(body, &req); err != nil {
			writeJSONError(w, refused(400, "the body must be JSON: {\"approver\": \"NAME\", \"code\": \"123456\"}"))
			return
		}
		a, err := s.Decide(r.Context(), r.PathValue("id"), req.Approver, req.Code, approve)
		if err != nil {
			writeJSONError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": a.State, "approver": a.Approver, "factor": a.Factor})
	}
}

// statusOf maps a refusal to its HTTP status and the words for a person.
func statusOf(err error) (int, string) {
	var de *DecisionError
	switch {
	case errors.As(err, &de):
		return de.Status, de.Reason
	case errors.Is(err, ErrUnknown):
		return http.StatusNotFound, "unknown approval id"
	}
	return http.StatusServiceUnavailable, "the approval store could not be used; try again"
}

func writeJSONError(w http.ResponseWriter, err error) {
	status, reason := statusOf(err)
	writeJSON(w, status, map[string]string{"error": reason})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
