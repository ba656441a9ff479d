package upstream

import "time"

// Observer learns of every request attempt a client makes, for metrics,
// without the providers knowing how they are exported. It must return
// quickly and never block.
type Observer interface {
	// UpstreamAttempt reports one attempt: the provider ("Qualys"), the
	// operation ("GET pci/scan/list": a method and a fixed path, never an
	// id or a query), the HTTP status (0 when no answer came), how long it
	// took, and whether a retry follows.
	UpstreamAttempt(provider, operation string, status int, took time.Duration, retry bool)
}

func (c *Client) observe(r Request, res attemptResult, retry bool) {
	if c.cfg.Observer == nil {
		return
	}
	c.cfg.Observer.UpstreamAttempt(c.cfg.Provider, r.Method+" "+r.Path, res.status, res.duration, retry)
}
