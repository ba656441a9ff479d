package upstream

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type recordingObserver struct {
	mu       sync.Mutex
	attempts []string
}

func (o *recordingObserver) UpstreamAttempt(provider, operation string, status int, took time.Duration, retry bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.attempts = append(o.attempts, fmt.Sprintf("%s %s %d retry=%v", provider, operation, status, retry))
}

// The observer sees every attempt with its status, and which were retried.
func TestObserverSeesEveryAttempt(t *testing.T) {
	var n atomic.Int32
	obs := &recordingObserver{}
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{}`))
	}), func(cfg *Config) { cfg.Observer = obs })
	require.NoError(t, c.Do(context.Background(), Request{Effect: Read, Method: http.MethodGet, Path: "pci/scan/list"}, nil))
	assert.Equal(t, []string{
		"Test GET pci/scan/list 503 retry=true",
		"Test GET pci/scan/list 200 retry=false",
	}, obs.attempts)
}
