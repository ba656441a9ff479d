package tools

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/providers/halo"
	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// testMemory is a memory on a clock the test moves.
func testMemory(size int, ttl time.Duration) (*AttestationMemory, *fakeClock) {
	clock := &fakeClock{now: haloT0}
	m := NewAttestationMemory(size, ttl)
	m.now = clock.Now
	return m, clock
}

func startWithID(id string) *halo.Attestation {
	return &halo.Attestation{ID: upstream.String(id), Questions: []halo.Question{{ID: 1}}, Notes: []halo.Note{{ID: 4101, TargetID: 5, IssueID: 20342}}}
}

func recalled(m *AttestationMemory, id string) bool {
	_, ok := m.Recall(id)
	return ok
}

func TestAttestationMemoryRecallsByIDInAnyCase(t *testing.T) {
	m, _ := testMemory(10, time.Hour)
	start := startWithID("977B8AB9-417A-45A5-A689-6768F4680B0D")
	m.Remember(start)
	start.Questions[0].ID = 99 // the caller's copy may change; the memory's must not

	got, ok := m.Recall(" 977b8ab9-417a-45a5-a689-6768f4680b0d ")
	require.True(t, ok)
	assert.Equal(t, upstream.Int(1), got.Questions[0].ID)
	assert.False(t, recalled(m, "19610641-126d-48eb-af6c-871983eb9c67"))

	m.Forget("977b8ab9-417a-45a5-a689-6768f4680b0d")
	assert.False(t, recalled(m, "977b8ab9-417a-45a5-a689-6768f4680b0d"))
}

func TestAttestationMemoryForgetsAfterTTL(t *testing.T) {
	m, clock := testMemory(10, time.Hour)
	m.Remember(startWithID("a"))
	clock.Advance(time.Hour - time.Second)
	assert.True(t, recalled(m, "a"))
	clock.Advance(time.Second)
	assert.False(t, recalled(m, "a"))
}

func TestAttestationMemoryIsBounded(t *testing.T) {
	m, clock := testMemory(3, time.Hour)
	for _, id := range []string{"a", "b", "c"} {
		m.Remember(startWithID(id))
		clock.Advance(time.Minute)
	}
	m.Remember(startWithID("d"))
	assert.False(t, recalled(m, "a"), "the oldest goes first")
	for _, id := range []string{"b", "c", "d"} {
		assert.True(t, recalled(m, id), id)
	}

	// Expired entries make room before any live one is dropped.
	clock.Advance(time.Hour - time.Minute) // b and c expire; d has a minute left
	m.Remember(startWithID("e"))
	assert.True(t, recalled(m, "d"))
	assert.True(t, recalled(m, "e"))
	assert.Len(t, m.entries, 2)
}

func TestAttestationMemoryConcurrentUse(t *testing.T) {
	m := NewAttestationMemory(attestationMemorySize, attestationMemoryTTL)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				id := fmt.Sprintf("%d-%d", g, i)
				m.Remember(startWithID(id))
				_, _ = m.Recall(id)
				if i%3 == 0 {
					m.Forget(id)
				}
			}
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, len(m.entries), attestationMemorySize)
}

func TestNilAttestationMemory(t *testing.T) {
	var m *AttestationMemory
	m.Remember(startWithID("a"))
	m.Forget("a")
	assert.False(t, recalled(m, "a"))
}
