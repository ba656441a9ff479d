package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/pci-mcp/pci-mcp/providers/halo/halosim"
	"github.com/pci-mcp/pci-mcp/providers/qualys/qualyssim"
)

// Sandbox settings.
const (
	envSandbox          = "PCI_MCP_SANDBOX"
	envSandboxScanPhase = "PCI_MCP_SANDBOX_SCAN_PHASE"

	// defaultSandboxScanPhase is how long a scan launched in the sandbox stays
	// in each of "Launch Requested" and "Running": long enough to watch it
	// move, short enough that a demo does not wait.
	defaultSandboxScanPhase = 2 * time.Second
)

// sandboxSettings are the flags of sandbox mode.
type sandboxSettings struct {
	enabled   bool
	scanPhase time.Duration
	// ignored lists the real-account variables that were set in the
	// environment and that sandbox mode does not use.
	ignored []string
}

// sandboxFlags registers --sandbox and its tuning flag.
func (c *config) sandboxFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&c.sandbox.enabled, "sandbox", false,
		"serve simulated Qualys PCI and Halo Security accounts on loopback instead of real ones: no credentials needed, no real account touched")
	bindEnv(fs, "sandbox", envSandbox)
	fs.DurationVar(&c.sandbox.scanPhase, "sandbox-scan-phase", defaultSandboxScanPhase,
		"with --sandbox: how long a launched Qualys scan stays queued, then running; Halo's demo scans finish after twice this (0 finishes scans at once)")
	bindEnv(fs, "sandbox-scan-phase", envSandboxScanPhase)
}

// prepareSandbox checks the sandbox flags and, in sandbox mode, clears
// whatever real-account settings the environment holds, remembering their
// names so the log can say they were ignored. The simulators' own
// credentials are filled in when they start (startSandbox).
func (c *config) prepareSandbox() error {
	if c.sandbox.scanPhase < 0 {
		return usageError("--sandbox-scan-phase must not be negative")
	}
	if !c.sandbox.enabled {
		return nil
	}
	for _, v := range []struct {
		name  string
		value *string
	}{
		{envQualysUsername, &c.qualysUsername},
		{envQualysPassword, &c.qualysPassword},
		{envQualysURL, &c.qualysURL},
		{envHaloAPIKey, &c.haloAPIKey},
		{envHaloURL, &c.haloURL},
	} {
		if *v.value != "" {
			c.sandbox.ignored = append(c.sandbox.ignored, v.name)
			*v.value = ""
		}
	}
	return nil
}

// sandbox is the simulated upstreams pci-mcp --sandbox talks to: real HTTP
// servers on loopback ports inside this process, so the real provider
// clients, headers, auth checks and error paths all run.
type sandbox struct {
	qualys *qualyssim.Server
	halo   *halosim.Server
}

// startSandbox starts the simulators, each with its demo merchant, and
// points cfg's providers at them with the simulators' sandbox credentials.
func startSandbox(cfg *config) (*sandbox, error) {
	// Both simulators read zero as "their default" and a negative duration
	// as "no wait".
	phase, haloScans := cfg.sandbox.scanPhase, 2*cfg.sandbox.scanPhase
	if phase == 0 {
		phase, haloScans = -1, -1
	}
	q, err := qualyssim.Start(qualyssim.Options{QueuedFor: phase, RunningFor: phase})
	if err != nil {
		return nil, fmt.Errorf("starting the sandbox: %w", err)
	}
	h, err := halosim.Start(halosim.Options{ScanFinishesAfter: haloScans})
	if err != nil {
		_ = q.Close()
		return nil, fmt.Errorf("starting the sandbox: %w", err)
	}
	cfg.qualysURL = q.URL
	cfg.qualysUsername = qualyssim.SandboxUsername
	cfg.qualysPassword = qualyssim.SandboxPassword
	cfg.haloURL = h.URL
	cfg.haloAPIKey = halosim.SandboxAPIKey
	return &sandbox{qualys: q, halo: h}, nil
}

// announce says plainly, at startup, that this is the sandbox.
func (s *sandbox) announce(log *slog.Logger, cfg *config) {
	log.Warn("SANDBOX MODE: pci-mcp is serving simulated accounts on loopback; no real Qualys or Halo account is touched",
		"qualys_simulator", s.qualys.URL, "halo_simulator", s.halo.URL, "scan_phase", cfg.sandbox.scanPhase.String())
	if len(cfg.sandbox.ignored) > 0 {
		log.Warn("sandbox mode ignores the real-account settings in the environment", "ignored", strings.Join(cfg.sandbox.ignored, ","))
	}
}

// Close stops the simulators.
func (s *sandbox) Close() error {
	return errors.Join(s.qualys.Close(), s.halo.Close())
}
