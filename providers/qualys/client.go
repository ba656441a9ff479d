// Package qualys is a typed client for the Qualys PCI Compliance ("PCI
// Merchant") API: hosts and virtual hosts in PCI scope, scans, vulnerabilities
// and the compliance summary. It knows nothing about MCP and can be used as a
// plain Go library.
//
// Every method takes a context, sends one request through the shared
// upstream layer (timeouts, size cap, safe retries, redaction) and returns a
// typed answer or an *upstream.Error.
package qualys

import (
	"errors"
	"net/http"

	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// DefaultBaseURL is the PCI API of Qualys's US platform. Accounts on other
// platforms have their own host and must set Config.BaseURL.
const DefaultBaseURL = "https://pci-api.qualys.com"

// ProviderName is how errors and logs name this upstream.
const ProviderName = "Qualys"

// apiVersion is sent as the apiVersion header on every request, as in every
// documented sample.
const apiVersion = "V1"

// requestedWith fills X-Requested-With, which the API expects on every
// request; any non-empty value will do.
const requestedWith = "pci-mcp"

// Config configures a Client.
type Config struct {
	// BaseURL defaults to DefaultBaseURL.
	BaseURL string
	// Username and Password of the PCI merchant account (HTTP Basic). Accounts
	// with SAML-SSO enabled cannot use the API.
	Username string
	Password string
	// UserAgent identifies the caller, e.g. "pci-mcp/1.2.0".
	UserAgent string

	upstream.Settings
}

// Client calls the Qualys PCI API. It is safe for concurrent use.
type Client struct {
	http     *upstream.Client
	username string
}

// New returns a client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.Username == "" || cfg.Password == "" {
		return nil, errors.New("qualys: username and password are required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	header := http.Header{}
	header.Set("apiVersion", apiVersion)
	header.Set("X-Requested-With", requestedWith)
	if cfg.UserAgent != "" {
		header.Set("User-Agent", cfg.UserAgent)
	}
	username, password := cfg.Username, cfg.Password
	up, err := upstream.New(upstream.Config{
		Provider:  ProviderName,
		BaseURL:   cfg.BaseURL,
		Header:    header,
		Authorize: func(r *http.Request) { r.SetBasicAuth(username, password) },
		Secrets:   upstream.BasicAuthSecrets(username, password),
		Settings:  cfg.Settings,
	})
	if err != nil {
		return nil, err
	}
	return &Client{http: up, username: username}, nil
}

// Username is the account the client acts as; confirmation previews and the
// audit trail show it.
func (c *Client) Username() string { return c.username }

// Redactor removes this client's credentials from text.
func (c *Client) Redactor() *upstream.Redactor { return c.http.Redactor() }

// envelope is the wrapper of every Qualys answer: {"responseApiVersion":
// "LATEST - V1", "data": ...}; data is a message string for writes and an
// object for reads.
type envelope[T any] struct {
	ResponseAPIVersion string `json:"responseApiVersion"`
	Data               T      `json:"data"`
}

// WriteResult is Qualys's answer to a change: its message, such as
// "2 VirtualHost added successfully".
type WriteResult struct {
	Message string `json:"message"`
}
