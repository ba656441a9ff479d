package guard_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/pci-mcp/pci-mcp/tools/guard"
	"github.com/pci-mcp/pci-mcp/tools/guard/storetest"
)

func TestMemoryStore(t *testing.T) {
	// The store's clock runs ahead of the real one by however long the
	// suite asked to wait, so expiry is tested without sleeping.
	var ahead atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	wait := func(d time.Duration) { ahead.Add(int64(d)) }
	storetest.Run(t, func(*testing.T) guard.Store { return guard.NewMemoryStore(now) }, wait)
}
