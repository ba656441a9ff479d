// Package guard holds what the confirmation guard must remember so that
// every confirmation executes at most once: single-use marks, small records
// (pending approvals, remembered attestation starts) and counters (wrong
// codes). One interface, Store, sits in front of it: in memory for a single
// process, in a shared store (Redis) for replicas, so the guard's promise
// does not depend on which process answers.
package guard

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is Get's answer for a key that is absent or expired.
var ErrNotFound = errors.New("not found")

// Store is the guard's memory. Every method is atomic on its own: two
// replicas claiming one key at once get one true and one false. Keys are
// opaque strings chosen by the caller (prefix them by purpose); each entry
// expires with the thing it guards. A Store that cannot answer returns an
// error, and callers fail closed on it: nothing destructive is sent.
type Store interface {
	// Claim marks key as used until expires. It reports true for the one
	// call that made the mark and false for every call after it.
	Claim(ctx context.Context, key string, expires time.Time) (bool, error)
	// Put stores value under key until expires, replacing any value.
	Put(ctx context.Context, key string, value []byte, expires time.Time) error
	// Get returns the value under key, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Swap replaces the value under key with next, and its expiry with
	// expires, only if the stored value is still old (compare-and-swap).
	// It reports false, changing nothing, when the value differs or the key
	// is gone.
	Swap(ctx context.Context, key string, old, next []byte, expires time.Time) (bool, error)
	// Incr adds one to the counter under key and returns the new count; a
	// new counter expires at expires, an existing one keeps its expiry.
	Incr(ctx context.Context, key string, expires time.Time) (int64, error)
	// Ping reports whether the store can be used now (for readiness).
	Ping(ctx context.Context) error
}

// SharedStore is implemented by a Store whose memory outlives this process
// and is seen by every replica (Redis). The guard binds its tokens to the
// process instance that issued them unless its store is shared: a used mark
// kept only in this process's memory is forgotten at a restart, so a token
// from an earlier run must not be accepted at all.
type SharedStore interface {
	Store
	// Shared reports whether the store outlives this process.
	Shared() bool
}

// IsShared reports whether s outlives this process (see SharedStore).
func IsShared(s Store) bool {
	shared, ok := s.(SharedStore)
	return ok && shared.Shared()
}
