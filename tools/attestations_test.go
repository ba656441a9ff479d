package tools

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/providers/halo"
	"github.com/pci-mcp/pci-mcp/providers/upstream"
	"github.com/pci-mcp/pci-mcp/tools/guard"
)

// testMemory is a memory on a clock the test moves.
func testMemory(ttl time.Duration) (*AttestationMemory, *fakeClock) {
	clock := &fakeClock{now: haloT0}
	m := NewAttestationMemory(guard.NewMemoryStore(clock.Now), ttl)
	m.now = clock.Now
	return m, clock
}

func startWithID(id string) *halo.Attestation {
	return &halo.Attestation{ID: upstream.String(id), Questions: []halo.Question{{ID: 1}}, Notes: []halo.Note{{ID: 4101, TargetID: 5, IssueID: 20342}}}
}

func recalled(t *testing.T, m *AttestationMemory, id string) bool {
	t.Helper()
	r, err := m.Recall(context.Background(), id)
	require.NoError(t, err)
	return r != nil
}

func TestAttestationMemoryRecallsByIDInAnyCase(t *testing.T) {
	ctx := context.Background()
	m, _ := testMemory(time.Hour)
	start := startWithID("977B8AB9-417A-45A5-A689-6768F4680B0D")
	require.NoError(t, m.Remember(ctx, start, map[int64]string{5: "shop.example.com"}))
	start.Questions[0].ID = 99 // the caller's copy may change; the memory's must not

	got, err := m.Recall(ctx, " 977b8ab9-417a-45a5-a689-6768f4680b0d ")
	require.NoError(t, err)
	require.NotNil(t, got)
	assert.Equal(t, upstream.Int(1), got.Start.Questions[0].ID)
	assert.Equal(t, "shop.example.com", got.Hosts[5])
	assert.False(t, got.Attested)
	assert.False(t, recalled(t, m, "19610641-126d-48eb-af6c-871983eb9c67"))

	require.NoError(t, m.MarkAttested(ctx, "977b8ab9-417a-45a5-a689-6768f4680b0d"))
	got, err = m.Recall(ctx, "977b8ab9-417a-45a5-a689-6768f4680b0d")
	require.NoError(t, err)
	assert.True(t, got.Attested, "an attested id is remembered as spent")
}

func TestAttestationMemoryForgetsAfterTTL(t *testing.T) {
	m, clock := testMemory(time.Hour)
	require.NoError(t, m.Remember(context.Background(), startWithID("a"), nil))
	clock.Advance(time.Hour - time.Second)
	assert.True(t, recalled(t, m, "a"))
	clock.Advance(time.Second)
	assert.False(t, recalled(t, m, "a"))
}

// TestAttestationMemorySharedByReplicas: two servers on one shared store
// see each other's starts.
func TestAttestationMemorySharedByReplicas(t *testing.T) {
	store := guard.NewMemoryStore(nil)
	a, b := NewAttestationMemory(store, time.Hour), NewAttestationMemory(store, time.Hour)
	require.NoError(t, a.Remember(context.Background(), startWithID("a"), nil))
	assert.True(t, recalled(t, b, "A"))
}

func TestAttestationMemoryStoreFailure(t *testing.T) {
	m := NewAttestationMemory(failingStore{}, time.Hour)
	err := m.Remember(context.Background(), startWithID("a"), nil)
	var unavailable *errMemoryUnavailable
	require.ErrorAs(t, err, &unavailable)
	_, err = m.Recall(context.Background(), "a")
	require.ErrorAs(t, err, &unavailable)
	assert.ErrorContains(t, err, "the guard's store did not answer (connection refused)")
}

func TestAttestationMemoryConcurrentUse(t *testing.T) {
	m, _ := testMemory(attestationMemoryTTL)
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				id := fmt.Sprintf("%d-%d", g, i)
				assert.NoError(t, m.Remember(ctx, startWithID(id), nil))
				r, err := m.Recall(ctx, id)
				assert.NoError(t, err)
				assert.NotNil(t, r)
				if i%3 == 0 {
					assert.NoError(t, m.MarkAttested(ctx, id))
				}
			}
		})
	}
	wg.Wait()
}

func TestNilAttestationMemory(t *testing.T) {
	var m *AttestationMemory
	assert.NoError(t, m.Remember(context.Background(), startWithID("a"), nil))
	assert.NoError(t, m.MarkAttested(context.Background(), "a"))
	assert.False(t, recalled(t, m, "a"))
}

// failingStore is a guard.Store that never answers, as an unreachable
// shared store would.
type failingStore struct{}

var errStoreDown = errors.New("connection refused")

func (failingStore) Claim(context.Context, string, time.Time) (bool, error) {
	return false, errStoreDown
}
func (failingStore) Put(context.Context, string, []byte, time.Time) error { return errStoreDown }
func (failingStore) Get(context.Context, string) ([]byte, error)          { return nil, errStoreDown }
func (failingStore) Swap(context.Context, string, []byte, []byte, time.Time) (bool, error) {
	return false, errStoreDown
}
func (failingStore) Incr(context.Context, string, time.Time) (int64, error) { return 0, errStoreDown }
func (failingStore) Ping(context.Context) error                             { return errStoreDown }

// sharedStore marks a memory store as shared by replicas, as a Redis store
// is: two guards on one sharedStore behave like two replicas on one Redis.
type sharedStore struct{ *guard.MemoryStore }

func (sharedStore) Shared() bool { return true }
