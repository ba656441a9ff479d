package qualys

import (
	"context"
	"errors"
	"net/http"

	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// Asset types of /pci/asset/add and /pci/asset/delete.
const (
	assetTypeIP          = "IP"
	assetTypeVirtualHost = "VIRTUALHOST"
)

// assetRequest is the body of both asset calls; field order follows the
// documented samples.
type assetRequest struct {
	AssetType string `json:"assetType"`
	Assets    string `json:"assets"`
}

// AddHosts adds IPv4 and IPv6 hosts and ranges to the account's PCI scope
// (POST /pci/asset/add).
func (c *Client) AddHosts(ctx context.Context, hosts []Host) (*WriteResult, error) {
	if len(hosts) == 0 {
		return nil, errors.New("qualys: no hosts to add")
	}
	return c.write(ctx, http.MethodPost, "pci/asset/add", assetRequest{assetTypeIP, joinHosts(hosts)})
}

// RemoveHosts removes hosts and ranges from the account's PCI scope (DELETE
// /pci/asset/delete, with a JSON body).
func (c *Client) RemoveHosts(ctx context.Context, hosts []Host) (*WriteResult, error) {
	if len(hosts) == 0 {
		return nil, errors.New("qualys: no hosts to remove")
	}
	return c.write(ctx, http.MethodDelete, "pci/asset/delete", assetRequest{assetTypeIP, joinHosts(hosts)})
}

// AddVirtualHosts adds virtual hosts (POST /pci/asset/add).
func (c *Client) AddVirtualHosts(ctx context.Context, hosts []VirtualHost) (*WriteResult, error) {
	if len(hosts) == 0 {
		return nil, errors.New("qualys: no virtual hosts to add")
	}
	return c.write(ctx, http.MethodPost, "pci/asset/add", assetRequest{assetTypeVirtualHost, joinVirtualHosts(hosts)})
}

// RemoveVirtualHosts removes virtual hosts (DELETE /pci/asset/delete).
func (c *Client) RemoveVirtualHosts(ctx context.Context, hosts []VirtualHost) (*WriteResult, error) {
	if len(hosts) == 0 {
		return nil, errors.New("qualys: no virtual hosts to remove")
	}
	return c.write(ctx, http.MethodDelete, "pci/asset/delete", assetRequest{assetTypeVirtualHost, joinVirtualHosts(hosts)})
}

// write sends a change whose answer is a message string.
func (c *Client) write(ctx context.Context, method, path string, body any) (*WriteResult, error) {
	var env envelope[upstream.String]
	if err := c.http.Do(ctx, upstream.Request{Effect: upstream.Write, Method: method, Path: path, Body: body}, &env); err != nil {
		return nil, err
	}
	return &WriteResult{Message: string(env.Data)}, nil
}
