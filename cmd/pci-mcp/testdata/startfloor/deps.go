//go:build deps

package main

// The libraries pci-mcp's issues name, linked but unused, so that their
// package initialisation runs as it does in pci-mcp.
import (
	_ "github.com/go-jose/go-jose/v4"                  // OAuth access tokens
	_ "github.com/go-webauthn/webauthn/webauthn"       // passkey approval
	_ "github.com/lmittmann/tint"                      // logging
	_ "github.com/pquerna/otp/totp"                    // authenticator-code approval
	_ "github.com/prometheus/client_golang/prometheus" // metrics
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/redis/go-redis/v9" // shared store
)
