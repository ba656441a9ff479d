package guard_test

import (
	"sync"
	"testing"
	"time"

	"github.com/pci-mcp/pci-mcp/tools/guard"
	"github.com/pci-mcp/pci-mcp/tools/guard/storetest"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestMemoryStore(t *testing.T) {
	clock := &fakeClock{now: time.Now()}
	storetest.Run(t, func(*testing.T) guard.Store { return guard.NewMemoryStore(clock.Now) }, clock.Advance)
}
