package tools

import (
	"context"
	"fmt"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// Polling of qualys_wait_for_scan: the first re-read after about two
// seconds, each wait half as long again as the one before, never more than
// thirty seconds, so a quick sandbox scan is seen at once and an hour-long
// real one costs about a hundred and twenty reads.
const (
	firstPollDelay     = 2 * time.Second
	maxPollDelay       = 30 * time.Second
	pollGrowth         = 1.5
	defaultWaitSeconds = 50
)

// pollClock is what waiting needs of time: the current instant and a sleep
// that ends early when the call is cancelled. Tests inject one that moves
// at once, so no test sleeps for real.
type pollClock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

// realClock is the wall clock.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error { return upstream.Sleep(ctx, d) }

// clock returns the clock waiting runs on.
func (d *Deps) clock() pollClock {
	if d.pollClock == nil {
		return realClock{}
	}
	return d.pollClock
}

// waitForScanInput names the scan to wait for and how long to wait.
type waitForScanInput struct {
	scanIDInput
	TimeoutSeconds int `json:"timeout_seconds,omitempty" jsonschema:"minimum=1,maximum=3600,default=50" jsonschema_description:"Over 50 needs a client that resets its time-out on progress."`
}

func (in *waitForScanInput) check() error {
	if in.TimeoutSeconds == 0 {
		in.TimeoutSeconds = defaultWaitSeconds
	}
	return nil
}

// waitForScanOutput is the scan as the last poll saw it.
type waitForScanOutput struct {
	scanDetailsOutput
	Polls int `json:"polls" jsonschema_description:"How many times the scan was read."`
	// Note says what to do when the wait ran out before the scan finished.
	Note string `json:"note,omitempty"`
}

func qualysWaitForScan() Tool {
	s := spec{
		name:    "qualys_wait_for_scan",
		toolset: ToolsetQualys,
		title:   "Wait for a PCI scan (Qualys)",
		description: "Wait until a scan's status is final and return its details with the PCI verdict, sending progress meanwhile. " +
			"finished false: time ran out; call again.",
		annotations: readHints,
	}
	return buildTool[waitForScanInput, waitForScanOutput](s, func(ctx context.Context, d *Deps, c toolCall, in *waitForScanInput) *mcp.CallToolResult {
		out, err := waitForScan(ctx, d, progressReporter(ctx, c.req), in)
		if err != nil {
			return d.errorResult(s, err)
		}
		return d.structuredResult(out)
	})
}

// waitForScan reads the scan until its status is final or the time is up,
// backing off between reads. A cancelled call stops at once: the sleep ends
// and no further read is sent.
func waitForScan(ctx context.Context, d *Deps, progress func(polls int, status string), in *waitForScanInput) (*waitForScanOutput, error) {
	clock := d.clock()
	timeout := time.Duration(in.TimeoutSeconds) * time.Second
	deadline := clock.Now().Add(timeout)
	delay := firstPollDelay
	id := int64(in.ScanID)
	for polls := 1; ; polls++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res, err := d.Qualys.ScanDetails(ctx, id)
		if err != nil {
			return nil, about(err, fmt.Sprintf("scan %d", id), scanNotFoundHint)
		}
		out := &waitForScanOutput{scanDetailsOutput: *newScanDetailsOutput(id, res), Polls: polls}
		progress(polls, string(res.ScanStatus))
		if out.Finished {
			return out, nil
		}
		remaining := deadline.Sub(clock.Now())
		if remaining <= 0 {
			out.Note = fmt.Sprintf("Scan %d is still %s after %s (%d reads). Call qualys_wait_for_scan again with scan_id %d to keep waiting.",
				id, res.ScanStatus, timeout, polls, id)
			return out, nil
		}
		if err := clock.Sleep(ctx, min(delay, remaining)); err != nil {
			return nil, err
		}
		delay = min(time.Duration(float64(delay)*pollGrowth), maxPollDelay)
	}
}

// progressReporter sends notifications/progress for a call that asked for
// them with a progressToken, and does nothing for one that did not. Progress
// counts polls; the message is the scan's status.
func progressReporter(ctx context.Context, req mcp.CallToolRequest) func(polls int, status string) {
	srv := server.ServerFromContext(ctx)
	if req.Params.Meta == nil || req.Params.Meta.ProgressToken == nil || srv == nil {
		return func(int, string) {}
	}
	token := req.Params.Meta.ProgressToken
	return func(polls int, status string) {
		// Best effort: a client that stopped listening still gets its result.
		_ = srv.SendNotificationToClient(ctx, string(mcp.MethodNotificationProgress), map[string]any{
			"progressToken": token,
			"progress":      polls,
			"message":       status,
		})
	}
}
