package qualyssim

import (
	"fmt"
	"slices"
)

// assetRequest is the documented body of /pci/asset/add and /pci/asset/delete.
type assetRequest struct {
	AssetType string `json:"assetType"`
	Assets    string `json:"assets"`
}

// assetBatch is a validated assetRequest.
type assetBatch struct {
	label  string // "IP" or "VirtualHost", as the answer words it
	count  int    // entries in the request, which the answer reports
	ips    []ipRange
	vhosts []virtualHost
}

// parseAssetBatch validates the whole request before anything changes, so a
// malformed entry leaves the account untouched.
func parseAssetBatch(body []byte) (assetBatch, error) {
	var req assetRequest
	if err := decodeBody(body, &req); err != nil {
		return assetBatch{}, err
	}
	entries, err := splitList("assets", req.Assets)
	if err != nil {
		return assetBatch{}, badRequest("%v.", err)
	}
	if len(entries) == 0 {
		return assetBatch{}, badRequest(`"assets" is required: list the assets separated by ", ".`)
	}
	batch := assetBatch{count: len(entries)}
	switch req.AssetType {
	case "IP":
		batch.label = "IP"
		for _, e := range entries {
			r, err := parseIPAsset(e)
			if err != nil {
				return assetBatch{}, badRequest("Invalid IP asset: %v.", err)
			}
			batch.ips = append(batch.ips, r)
		}
	case "VIRTUALHOST":
		batch.label = "VirtualHost"
		for _, e := range entries {
			v, err := parseVirtualHost(e)
			if err != nil {
				return assetBatch{}, badRequest("Invalid virtual host asset: %v.", err)
			}
			batch.vhosts = append(batch.vhosts, v)
		}
	default:
		return assetBatch{}, badRequest(`"assetType" must be "IP" or "VIRTUALHOST", got %q.`, req.AssetType)
	}
	return batch, nil
}

// message is the documented answer, such as "2 VirtualHost added successfully".
func (b assetBatch) message(verb string) string {
	return fmt.Sprintf("%d %s %s successfully", b.count, b.label, verb)
}

// addAssets serves POST /pci/asset/add. Adding an asset already in scope is
// not an error; the answer counts the request's entries.
func (s *Simulator) addAssets(c call) (any, error) {
	batch, err := parseAssetBatch(c.body)
	if err != nil {
		return nil, err
	}
	for _, r := range batch.ips {
		s.account.ips = s.account.ips.add(r)
	}
	for _, v := range batch.vhosts {
		if !slices.Contains(s.account.vhosts, v) {
			s.account.vhosts = append(s.account.vhosts, v)
		}
	}
	return batch.message("added"), nil
}

// removeAssets serves DELETE /pci/asset/delete. Removing an asset that is not
// in scope is not an error (the seed removes an address it never added and
// gets "1 IP removed successfully"); the answer counts the request's entries.
func (s *Simulator) removeAssets(c call) (any, error) {
	batch, err := parseAssetBatch(c.body)
	if err != nil {
		return nil, err
	}
	for _, r := range batch.ips {
		s.account.ips = s.account.ips.remove(r)
	}
	for _, v := range batch.vhosts {
		s.account.vhosts = slices.DeleteFunc(s.account.vhosts, func(have virtualHost) bool { return have == v })
	}
	return batch.message("removed"), nil
}
