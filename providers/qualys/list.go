package qualys

import (
	"github.com/pci-mcp/pci-mcp/providers/upstream"

	"net/url"
	"strconv"
)

// Sort orders of list calls.
const (
	SortAscending  = "ASC"
	SortDescending = "DESC"
)

// ListOptions page and sort a list call. Zero fields are left to Qualys's
// defaults.
type ListOptions struct {
	// Offset is the 1-based position of the first item.
	Offset int
	// Limit is the number of items, 1-1000.
	Limit int
	// SortBy names the field to sort on; valid names depend on the list.
	SortBy string
	// SortOrder is SortAscending or SortDescending.
	SortOrder string
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	if o.Offset > 0 {
		q.Set("offset", strconv.Itoa(o.Offset))
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.SortBy != "" {
		q.Set("sortBy", o.SortBy)
	}
	if o.SortOrder != "" {
		q.Set("sortOrder", o.SortOrder)
	}
	return q
}

// Page is the paging part of every list answer.
type Page struct {
	// TotalCount is the number of items in the whole list.
	TotalCount upstream.Int `json:"totalCount"`
	// FetchRange is the 1-based range returned, e.g. "1-50".
	FetchRange string `json:"fetchRange,omitempty"`
}
