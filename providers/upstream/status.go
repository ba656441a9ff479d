package upstream

import (
	"context"
	"sync/atomic"
)

// The audit trail records the HTTP status of a write's answer, and only
// when an answer came: a write that never reached the upstream, or whose
// answer was lost, has no status to record. A caller that wants it carries
// a recorder in the context of the call (WithWriteStatus) and reads it after
// (WriteStatus).

type writeStatusKey struct{}

// WithWriteStatus returns ctx carrying a recorder of the HTTP status of the
// last answer to a write (Effect Write) sent with it.
func WithWriteStatus(ctx context.Context) context.Context {
	return context.WithValue(ctx, writeStatusKey{}, new(atomic.Int64))
}

// WriteStatus returns the HTTP status of the last answer to a write sent
// with ctx, or 0 when no answer came (or ctx carries no recorder).
func WriteStatus(ctx context.Context) int {
	if s, ok := ctx.Value(writeStatusKey{}).(*atomic.Int64); ok {
		return int(s.Load())
	}
	return 0
}

// noteAnswer records the status of an answer to a write, if ctx asks for it.
func noteAnswer(ctx context.Context, r Request, status int) {
	if s, ok := ctx.Value(writeStatusKey{}).(*atomic.Int64); ok && r.Effect == Write && status != 0 {
		s.Store(int64(status))
	}
}
