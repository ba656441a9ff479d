package main

import (
	"context"
	"os"
	"os/signal"
)

// shutdownOnSignal is signal.NotifyContext with the registration done in
// the background. A process's first signal registration makes the Go
// runtime start a thread of its own for signal masks and wait for it:
// 0.2–0.4 ms on the 2-core machine of BENCHMARKS.md, which every client
// launch paid before reading its command line. From a goroutine it
// overlaps with reading the configuration and building the server, and
// serving waits for it (awaitSignalHandling), so once pci-mcp says it is
// ready, SIGINT and SIGTERM always drain it.
func shutdownOnSignal(parent context.Context, signals ...os.Signal) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	registered := make(chan struct{})
	caught := make(chan os.Signal, 1)
	go func() {
		signal.Notify(caught, signals...)
		close(registered)
		select {
		case <-caught:
			cancel()
		case <-ctx.Done():
		}
	}()
	stop := func() {
		cancel()
		<-registered
		signal.Stop(caught)
	}
	return context.WithValue(ctx, signalsRegistered{}, registered), stop
}

// signalsRegistered is the context key of shutdownOnSignal's channel,
// closed once its signals are registered.
type signalsRegistered struct{}

// awaitSignalHandling returns once the signals that cancel ctx are
// registered; at once for a context with none (tests call run directly).
func awaitSignalHandling(ctx context.Context) {
	if registered, ok := ctx.Value(signalsRegistered{}).(chan struct{}); ok {
		<-registered
	}
}
