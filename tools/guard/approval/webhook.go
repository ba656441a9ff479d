package approval

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// EnvWebhook names the chat-ops webhook URL (a secret: it is the channel's
// key).
const EnvWebhook = "PCI_MCP_APPROVAL_WEBHOOK"

// webhook announces new pending approvals to a chat channel. It never
// blocks or fails the call that asked: each announcement runs in the
// background, with a few retries, and failures are only logged.
type webhook struct {
	url     string
	client  *http.Client
	log     *slog.Logger
	retries int
	backoff time.Duration
}

func newWebhook(url string, log *slog.Logger) *webhook {
	return &webhook{url: url, client: &http.Client{Timeout: 10 * time.Second}, log: log, retries: 4, backoff: 2 * time.Second}
}

// webhookMessage is the body: Slack and Teams incoming webhooks show text
// as it is; the other fields are for bots.
type webhookMessage struct {
	Text        string          `json:"text"`
	ApprovalID  string          `json:"approval_id"`
	Tool        string          `json:"tool"`
	Account     string          `json:"account"`
	Preview     json.RawMessage `json:"preview"`
	ApprovalURL string          `json:"approval_url"`
	ExpiresAt   string          `json:"expires_at"`
}

func (w *webhook) announce(a Approval, link string) {
	account := a.Account
	if account == "" {
		account = "unknown account"
	}
	body, err := json.Marshal(webhookMessage{
		Text: fmt.Sprintf("pci-mcp asks for approval: %s on %s (%s account %s). Approve or deny before %s: %s",
			a.Tool, a.Provider, a.Provider, account, a.ExpiresAt.Format(time.RFC3339), link),
		ApprovalID: a.ID, Tool: a.Tool, Account: a.Account, Preview: a.Preview, ApprovalURL: link,
		ExpiresAt: a.ExpiresAt.Format(time.RFC3339),
	})
	if err != nil {
		w.log.Warn("approval webhook: the message could not be encoded", "approval_id", a.ID, "err", err)
		return
	}
	go w.deliver(a.ID, body)
}

func (w *webhook) deliver(id string, body []byte) {
	for attempt := 1; ; attempt++ {
		status, err := w.post(body)
		if err == nil && status >= 200 && status < 300 {
			return
		}
		// The URL is the secret: log the status or the error kind, never it.
		reason := fmt.Sprintf("HTTP %d", status)
		if err != nil {
			reason = "the request failed (connection or timeout)"
		}
		if attempt > w.retries {
			w.log.Warn("approval webhook: giving up; the approval still works from its link", "approval_id", id, "attempts", attempt, "last", reason)
			return
		}
		w.log.Warn("approval webhook: delivery failed; retrying", "approval_id", id, "attempt", attempt, "reason", reason)
		time.Sleep(w.backoff * time.Duration(attempt))
	}
}

func (w *webhook) post(body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), w.client.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, nil
}
