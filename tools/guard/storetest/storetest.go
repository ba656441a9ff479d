// Package storetest is the behaviour every guard.Store must show, as one
// test suite: the memory store and the shared (Redis) store run the same
// cases, so replicas keep the same promise as a single process.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/tools/guard"
)

// Run runs the suite. newStore returns an empty store whose keys do not
// collide with another call's (a fresh store, or a fresh key prefix);
// wait lets time pass for the store's clock (a real sleep for a real
// server, a step of a fake clock for the memory store).
func Run(t *testing.T, newStore func(t *testing.T) guard.Store, wait func(time.Duration)) {
	ctx := context.Background()
	soon := func() time.Time { return time.Now().Add(time.Hour) }

	t.Run("claim once", func(t *testing.T) {
		s := newStore(t)
		first, err := s.Claim(ctx, "k", soon())
		require.NoError(t, err)
		second, err := s.Claim(ctx, "k", soon())
		require.NoError(t, err)
		assert.True(t, first)
		assert.False(t, second, "a key claimed once is never claimed again before it expires")
		other, err := s.Claim(ctx, "k2", soon())
		require.NoError(t, err)
		assert.True(t, other)
	})

	t.Run("racing claims: exactly one wins", func(t *testing.T) {
		s := newStore(t)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := s.Claim(ctx, "race", soon())
				if err == nil && ok {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		assert.Equal(t, int32(1), wins.Load())
	})

	t.Run("put get swap", func(t *testing.T) {
		s := newStore(t)
		_, err := s.Get(ctx, "absent")
		assert.True(t, errors.Is(err, guard.ErrNotFound), "absent key: %v", err)

		require.NoError(t, s.Put(ctx, "rec", []byte("pending"), soon()))
		got, err := s.Get(ctx, "rec")
		require.NoError(t, err)
		assert.Equal(t, "pending", string(got))

		ok, err := s.Swap(ctx, "rec", []byte("other"), []byte("approved"), soon())
		require.NoError(t, err)
		assert.False(t, ok, "swap from a value that is not stored changes nothing")
		ok, err = s.Swap(ctx, "rec", []byte("pending"), []byte("approved"), soon())
		require.NoError(t, err)
		assert.True(t, ok)
		got, err = s.Get(ctx, "rec")
		require.NoError(t, err)
		assert.Equal(t, "approved", string(got))
		ok, err = s.Swap(ctx, "gone", []byte(""), []byte("x"), soon())
		require.NoError(t, err)
		assert.False(t, ok, "swap on an absent key changes nothing")
		_, err = s.Get(ctx, "gone")
		assert.True(t, errors.Is(err, guard.ErrNotFound))
	})

	t.Run("racing swaps: exactly one wins", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, s.Put(ctx, "rec", []byte("pending"), soon()))
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := s.Swap(ctx, "rec", []byte("pending"), fmt.Appendf(nil, "taken-%d", i), soon())
				if err == nil && ok {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		assert.Equal(t, int32(1), wins.Load())
	})

	t.Run("incr counts", func(t *testing.T) {
		s := newStore(t)
		for want := int64(1); want <= 5; want++ {
			n, err := s.Incr(ctx, "wrong", soon())
			require.NoError(t, err)
			assert.Equal(t, want, n)
		}
	})

	t.Run("entries expire", func(t *testing.T) {
		s := newStore(t)
		exp := time.Now().Add(1500 * time.Millisecond)
		ok, err := s.Claim(ctx, "short", exp)
		require.NoError(t, err)
		require.True(t, ok)
		require.NoError(t, s.Put(ctx, "rec", []byte("v"), exp))
		_, err = s.Incr(ctx, "n", exp)
		require.NoError(t, err)
		wait(3 * time.Second)
		ok, err = s.Claim(ctx, "short", soon())
		require.NoError(t, err)
		assert.True(t, ok, "an expired mark no longer counts")
		_, err = s.Get(ctx, "rec")
		assert.True(t, errors.Is(err, guard.ErrNotFound), "an expired record is gone: %v", err)
		n, err := s.Incr(ctx, "n", soon())
		require.NoError(t, err)
		assert.Equal(t, int64(1), n, "an expired counter starts again")
	})

	t.Run("ping", func(t *testing.T) {
		assert.NoError(t, newStore(t).Ping(ctx))
	})
}
