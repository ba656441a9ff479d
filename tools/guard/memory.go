package guard

import (
	"bytes"
	"context"
	"strconv"
	"sync"
	"time"
)

// MemoryStore is a Store in this process's memory: right for one process,
// and forgotten when it exits (the guard binds its tokens to the process
// instance for that reason).
type MemoryStore struct {
	now func() time.Time

	mu      sync.Mutex
	entries map[string]memoryEntry
	// sweepAt spaces the pruning of expired entries, so a busy store does
	// not scan its map on every call.
	sweepAt time.Time
}

type memoryEntry struct {
	value   []byte
	expires time.Time
}

// NewMemoryStore returns an empty store; now is its clock (nil: time.Now).
func NewMemoryStore(now func() time.Time) *MemoryStore {
	if now == nil {
		now = time.Now
	}
	return &MemoryStore{now: now, entries: map[string]memoryEntry{}}
}

// live returns the unexpired entry under key. The caller holds mu.
func (s *MemoryStore) live(key string, now time.Time) (memoryEntry, bool) {
	e, ok := s.entries[key]
	if !ok || !now.Before(e.expires) {
		return memoryEntry{}, false
	}
	return e, true
}

// sweep drops expired entries at most once a minute. The caller holds mu.
func (s *MemoryStore) sweep(now time.Time) {
	if now.Before(s.sweepAt) {
		return
	}
	s.sweepAt = now.Add(time.Minute)
	for k, e := range s.entries {
		if !now.Before(e.expires) {
			delete(s.entries, k)
		}
	}
}

// Claim implements Store.
func (s *MemoryStore) Claim(_ context.Context, key string, expires time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweep(now)
	if _, ok := s.live(key, now); ok {
		return false, nil
	}
	s.entries[key] = memoryEntry{value: []byte("1"), expires: expires}
	return true, nil
}

// Put implements Store.
func (s *MemoryStore) Put(_ context.Context, key string, value []byte, expires time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(s.now())
	s.entries[key] = memoryEntry{value: bytes.Clone(value), expires: expires}
	return nil
}

// Get implements Store.
func (s *MemoryStore) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.live(key, s.now())
	if !ok {
		return nil, ErrNotFound
	}
	return bytes.Clone(e.value), nil
}

// Swap implements Store.
func (s *MemoryStore) Swap(_ context.Context, key string, old, next []byte, expires time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.live(key, s.now())
	if !ok || !bytes.Equal(e.value, old) {
		return false, nil
	}
	s.entries[key] = memoryEntry{value: bytes.Clone(next), expires: expires}
	return true, nil
}

// Incr implements Store.
func (s *MemoryStore) Incr(_ context.Context, key string, expires time.Time) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	e, ok := s.live(key, now)
	var n int64
	if ok {
		n, _ = strconv.ParseInt(string(e.value), 10, 64)
		expires = e.expires
	}
	n++
	s.entries[key] = memoryEntry{value: []byte(strconv.FormatInt(n, 10)), expires: expires}
	return n, nil
}

// Ping implements Store: memory is always there.
func (s *MemoryStore) Ping(context.Context) error { return nil }
