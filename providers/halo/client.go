// Package halo is a typed client for the Halo Security API calls a PCI DSS
// external-scan program needs: the PCI attestation workflow (summary, start,
// attest, reports), targets, scans and the API key's user. It knows nothing
// about MCP and can be used as a plain Go library.
//
// Every method takes a context, sends one request through the shared
// upstream layer (timeouts, size cap, safe retries, redaction) and returns a
// typed answer or an *upstream.Error. Halo signals failures in the body
// ({"code": 0, "message": "no targets in pci scope"}) as well as by status;
// both become an *upstream.Error whose Message is Halo's.
package halo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// DefaultBaseURL is Halo Security's API root.
const DefaultBaseURL = "https://api.halosecurity.com/api/v1"

// ProviderName is how errors and logs name this upstream.
const ProviderName = "Halo Security"

// apiKeyHeader carries the API key on every request [doc].
const apiKeyHeader = "x-apikey"

// Config configures a Client.
type Config struct {
	// BaseURL defaults to DefaultBaseURL.
	BaseURL string
	// APIKey is the Halo Security API key, sent as the x-apikey header.
	APIKey string
	// UserAgent identifies the caller, e.g. "pci-mcp/1.2.0".
	UserAgent string

	upstream.Settings
}

// Client calls the Halo Security API. It is safe for concurrent use.
type Client struct {
	http *upstream.Client

	// mu guards user, the key's user once User has read it.
	mu   sync.Mutex
	user *User
}

// New returns a client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.APIKey == "" {
		return nil, errors.New("halo: an API key is required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	header := http.Header{}
	if cfg.UserAgent != "" {
		header.Set("User-Agent", cfg.UserAgent)
	}
	key := cfg.APIKey
	up, err := upstream.New(upstream.Config{
		Provider:  ProviderName,
		BaseURL:   cfg.BaseURL,
		Header:    header,
		Authorize: func(r *http.Request) { r.Header.Set(apiKeyHeader, key) },
		Secrets:   []string{key},
		ErrorBody: errorBody,
		Settings:  cfg.Settings,
	})
	if err != nil {
		return nil, err
	}
	return &Client{http: up}, nil
}

// Redactor removes this client's API key from text.
func (c *Client) Redactor() *upstream.Redactor { return c.http.Redactor() }

// errorBody recognises Halo's error answer: an object with "code" and
// "message" and no "success" is an error whatever the HTTP status [doc][seed].
func errorBody(body []byte) (failed bool, message string, code *int) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return false, "", nil
	}
	var b struct {
		Code    json.RawMessage `json:"code"`
		Message json.RawMessage `json:"message"`
		Success json.RawMessage `json:"success"`
	}
	if json.Unmarshal(body, &b) != nil || b.Code == nil || b.Message == nil || b.Success != nil {
		return false, "", nil
	}
	var text upstream.String
	_ = json.Unmarshal(b.Message, &text)
	var n upstream.Int
	if json.Unmarshal(b.Code, &n) == nil {
		v := int(n)
		code = &v
	}
	return true, string(text), code
}

// ListOptions page a list call. Zero fields are left to Halo's defaults
// (start 0, limit 100).
type ListOptions struct {
	// Start is the 0-based position of the first item.
	Start int
	// Limit is the number of items, 1-1000.
	Limit int
	// SortDesc reverses the list's order (sort_desc=1) [doc].
	SortDesc bool
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	if o.Start > 0 {
		q.Set("start", strconv.Itoa(o.Start))
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.SortDesc {
		q.Set("sort_desc", "1")
	}
	return q
}

// Pagination is the paging part of every list answer.
type Pagination struct {
	// Total is the number of items in the whole list.
	Total upstream.Int `json:"total"`
	Start upstream.Int `json:"start"`
	Limit upstream.Int `json:"limit"`
}

// listAnswer is the wire envelope of every list call: {"request": {...},
// "pagination": {...}, "list": [...]}; "request" echoes the query and is
// dropped.
type listAnswer[T any] struct {
	Pagination Pagination `json:"pagination"`
	List       []T        `json:"list"`
}

// get sends a GET that only reads and decodes the answer into out.
func (c *Client) get(ctx context.Context, path string, query url.Values, out any) error {
	return c.http.Do(ctx, upstream.Request{Effect: upstream.Read, Method: http.MethodGet, Path: path, Query: query}, out)
}

// write sends a GET that changes state, as most of Halo's writes are
// [doc]: as a write, whatever its method, so it is never sent twice by
// accident. Halo answers {"success": 1}; an error body is an *upstream.Error.
func (c *Client) write(ctx context.Context, path string, query url.Values) error {
	var answer struct {
		Success upstream.Int `json:"success"`
	}
	return c.http.Do(ctx, upstream.Request{Effect: upstream.Write, Method: http.MethodGet, Path: path, Query: query}, &answer)
}
