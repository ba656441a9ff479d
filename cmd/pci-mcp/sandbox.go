package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/pci-mcp/pci-mcp/cmd/pci-mcp/internal/accounts"
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

// prepareSandbox checks the sandbox flags and, in sandbox mode, notes
// which real-account settings the environment holds, so the log can say
// they were ignored. The simulators' own accounts are made when they start
// (startSandbox).
func (c *config) prepareSandbox(getenv func(string) string) error {
	if c.sandbox.scanPhase < 0 {
		return usageError("--sandbox-scan-phase must not be negative")
	}
	if !c.sandbox.enabled {
		return nil
	}
	for _, name := range []string{envQualysUsername, envQualysPassword, envQualysURL, envHaloAPIKey, envHaloURL, envAccountsFile} {
		if getenv(name) != "" {
			c.sandbox.ignored = append(c.sandbox.ignored, name)
		}
	}
	return nil
}

// The sandbox's merchants: two on Qualys with different scopes (the demo
// merchant, and a second one with two hosts of its own), each accepting
// only its own credentials, and one on Halo.
const (
	sandboxUS   = "sandbox-us"
	sandboxEU   = "sandbox-eu"
	sandboxHalo = "sandbox"

	sandboxEUUsername = "sandbox-eu-merchant"
	sandboxEUPassword = "sandbox-eu-password"
)

// sandboxEUHosts is the second Qualys merchant's scope.
var sandboxEUHosts = []string{"198.51.100.20-198.51.100.21", "2001:db8:e0::443"}

// sandbox is the simulated upstreams pci-mcp --sandbox talks to: real HTTP
// servers on loopback ports inside this process, so the real provider
// clients, headers, auth checks and error paths all run.
type sandbox struct {
	qualysUS, qualysEU *qualyssim.Server
	halo               *halosim.Server
}

// startSandbox starts the simulators, each with its merchant, and serves
// cfg the accounts that point at them (narrowed by --accounts).
func startSandbox(cfg *config) (_ *sandbox, err error) {
	// Both simulators read zero as "their default" and a negative duration
	// as "no wait".
	phase, haloScans := cfg.sandbox.scanPhase, 2*cfg.sandbox.scanPhase
	if phase == 0 {
		phase, haloScans = -1, -1
	}
	sb := &sandbox{}
	defer func() {
		if err != nil {
			_ = sb.Close()
		}
	}()
	if sb.qualysUS, err = qualyssim.Start(qualyssim.Options{QueuedFor: phase, RunningFor: phase}); err != nil {
		return nil, fmt.Errorf("starting the sandbox: %w", err)
	}
	if sb.qualysEU, err = qualyssim.Start(qualyssim.Options{Username: sandboxEUUsername, Password: sandboxEUPassword,
		Empty: true, Hosts: sandboxEUHosts, QueuedFor: phase, RunningFor: phase}); err != nil {
		return nil, fmt.Errorf("starting the sandbox: %w", err)
	}
	// A new report is reviewed (approved, or rejected) as long after it is
	// attested as the demo scans take, so a sandbox quarter ends approved.
	if sb.halo, err = halosim.Start(halosim.Options{ScanFinishesAfter: haloScans, ReportReviewedAfter: haloScans}); err != nil {
		return nil, fmt.Errorf("starting the sandbox: %w", err)
	}
	builtIn := func(v string) accounts.Setting {
		return accounts.Setting{Value: v, Origin: accounts.Origin{Kind: accounts.OriginSandbox}}
	}
	set, err := accounts.New([]accounts.Account{
		{Name: sandboxUS, Provider: accounts.Qualys, URL: builtIn(sb.qualysUS.URL),
			Username: builtIn(qualyssim.SandboxUsername), Password: builtIn(qualyssim.SandboxPassword)},
		{Name: sandboxEU, Provider: accounts.Qualys, URL: builtIn(sb.qualysEU.URL),
			Username: builtIn(sandboxEUUsername), Password: builtIn(sandboxEUPassword)},
		{Name: sandboxHalo, Provider: accounts.Halo, URL: builtIn(sb.halo.URL), APIKey: builtIn(halosim.SandboxAPIKey)},
	}, cfg.only)
	if err != nil {
		return nil, usageError("%v", err)
	}
	cfg.accounts = set
	return sb, nil
}

// announce says plainly, at startup, that this is the sandbox.
func (s *sandbox) announce(log *slog.Logger, cfg *config) {
	log.Warn("SANDBOX MODE: pci-mcp is serving simulated accounts on loopback; no real Qualys or Halo account is touched",
		"qualys_simulator_"+sandboxUS, s.qualysUS.URL, "qualys_simulator_"+sandboxEU, s.qualysEU.URL, "halo_simulator", s.halo.URL,
		"scan_phase", cfg.sandbox.scanPhase.String())
	if len(cfg.sandbox.ignored) > 0 {
		log.Warn("sandbox mode ignores the real-account settings in the environment", "ignored", strings.Join(cfg.sandbox.ignored, ","))
	}
}

// Close stops the simulators that started.
func (s *sandbox) Close() error {
	var errs []error
	if s.qualysUS != nil {
		errs = append(errs, s.qualysUS.Close())
	}
	if s.qualysEU != nil {
		errs = append(errs, s.qualysEU.Close())
	}
	if s.halo != nil {
		errs = append(errs, s.halo.Close())
	}
	return errors.Join(errs...)
}
