package qualyssim

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// call is what a handler needs from one request.
type call struct {
	body  []byte
	query url.Values
	id    uint64 // the {id} path segment, when the route has one
	now   time.Time
}

// handler serves one operation with s.mu held and returns the envelope's data
// or an *apiError.
type handler func(s *Simulator, c call) (any, error)

// route is one documented operation. A segment "{id}" matches any value; the
// handler then receives it as a number.
type route struct {
	method   string
	pattern  string
	needBody bool
	handle   handler
}

// apiRoutes returns the documented API surface, paths exactly as in the
// vendor's documents.
func apiRoutes() []route {
	return []route{
		{http.MethodPost, "/pci/asset/add", true, (*Simulator).addAssets},
		{http.MethodDelete, "/pci/asset/delete", true, (*Simulator).removeAssets},
		{http.MethodPost, "/pci/scan/launch", true, (*Simulator).launchScan},
		{http.MethodGet, "/pci/scan/list", false, (*Simulator).listScans},
		{http.MethodGet, "/pci/scan/{id}/details", false, (*Simulator).scanDetails},
		{http.MethodGet, "/pci/vuln/list", false, (*Simulator).listVulns},
		{http.MethodGet, "/pci/vuln/{id}/details", false, (*Simulator).vulnDetails},
		{http.MethodGet, "/pci/compliance/summary", false, (*Simulator).complianceSummary},
		{http.MethodGet, "/pci/reporting/reportGeneration/fetch", false, (*Simulator).reportFetch},
	}
}

// match reports whether path fits pattern and returns the {id} segment.
func match(pattern, path string) (id string, ok bool) {
	want, got := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(want) != len(got) {
		return "", false
	}
	for i := range want {
		switch {
		case want[i] == "{id}" && got[i] != "":
			id = got[i]
		case want[i] != got[i]:
			return "", false
		}
	}
	return id, true
}

// findRoute resolves method and path to a route and its parsed {id}, or to
// the error the caller should answer with: 404 for an unknown path, 405 (with
// the allowed method) for a known path and another method, 400 for an id that
// is not a number.
func findRoute(method, path string) (route, uint64, *apiError) {
	var allowed []string
	for _, rt := range apiRoutes() {
		idText, ok := match(rt.pattern, path)
		if !ok {
			continue
		}
		if rt.method != method {
			allowed = append(allowed, rt.method)
			continue
		}
		if !strings.Contains(rt.pattern, "{id}") {
			return rt, 0, nil
		}
		id, err := strconv.ParseUint(idText, 10, 63)
		if err != nil {
			return route{}, 0, badRequest("%q in the path is not a numeric id", idText)
		}
		return rt, id, nil
	}
	if allowed != nil {
		return route{}, 0, &apiError{
			status:  http.StatusMethodNotAllowed,
			message: method + " is not allowed on " + path + "; use " + strings.Join(allowed, " or ") + ".",
			allow:   strings.Join(allowed, ", "),
		}
	}
	return route{}, 0, &apiError{status: http.StatusNotFound, message: "No API operation at " + path + "."}
}
