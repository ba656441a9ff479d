package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/pci-mcp/pci-mcp/tools/guard"
)

// countingStore is a guard.Store that counts its failures; absent keys
// (ErrNotFound) are answers, not failures.
type countingStore struct {
	guard.Store
	m *Metrics
}

// Store wraps s so its errors are counted; it stays shared if s is
// (guard.SharedStore), so the guard's binding does not change.
func (m *Metrics) Store(s guard.Store) guard.Store {
	if s == nil {
		return nil
	}
	return &countingStore{Store: s, m: m}
}

func (s *countingStore) count(op string, err error) {
	if err != nil && !errors.Is(err, guard.ErrNotFound) {
		s.m.storeErrors.WithLabelValues(op).Inc()
	}
}

// Shared implements guard.SharedStore as the wrapped store does.
func (s *countingStore) Shared() bool { return guard.IsShared(s.Store) }

func (s *countingStore) Claim(ctx context.Context, key string, expires time.Time) (bool, error) {
	ok, err := s.Store.Claim(ctx, key, expires)
	s.count("claim", err)
	return ok, err
}

func (s *countingStore) Put(ctx context.Context, key string, value []byte, expires time.Time) error {
	err := s.Store.Put(ctx, key, value, expires)
	s.count("put", err)
	return err
}

func (s *countingStore) Get(ctx context.Context, key string) ([]byte, error) {
	v, err := s.Store.Get(ctx, key)
	s.count("get", err)
	return v, err
}

func (s *countingStore) Swap(ctx context.Context, key string, old, next []byte, expires time.Time) (bool, error) {
	ok, err := s.Store.Swap(ctx, key, old, next, expires)
	s.count("swap", err)
	return ok, err
}

func (s *countingStore) Incr(ctx context.Context, key string, expires time.Time) (int64, error) {
	n, err := s.Store.Incr(ctx, key, expires)
	s.count("incr", err)
	return n, err
}

func (s *countingStore) Ping(ctx context.Context) error {
	err := s.Store.Ping(ctx)
	s.count("ping", err)
	return err
}
