package qualyssim

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// listSort says which sortBy values a list accepts and its default order.
type listSort struct {
	keys []string // accepted sortBy values, in their canonical spelling
	key  string   // sortBy when the request gives none
	desc bool     // order when the request gives neither sortBy nor sortOrder
}

// listQuery is a validated offset, limit, sortBy and sortOrder.
type listQuery struct {
	offset, limit int
	sortBy        string
	desc          bool
}

// order turns an ascending comparison into the requested order.
func (q listQuery) order(cmp int) int {
	if q.desc {
		return -cmp
	}
	return cmp
}

// parseListQuery reads the documented list parameters: offset (from 1),
// limit (1 to maxLimit), sortBy (one of s.keys, any letter case) and
// sortOrder (ASC or DESC, default ASC once sortBy is given). Other
// parameters are ignored, as most servers do.
func parseListQuery(query url.Values, s listSort) (listQuery, error) {
	q := listQuery{offset: 1, limit: defaultLimit, sortBy: s.key}
	var err error
	if q.offset, err = intParam(query, "offset", 1, 1, 1<<31-1); err != nil {
		return listQuery{}, err
	}
	if q.limit, err = intParam(query, "limit", defaultLimit, 1, maxLimit); err != nil {
		return listQuery{}, err
	}
	if by := query.Get("sortBy"); by != "" {
		q.sortBy = ""
		for _, k := range s.keys {
			if strings.EqualFold(by, k) {
				q.sortBy = k
			}
		}
		if q.sortBy == "" {
			return listQuery{}, badRequest("sortBy must be one of %s, got %q.", strings.Join(s.keys, ", "), by)
		}
	}
	switch order := query.Get("sortOrder"); {
	case order == "":
		q.desc = s.desc && query.Get("sortBy") == ""
	case strings.EqualFold(order, "ASC"):
	case strings.EqualFold(order, "DESC"):
		q.desc = true
	default:
		return listQuery{}, badRequest("sortOrder must be ASC or DESC, got %q.", order)
	}
	return q, nil
}

// intParam reads an integer query parameter within [lo, hi].
func intParam(query url.Values, name string, def, lo, hi int) (int, error) {
	text := query.Get(name)
	if text == "" {
		return def, nil
	}
	n, err := strconv.Atoi(text)
	if err != nil || n < lo || n > hi {
		return 0, badRequest("%s must be a whole number from %d to %d, got %q.", name, lo, hi, text)
	}
	return n, nil
}

// pageOf cuts the requested page out of items and wraps it in the documented
// list shape under listName.
func pageOf[T any](items []T, q listQuery, listName string) listPage {
	page := []T{}
	fetchRange := emptyFetchRange
	if start := q.offset - 1; start < len(items) {
		end := min(start+q.limit, len(items))
		page = items[start:end]
		fetchRange = fmt.Sprintf("%d-%d", start+1, end)
	}
	return listPage{totalCount: len(items), fetchRange: fetchRange, listName: listName, items: page}
}
