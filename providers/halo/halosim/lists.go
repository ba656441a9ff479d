package halosim

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Paging limits from Halo's "Pagination & Sorting" page [doc].
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// listParams are the common list query parameters.
type listParams struct {
	start int
	limit int
	// sort is the requested sort code, echoed back; every code sorts in the call's default
	// order because what the other codes sort by is undocumented for most calls [guess].
	sort string
	desc bool
}

// parseListParams reads start, limit, sort and sort_desc, answering 400 for values Halo
// documents as out of range. An empty value means the default, as PHP-style servers treat it.
func parseListParams(q url.Values) (listParams, *response) {
	p := listParams{limit: defaultLimit, sort: "0"}
	if v := strings.TrimSpace(q.Get("start")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			r := badRequest(fmtParamNotNegative, "start")
			return p, &r
		}
		p.start = n
	}
	if v := strings.TrimSpace(q.Get("limit")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			r := badRequest(fmtParamRange, "limit", 1, maxLimit)
			return p, &r
		}
		p.limit = n
	}
	if v := strings.TrimSpace(q.Get("sort")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			r := badRequest(fmtParamNotValid, "sort")
			return p, &r
		}
		p.sort = strconv.Itoa(n)
	}
	switch strings.TrimSpace(q.Get("sort_desc")) {
	case "", "0":
	case "1":
		p.desc = true
	default:
		r := badRequest(fmtParamRange, "sort_desc", 0, 1)
		return p, &r
	}
	return p, nil
}

// page cuts one page out of items, which must already be in the call's default order.
func page[T any](items []T, p listParams, targetCount int) listAnswer[T] {
	ordered := slices.Clone(items)
	if p.desc {
		slices.Reverse(ordered)
	}
	lo := min(p.start, len(ordered))
	hi := min(lo+p.limit, len(ordered))
	return listAnswer[T]{
		Request:    listRequest{TargetCount: targetCount, Sort: p.sort, Start: p.start},
		Pagination: pagination{Total: len(ordered), Start: p.start, Limit: p.limit},
		// A non-nil empty slice so an empty page encodes as [] rather than null.
		List: append([]T{}, ordered[lo:hi]...),
	}
}
