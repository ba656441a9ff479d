package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pci-mcp/pci-mcp/tools/guard"
	"github.com/pci-mcp/pci-mcp/tools/guard/redisstore"
)

// The guard's memory. Without PCI_MCP_STORE_URL it is this process's
// (guard.NewMemoryStore); with it, a Redis every replica shares, so a
// confirmation used on one replica is used on all of them.

const envStoreURL = "PCI_MCP_STORE_URL"

// openStore opens the store the configuration names; nil means the memory
// store (the guard makes its own).
func openStore(cfg *config, log *slog.Logger) (*redisstore.Store, error) {
	if cfg.storeURL == "" {
		return nil, nil
	}
	redisstore.LogTo(log)
	s, err := redisstore.Open(cfg.storeURL, redisstore.Options{})
	if err != nil {
		return nil, usageError("%s: %v", envStoreURL, err)
	}
	return s, nil
}

// announceStore logs which store the guard uses (its host, never the URL)
// and warns when it does not answer yet: pci-mcp starts all the same, reads
// work, and destructive calls wait for the store. It also warns when Redis
// would forget the used marks in a restart of its own, since a forgotten
// mark lets a confirmation be used again until it expires.
func announceStore(log *slog.Logger, s *redisstore.Store, rawURL string) {
	host := ""
	if u, err := url.Parse(rawURL); err == nil {
		host = u.Host
	}
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	if err := s.Ping(ctx); err != nil {
		log.Warn("the shared store does not answer yet: destructive calls are refused until it does", "store_host", host, "err", err)
		return
	}
	log.Info("single-use confirmations are kept in the shared store", "store_host", host)
	d, err := s.Durability(ctx)
	switch {
	case err != nil:
		log.Info("could not check whether the shared store keeps its data across a restart; run Redis with appendonly yes", "store_host", host, "err", err)
	case d.AppendOnly:
	case d.SavePoints != "":
		log.Warn("the shared store keeps only snapshots (no appendonly): a Redis restart forgets the confirmations used since the last one, which could then be used again until they expire; run Redis with appendonly yes",
			"store_host", host, "save", d.SavePoints)
	default:
		log.Warn("the shared store keeps nothing on disk (appendonly no, no save points): a Redis restart forgets every used confirmation, which could then be used again until it expires; run Redis with appendonly yes",
			"store_host", host)
	}
}

// storeSecrets are the forms in which the store URL's secret could leak:
// the whole URL, and the password as written (percent-encoded) and decoded.
func storeSecrets(rawURL string) []string {
	if rawURL == "" {
		return nil
	}
	out := []string{rawURL}
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil {
		return out
	}
	secret, hasPassword := u.User.Password()
	if !hasPassword {
		// redis://secret@host: some clients take a lone user part as the
		// password, so treat it as one.
		secret = u.User.Username()
	}
	if secret != "" {
		out = append(out, secret, url.PathEscape(secret), url.QueryEscape(secret), writtenSecret(rawURL))
	}
	return out
}

// writtenSecret is the user-info secret exactly as rawURL spells it
// (percent-encoding included), which re-encoding may not reproduce.
func writtenSecret(rawURL string) string {
	_, rest, _ := strings.Cut(rawURL, "://")
	authority, _, _ := strings.Cut(rest, "/")
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return ""
	}
	userinfo := authority[:at]
	if _, pw, found := strings.Cut(userinfo, ":"); found {
		return pw
	}
	return userinfo
}

// readyTimeout bounds the store's answer to a readiness probe.
const readyTimeout = 2 * time.Second

// readyHandler answers GET /readyz: ready when this replica can keep the
// guard's promise, i.e. its store answers. Unlike /healthz (alive), not
// ready tells a load balancer to send traffic elsewhere; the process keeps
// serving reads meanwhile and recovers by itself when the store is back.
func readyHandler(store guard.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		type answer struct {
			Status string `json:"status"`
			Store  string `json:"store"`
			Reason string `json:"reason,omitempty"`
		}
		a, code := answer{Status: "ready", Store: "memory"}, http.StatusOK
		if store != nil {
			a.Store = "shared"
			ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
			defer cancel()
			if err := store.Ping(ctx); err != nil {
				a.Status, code = "not ready", http.StatusServiceUnavailable
				a.Reason = "the shared store (" + envStoreURL + ") does not answer: destructive calls are refused until it does"
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(a)
	})
}
