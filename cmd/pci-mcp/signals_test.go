package main

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestShutdownOnSignal: once registered, the signal cancels the context;
// stop unregisters it.
func TestShutdownOnSignal(t *testing.T) {
	ctx, stop := shutdownOnSignal(context.Background(), syscall.SIGUSR1)
	defer stop()
	awaitSignalHandling(ctx)
	require.NoError(t, ctx.Err(), "nothing cancels it before the signal")
	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGUSR1))
	select {
	case <-ctx.Done():
	case <-time.After(time.Minute):
		t.Fatal("SIGUSR1 did not cancel the context")
	}
}

// TestAwaitSignalHandlingWithoutSignals: a context with no signals (tests
// call run directly) does not wait.
func TestAwaitSignalHandlingWithoutSignals(t *testing.T) {
	done := make(chan struct{})
	go func() {
		awaitSignalHandling(context.Background())
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("awaitSignalHandling waited on a context without signals")
	}
}
