package redisstore_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/tools/guard"
	"github.com/pci-mcp/pci-mcp/tools/guard/redisstore"
	"github.com/pci-mcp/pci-mcp/tools/guard/redisstore/redistest"
	"github.com/pci-mcp/pci-mcp/tools/guard/storetest"
)

func TestRedisStore(t *testing.T) {
	srv := redistest.Start(t)
	var n atomic.Int32
	storetest.Run(t, func(t *testing.T) guard.Store {
		// A fresh prefix per case: the cases share one server.
		s, err := redisstore.Open(srv.URL(0), redisstore.Options{Prefix: fmt.Sprintf("test%d:", n.Add(1))})
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}, time.Sleep)
}

// Two stores on one Redis are two replicas: a mark made by one is seen by
// the other, and a counter is one counter.
func TestReplicasShareMarks(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	a, err := redisstore.Open(srv.URL(0), redisstore.Options{})
	require.NoError(t, err)
	defer a.Close()
	b, err := redisstore.Open(srv.URL(0), redisstore.Options{})
	require.NoError(t, err)
	defer b.Close()
	exp := time.Now().Add(time.Minute)

	ok, err := a.Claim(ctx, "token:1", exp)
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = b.Claim(ctx, "token:1", exp)
	require.NoError(t, err)
	assert.False(t, ok, "a token used on replica A is used on B too")

	n1, _ := a.Incr(ctx, "wrong", exp)
	n2, _ := b.Incr(ctx, "wrong", exp)
	assert.Equal(t, []int64{1, 2}, []int64{n1, n2})

	// Different databases in the URL are different stores.
	c, err := redisstore.Open(srv.URL(3), redisstore.Options{})
	require.NoError(t, err)
	defer c.Close()
	ok, err = c.Claim(ctx, "token:1", exp)
	require.NoError(t, err)
	assert.True(t, ok, "database 3 is not database 0")
}

// Incr keeps an existing counter's expiry, as the interface says: a counter
// made to last 1.5s is gone after 3s even though it was counted since.
func TestIncrKeepsExpiry(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	s, err := redisstore.Open(srv.URL(0), redisstore.Options{})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.Incr(ctx, "n", time.Now().Add(1500*time.Millisecond))
	require.NoError(t, err)
	n, err := s.Incr(ctx, "n", time.Now().Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, int64(2), n)
	time.Sleep(3 * time.Second)
	n, err = s.Incr(ctx, "n", time.Now().Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, int64(1), n, "the second Incr must not have extended the counter's life")
}

// A store that is down answers with an error (callers fail closed on it),
// and comes back without a new client once Redis is back.
func TestUnreachableThenBack(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	s, err := redisstore.Open(srv.URL(0), redisstore.Options{Timeout: 500 * time.Millisecond})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Ping(ctx))

	srv.Stop()
	assert.Error(t, s.Ping(ctx))
	_, err = s.Claim(ctx, "k", time.Now().Add(time.Minute))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "shared store (Redis) claim")
	_, err = s.Get(ctx, "k")
	assert.Error(t, err)
	assert.NotErrorIs(t, err, guard.ErrNotFound, "an unreachable store is not an empty one")

	srv.Restart()
	require.Eventually(t, func() bool { return s.Ping(ctx) == nil }, 30*time.Second, 100*time.Millisecond)
	ok, err := s.Claim(ctx, "k", time.Now().Add(time.Minute))
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestOpenRefusesBadURLsWithoutQuotingThePassword(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"http://:s3cret-pw@localhost:6379", "must be redis:// or rediss://"},
		{"redis://:s3cret-pw@/0", "no host"},
		{"redis://:s3cret-pw@localhost:6379/notadb", "invalid"},
		{"redis://:s3cret-pw@local host:6379\x7f", "not a URL"},
	} {
		_, err := redisstore.Open(tc.url, redisstore.Options{})
		require.Error(t, err, tc.url)
		assert.Contains(t, err.Error(), tc.want, tc.url)
		assert.False(t, strings.Contains(err.Error(), "s3cret-pw"), "password quoted: %v", err)
	}
}

// The password in the URL is what Redis checks, and no error quotes it.
func TestPasswordInURL(t *testing.T) {
	srv := redistest.StartWithPassword(t, "pw-0123456789")
	ctx := context.Background()

	wrong, err := redisstore.Open("redis://:nope-0123456789@"+srv.Addr()+"/0", redisstore.Options{})
	require.NoError(t, err)
	defer wrong.Close()
	err = wrong.Ping(ctx)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "nope-0123456789")

	right, err := redisstore.Open(srv.URL(0), redisstore.Options{})
	require.NoError(t, err)
	defer right.Close()
	assert.NoError(t, right.Ping(ctx))
}

// TestDurability reads how the server persists: nothing (the test
// servers' default), snapshots only, or an append-only file.
func TestDurability(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want redisstore.Durability
	}{
		{nil, redisstore.Durability{}},
		{[]string{"--save", "3600 1"}, redisstore.Durability{SavePoints: "3600 1"}},
		{[]string{"--appendonly", "yes"}, redisstore.Durability{AppendOnly: true}},
	} {
		t.Run(fmt.Sprint(tc.args), func(t *testing.T) {
			server := redistest.StartWithArgs(t, tc.args...)
			s, err := redisstore.Open(server.URL(0), redisstore.Options{})
			require.NoError(t, err)
			defer s.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			got, err := s.Durability(ctx)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
