package qualyssim

import (
	"net/http"
	"strings"
	"testing"
)

// TestRequestChecks covers the checks every request passes, in order:
// credentials, path and method, headers, body media type, body shape.
func TestRequestChecks(t *testing.T) {
	const addBody = `{"assetType":"IP","assets":"198.51.100.7"}`
	cases := []struct {
		name         string
		method, path string
		body         string
		edits        []edit
		status       int
		message      string
		header, hval string // a response header the answer must carry
	}{
		{
			name: "no credentials", method: "GET", path: "/pci/scan/list",
			edits:  []edit{withoutHeader("Authorization")},
			status: 401, message: "Authentication failed: send the PCI merchant account's username and password with HTTP Basic auth.",
			header: "WWW-Authenticate", hval: `Basic realm="Qualys PCI"`,
		},
		{
			name: "wrong password", method: "GET", path: "/pci/scan/list",
			edits:  []edit{withAuth(SandboxUsername, "guess")},
			status: 401, message: "Authentication failed: send the PCI merchant account's username and password with HTTP Basic auth.",
			header: "WWW-Authenticate", hval: `Basic realm="Qualys PCI"`,
		},
		{
			name: "wrong user", method: "GET", path: "/pci/scan/list",
			edits:  []edit{withAuth("someone", SandboxPassword)},
			status: 401, message: "Authentication failed: send the PCI merchant account's username and password with HTTP Basic auth.",
		},
		{
			name: "credentials are checked before the path", method: "GET", path: "/nowhere",
			edits:  []edit{withoutHeader("Authorization")},
			status: 401, message: "Authentication failed: send the PCI merchant account's username and password with HTTP Basic auth.",
		},
		{
			name: "unknown path", method: "GET", path: "/pci/scan/all",
			status: 404, message: "No API operation at /pci/scan/all.",
		},
		{
			name: "trailing slash is another path", method: "POST", path: "/pci/asset/add/", body: addBody,
			status: 404, message: "No API operation at /pci/asset/add/.",
		},
		{
			name: "GET on a POST operation", method: "GET", path: "/pci/asset/add",
			status: 405, message: "GET is not allowed on /pci/asset/add; use POST.",
			header: "Allow", hval: "POST",
		},
		{
			name: "POST on the delete operation", method: "POST", path: "/pci/asset/delete", body: addBody,
			status: 405, message: "POST is not allowed on /pci/asset/delete; use DELETE.",
			header: "Allow", hval: "DELETE",
		},
		{
			name: "PUT on scan details", method: "PUT", path: "/pci/scan/10987/details",
			status: 405, message: "PUT is not allowed on /pci/scan/10987/details; use GET.",
			header: "Allow", hval: "GET",
		},
		{
			name: "no apiVersion header", method: "GET", path: "/pci/scan/list",
			edits:  []edit{withoutHeader("apiVersion")},
			status: 400, message: `The apiVersion header must be V1, got "".`,
		},
		{
			name: "another apiVersion", method: "GET", path: "/pci/scan/list",
			edits:  []edit{withHeader("apiVersion", "V2")},
			status: 400, message: `The apiVersion header must be V1, got "V2".`,
		},
		{
			name: "no X-Requested-With header", method: "GET", path: "/pci/scan/list",
			edits:  []edit{withoutHeader("X-Requested-With")},
			status: 400, message: "The X-Requested-With header is required; any non-empty value will do.",
		},
		{
			name: "empty X-Requested-With header", method: "GET", path: "/pci/scan/list",
			edits:  []edit{withHeader("X-Requested-With", "")},
			status: 400, message: "The X-Requested-With header is required; any non-empty value will do.",
		},
		{
			// The seed's first curl sample, exactly as printed.
			name: "seed add sample without X-Requested-With", method: "POST", path: "/pci/asset/add",
			body:   `{"assetType": "IP", "assets": "2001:0db8:85a3:0000:0000:8a2e:0370:7334"}`,
			edits:  []edit{withoutHeader("X-Requested-With")},
			status: 400, message: "The X-Requested-With header is required; any non-empty value will do.",
		},
		{
			name: "body without a content type", method: "POST", path: "/pci/asset/add", body: addBody,
			edits:  []edit{withoutHeader("Content-Type")},
			status: 415, message: `The request body must be sent as Content-Type: application/json, got "".`,
		},
		{
			name: "form-encoded body", method: "POST", path: "/pci/asset/add", body: addBody,
			edits:  []edit{withHeader("Content-Type", "application/x-www-form-urlencoded")},
			status: 415, message: `The request body must be sent as Content-Type: application/json, got "application/x-www-form-urlencoded".`,
		},
		{
			name: "missing body", method: "POST", path: "/pci/asset/add",
			status: 400, message: "POST /pci/asset/add needs a JSON request body.",
		},
		{
			name: "body is not JSON", method: "POST", path: "/pci/asset/add", body: `assetType=IP`,
			status: 400, message: "The request body is not valid JSON: invalid character 'a' looking for beginning of value.",
		},
		{
			name: "body is not an object", method: "POST", path: "/pci/asset/add", body: `["198.51.100.7"]`,
			status: 400, message: "The request body must be a JSON object (got array).",
		},
		{
			name: "unknown member", method: "POST", path: "/pci/scan/launch",
			body:   `{"title":"t","targetIPs":"198.51.100.7"}`,
			status: 400, message: `The request body has unknown members "targetIPs"; the known ones are title, bandwidth, scanType, targetIps, targetDns, targetAll, launchType.`,
		},
		{
			name: "targetAll as a JSON boolean", method: "POST", path: "/pci/scan/launch",
			body:   `{"title":"t","targetAll":true}`,
			status: 400, message: `The request body member "targetAll" must be a JSON string (got bool).`,
		},
		{
			name: "two JSON values", method: "POST", path: "/pci/asset/add", body: addBody + addBody,
			status: 400, message: "The request body holds more than one JSON value.",
		},
		{
			name: "body too large", method: "POST", path: "/pci/asset/add", body: strings.Repeat(" ", maxBodyBytes+1),
			status: 413, message: "The request body is larger than 1048576 bytes.",
		},
		{
			name: "non-numeric scan id", method: "GET", path: "/pci/scan/latest/details",
			status: 400, message: `"latest" in the path is not a numeric id`,
		},
		{
			name: "negative vuln id", method: "GET", path: "/pci/vuln/-1/details",
			status: 400, message: `"-1" in the path is not a numeric id`,
		},
	}
	srv, _ := startSim(t, Options{Empty: true})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := send(t, srv, c.method, c.path, c.body, c.edits...)
			equal(t, "status", r.status, c.status)
			equal(t, "content type", r.header.Get("Content-Type"), "application/json")
			jsonEqual(t, "body", r.body, errorJSON(c.status, c.message))
			if c.header != "" {
				equal(t, c.header, r.header.Get(c.header), c.hval)
			}
		})
	}
	// None of the rejected adds reached the account.
	deepEqual(t, "summary after rejected requests", summaryEntries(t, srv), []string{})
}

// TestRequestChecksAccept covers variations the checks let through.
func TestRequestChecksAccept(t *testing.T) {
	srv, _ := startSim(t, Options{Empty: true, Username: "acme", Password: "s3cret"})
	cases := []struct {
		name  string
		edits []edit
	}{
		{"configured credentials", []edit{withAuth("acme", "s3cret")}},
		{"content type with charset", []edit{withAuth("acme", "s3cret"), withHeader("Content-Type", "application/json; charset=UTF-8")}},
		{"header names in any case", []edit{withAuth("acme", "s3cret"), withoutHeader("apiVersion"), func(r *http.Request) { r.Header["APIVERSION"] = []string{"V1"} }}},
	}
	for _, c := range cases {
		r := send(t, srv, "POST", "/pci/asset/add", `{"assetType":"IP","assets":"198.51.100.7"}`, c.edits...)
		equal(t, c.name, r.status, http.StatusOK)
	}
	// The sandbox credentials are not accepted once others are configured.
	equal(t, "sandbox credentials", send(t, srv, "GET", "/pci/scan/list", "").status, http.StatusUnauthorized)
}
