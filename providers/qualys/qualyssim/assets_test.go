package qualyssim

import (
	"fmt"
	"net/http"
	"testing"
)

// assetBody is an /pci/asset/add or /pci/asset/delete body.
func assetBody(assetType, assets string) string {
	return fmt.Sprintf(`{"assetType":%q,"assets":%q}`, assetType, assets)
}

// TestAddThenRemoveAssets adds assets, finds them "Not Scanned" in the
// compliance summary, removes them (possibly spelled differently) and finds
// them gone.
func TestAddThenRemoveAssets(t *testing.T) {
	cases := []struct {
		name        string
		assetType   string
		add, remove string
		added       string // the answer to the add
		removed     string // the answer to the remove
		summary     []string
	}{
		{
			name: "IPv4 host", assetType: "IP", add: "198.51.100.7", remove: "198.51.100.7",
			added: "1 IP added successfully", removed: "1 IP removed successfully",
			summary: []string{"198.51.100.7||Not Scanned|IP"},
		},
		{
			name: "IPv6 host, removed in another spelling", assetType: "IP",
			add: "2001:0DB8:0000:0000:0000:0000:0000:0001", remove: "2001:db8::1",
			added: "1 IP added successfully", removed: "1 IP removed successfully",
			summary: []string{"2001:db8::1||Not Scanned|IP"},
		},
		{
			name: "one IPv6 host in two spellings is one host", assetType: "IP",
			add: "2001:db8::a:1, 2001:0db8:0:0:0:0:a:1", remove: "2001:db8:0::a:1",
			added: "2 IP added successfully", removed: "1 IP removed successfully",
			summary: []string{"2001:db8::a:1||Not Scanned|IP"},
		},
		{
			name: "an IPv4-mapped IPv6 address is the IPv4 host", assetType: "IP",
			add: "::ffff:198.51.100.8", remove: "198.51.100.8",
			added: "1 IP added successfully", removed: "1 IP removed successfully",
			summary: []string{"198.51.100.8||Not Scanned|IP"},
		},
		{
			name: "IPv4 and IPv6 together, comma without space", assetType: "IP",
			add: "198.51.100.9,2001:db8::9", remove: "2001:db8::9 ,  198.51.100.9",
			added: "2 IP added successfully", removed: "2 IP removed successfully",
			summary: []string{"198.51.100.9||Not Scanned|IP", "2001:db8::9||Not Scanned|IP"},
		},
		{
			name: "IPv4 range", assetType: "IP", add: "198.51.100.1-198.51.100.3", remove: "198.51.100.1-198.51.100.3",
			added: "1 IP added successfully", removed: "1 IP removed successfully",
			summary: []string{"198.51.100.1||Not Scanned|IP", "198.51.100.2||Not Scanned|IP", "198.51.100.3||Not Scanned|IP"},
		},
		{
			name: "IPv6 range", assetType: "IP", add: "2001:db8::fe-2001:db8::101", remove: "2001:db8::fe-2001:db8::101",
			added: "1 IP added successfully", removed: "1 IP removed successfully",
			summary: []string{"2001:db8::fe||Not Scanned|IP", "2001:db8::ff||Not Scanned|IP", "2001:db8::100||Not Scanned|IP", "2001:db8::101||Not Scanned|IP"},
		},
		{
			name: "large range is one entry", assetType: "IP", add: "198.51.100.0-198.51.101.255", remove: "198.51.100.0-198.51.101.255",
			added: "1 IP added successfully", removed: "1 IP removed successfully",
			summary: []string{"198.51.100.0-198.51.101.255||Not Scanned|IP"},
		},
		{
			name: "huge IPv6 range is one entry", assetType: "IP",
			add: "2001:db8::-2001:db8::ffff:ffff:ffff:ffff", remove: "2001:0db8:0::0-2001:db8:0:0:ffff:ffff:ffff:ffff",
			added: "1 IP added successfully", removed: "1 IP removed successfully",
			summary: []string{"2001:db8::-2001:db8::ffff:ffff:ffff:ffff||Not Scanned|IP"},
		},
		{
			name: "virtual hosts on IPv4 and IPv6 (seed sample)", assetType: "VIRTUALHOST",
			add:    "www.test.com:8008:11.11.11.11/path, www.test.com:8008:2001:df1:f600:247d::a73:7de3/path",
			remove: "WWW.Test.com.:8008:2001:0df1:f600:247d:0:0:a73:7de3/path, www.test.com:8008:11.11.11.11/path",
			added:  "2 VirtualHost added successfully", removed: "2 VirtualHost removed successfully",
			summary: []string{"11.11.11.11|www.test.com|Not Scanned|VIRTUALHOST", "2001:df1:f600:247d::a73:7de3|www.test.com|Not Scanned|VIRTUALHOST"},
		},
		{
			name: "virtual host without a path", assetType: "VIRTUALHOST",
			add: "pay.example.org:443:198.51.100.20", remove: "pay.example.org:443:198.51.100.20",
			added: "1 VirtualHost added successfully", removed: "1 VirtualHost removed successfully",
			summary: []string{"198.51.100.20|pay.example.org|Not Scanned|VIRTUALHOST"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, _ := startSim(t, Options{Empty: true})
			equal(t, "add", data(t, srv, "POST", "/pci/asset/add", assetBody(c.assetType, c.add)), any(c.added))
			deepEqual(t, "summary after add", summaryEntries(t, srv), c.summary)
			equal(t, "remove", data(t, srv, "DELETE", "/pci/asset/delete", assetBody(c.assetType, c.remove)), any(c.removed))
			deepEqual(t, "summary after remove", summaryEntries(t, srv), []string{})
		})
	}
}

// TestRemovePartOfRange removes one address from a range in scope and keeps
// the rest, and merges adjacent additions.
func TestRemovePartOfRange(t *testing.T) {
	srv, _ := startSim(t, Options{Empty: true})
	data(t, srv, "POST", "/pci/asset/add", assetBody("IP", "198.51.100.1-198.51.100.2, 198.51.100.3"))
	data(t, srv, "DELETE", "/pci/asset/delete", assetBody("IP", "198.51.100.2"))
	deepEqual(t, "summary", summaryEntries(t, srv), []string{"198.51.100.1||Not Scanned|IP", "198.51.100.3||Not Scanned|IP"})

	// A removed address inside a large range splits it.
	data(t, srv, "POST", "/pci/asset/add", assetBody("IP", "198.51.101.0-198.51.104.255"))
	data(t, srv, "DELETE", "/pci/asset/delete", assetBody("IP", "198.51.102.128"))
	deepEqual(t, "summary after split", summaryEntries(t, srv), []string{
		"198.51.100.1||Not Scanned|IP",
		"198.51.100.3||Not Scanned|IP",
		"198.51.101.0-198.51.102.127||Not Scanned|IP",
		"198.51.102.129-198.51.104.255||Not Scanned|IP",
	})
}

// TestHostsOption starts another merchant than the demo: only the given
// hosts in scope, nothing scanned.
func TestHostsOption(t *testing.T) {
	srv, _ := startSim(t, Options{Empty: true, Hosts: []string{"198.51.100.20-198.51.100.21", "2001:db8:e0::443"}})
	deepEqual(t, "summary", summaryEntries(t, srv), []string{"198.51.100.20||Not Scanned|IP", "198.51.100.21||Not Scanned|IP", "2001:db8:e0::443||Not Scanned|IP"})
}

// TestAssetErrors rejects malformed assets with a 400 naming them, and
// leaves the account untouched even when other entries were valid.
func TestAssetErrors(t *testing.T) {
	cases := []struct {
		name, body, message string
	}{
		{"bad IPv4", assetBody("IP", "198.51.100.7, 300.1.1.1"),
			`Invalid IP asset: "300.1.1.1" is not an IPv4 or IPv6 address or a first-last range.`},
		{"leading zeros are ambiguous", assetBody("IP", "198.051.100.7"),
			`Invalid IP asset: "198.051.100.7" is not an IPv4 or IPv6 address or a first-last range.`},
		{"zone", assetBody("IP", "fe80::1%eth0"),
			`Invalid IP asset: "fe80::1%eth0" is not an IPv4 or IPv6 address or a first-last range.`},
		{"CIDR", assetBody("IP", "198.51.100.0/24"),
			`Invalid IP asset: "198.51.100.0/24" is not an IPv4 or IPv6 address or a first-last range.`},
		{"prefix inside a range", assetBody("IP", "2001:db8::/1-2001:db8::ffff:ffff:ffff:ffff"),
			`Invalid IP asset: "2001:db8::/1-2001:db8::ffff:ffff:ffff:ffff" is not a range of two addresses written first-last.`},
		{"backwards range", assetBody("IP", "198.51.100.9-198.51.100.1"),
			`Invalid IP asset: range "198.51.100.9-198.51.100.1" ends before it starts.`},
		{"mixed-family range", assetBody("IP", "198.51.100.1-2001:db8::1"),
			`Invalid IP asset: range "198.51.100.1-2001:db8::1" mixes IPv4 and IPv6.`},
		{"three-part range", assetBody("IP", "198.51.100.1-198.51.100.2-198.51.100.3"),
			`Invalid IP asset: "198.51.100.1-198.51.100.2-198.51.100.3" is not a range of two addresses written first-last.`},
		{"virtual host as IP", assetBody("IP", "www.test.com:8008:11.11.11.11/path"),
			`Invalid IP asset: "www.test.com:8008:11.11.11.11/path" is not an IPv4 or IPv6 address or a first-last range.`},
		{"empty entry", assetBody("IP", "198.51.100.7,, 198.51.100.8"),
			`assets has an empty entry: separate values with ", ".`},
		{"no assets", assetBody("IP", " "),
			`"assets" is required: list the assets separated by ", ".`},
		{"no assets member", `{"assetType":"IP"}`,
			`"assets" is required: list the assets separated by ", ".`},
		{"unknown asset type", assetBody("HOST", "198.51.100.7"),
			`"assetType" must be "IP" or "VIRTUALHOST", got "HOST".`},
		{"asset type in lower case", assetBody("ip", "198.51.100.7"),
			`"assetType" must be "IP" or "VIRTUALHOST", got "ip".`},
		{"virtual host without port", assetBody("VIRTUALHOST", "www.test.com"),
			`Invalid virtual host asset: virtual host "www.test.com" has no port; write it as fqdn:port:ip or fqdn:port:ip/path.`},
		{"virtual host without IP", assetBody("VIRTUALHOST", "www.test.com:8008"),
			`Invalid virtual host asset: virtual host "www.test.com:8008" has no IP address; write it as fqdn:port:ip or fqdn:port:ip/path.`},
		{"virtual host port out of range", assetBody("VIRTUALHOST", "www.test.com:70000:11.11.11.11"),
			`Invalid virtual host asset: virtual host "www.test.com:70000:11.11.11.11" has no port between 1 and 65535; write it as fqdn:port:ip or fqdn:port:ip/path.`},
		{"virtual host with bad IP", assetBody("VIRTUALHOST", "www.test.com:8008:11.11.11/path"),
			`Invalid virtual host asset: virtual host "www.test.com:8008:11.11.11/path" has no valid IPv4 or IPv6 address; write it as fqdn:port:ip or fqdn:port:ip/path.`},
		{"virtual host with bracketed IPv6", assetBody("VIRTUALHOST", "www.test.com:8008:[2001:db8::1]/path"),
			`Invalid virtual host asset: virtual host "www.test.com:8008:[2001:db8::1]/path" has no valid IPv4 or IPv6 address; write it as fqdn:port:ip or fqdn:port:ip/path.`},
		{"virtual host with bad name", assetBody("VIRTUALHOST", "www_test.com:8008:11.11.11.11"),
			`Invalid virtual host asset: virtual host "www_test.com:8008:11.11.11.11" does not start with a valid host name; write it as fqdn:port:ip or fqdn:port:ip/path.`},
		{"virtual host named by an address", assetBody("VIRTUALHOST", "11.11.11.11:8008:11.11.11.11"),
			`Invalid virtual host asset: virtual host "11.11.11.11:8008:11.11.11.11" does not start with a valid host name; write it as fqdn:port:ip or fqdn:port:ip/path.`},
	}
	srv, _ := startSim(t, Options{Empty: true})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, method := range []string{"POST", "DELETE"} {
				path := map[string]string{"POST": "/pci/asset/add", "DELETE": "/pci/asset/delete"}[method]
				r := send(t, srv, method, path, c.body)
				equal(t, method+" status", r.status, http.StatusBadRequest)
				jsonEqual(t, method+" body", r.body, errorJSON(http.StatusBadRequest, c.message))
			}
		})
	}
	deepEqual(t, "summary", summaryEntries(t, srv), []string{})
}
