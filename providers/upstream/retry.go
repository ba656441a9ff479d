package upstream

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// shouldRetry decides whether a failed attempt may be sent again, and after
// how long. The rule is the one that keeps a change from happening twice:
//
//   - reads are retried on connection errors and on 429, 502, 503, 504;
//   - writes, whatever their HTTP method, only when the request provably
//     never reached the server in full, or on 429, which says it was not
//     processed. Never after a timeout, a reset once sent, or a 5xx: the
//     caller reports the outcome as unknown instead.
//
// Read and write are the request's stated Effect, never its method.
func (c *Client) shouldRetry(effect Effect, res attemptResult, attempt int) (time.Duration, bool) {
	if attempt >= c.cfg.MaxAttempts {
		return 0, false
	}
	e := res.err
	var retry bool
	switch e.Kind {
	case KindNetwork:
		retry = effect == Read || !res.delivered
	case KindStatus:
		switch e.StatusCode {
		case http.StatusTooManyRequests:
			retry = true
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			retry = effect == Read
		}
	}
	if !retry {
		return 0, false
	}
	wait := c.cfg.Backoff(attempt)
	if e.RetryAfter > 0 {
		if e.RetryAfter > c.cfg.MaxRetryAfter {
			// Waiting that long would hold the assistant's call hostage; let
			// the person decide, with the wait in the message.
			return 0, false
		}
		wait = e.RetryAfter
	}
	return wait, true
}

// jitteredBackoff returns "full jitter" exponential backoff: a random wait in
// [0, min(max, base·2^(n-1))], which spreads retries from many clients.
func jitteredBackoff(base, max time.Duration) func(int) time.Duration {
	return func(retry int) time.Duration {
		ceiling := base << (retry - 1)
		if ceiling <= 0 || ceiling > max {
			ceiling = max
		}
		return time.Duration(rand.Int64N(int64(ceiling) + 1))
	}
}

// parseRetryAfter reads a Retry-After header in seconds or as an HTTP date.
func parseRetryAfter(value string, now time.Time) time.Duration {
	if value == "" {
		return 0
	}
	if secs, err := strconv.Atoi(value); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if at, err := http.ParseTime(value); err == nil {
		if d := at.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
