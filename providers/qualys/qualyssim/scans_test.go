package qualyssim

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestScanProgression follows one scan on a fake clock from launch to its
// verdict, and checks that its findings and host statuses appear only once
// it has finished.
func TestScanProgression(t *testing.T) {
	srv, clock := startSim(t, Options{Empty: true, QueuedFor: time.Minute, RunningFor: 10 * time.Minute})
	data(t, srv, "POST", "/pci/asset/add", assetBody("IP", "203.0.113.10, 203.0.113.11"))
	id := launch(t, srv, `{"title":"Progress","targetIps":"203.0.113.10, 203.0.113.11","targetAll":"false"}`)
	equal(t, "id", id, 10988)

	// compliance "" means no verdict: the member is absent until the scan
	// has finished.
	details := func(status, duration string, activeHosts int, compliance string) string {
		verdict := ""
		if compliance != "" {
			verdict = fmt.Sprintf(`,"compliance":%q`, compliance)
		}
		return fmt.Sprintf(`{"responseApiVersion":"LATEST - V1","data":{"title":"Progress","startedOn":"July 01, 2025 at 09:00 AM GMT",`+
			`"launchedBy":"Sandbox Merchant","duration":%q,"activeHosts":%d,"launchType":"On Demand","bandwidth":"Medium",`+
			`"scanStatus":%q,"target":"203.0.113.10,203.0.113.11","scanType":"IP"%s}}`,
			duration, activeHosts, status, verdict)
	}
	steps := []struct {
		advance time.Duration
		want    string
		summary []string
	}{
		{0, details("Launch Requested", "00:00:00", 0, ""), []string{"203.0.113.10||Not Scanned|IP", "203.0.113.11||Not Scanned|IP"}},
		{59 * time.Second, details("Launch Requested", "00:00:00", 0, ""), nil},
		{time.Second, details("Running", "00:00:00", 0, ""), nil},
		{4*time.Minute + 30*time.Second, details("Running", "00:04:30", 0, ""), []string{"203.0.113.10||Not Scanned|IP", "203.0.113.11||Not Scanned|IP"}},
		{5*time.Minute + 29*time.Second, details("Running", "00:09:59", 0, ""), nil},
		{time.Second, details("Finished", "00:10:00", 2, "Fail"), []string{"203.0.113.10||Pass|IP", "203.0.113.11||Fail|IP"}},
		{24 * time.Hour, details("Finished", "00:10:00", 2, "Fail"), nil},
	}
	for i, step := range steps {
		clock.Advance(step.advance)
		r := send(t, srv, "GET", "/pci/scan/10988/details", "")
		equal(t, fmt.Sprintf("step %d status", i), r.status, http.StatusOK)
		jsonEqual(t, fmt.Sprintf("step %d details", i), r.body, step.want)
		if step.summary != nil {
			deepEqual(t, fmt.Sprintf("step %d summary", i), summaryEntries(t, srv), step.summary)
		}
		finished := strings.Contains(step.want, `"Finished"`)
		vulns := object(t, srv, "GET", "/pci/vuln/list", "")
		equal(t, fmt.Sprintf("step %d vuln count", i), vulns["totalCount"], any(float64(map[bool]int{false: 0, true: 1}[finished])))
	}

	r := send(t, srv, "GET", "/pci/vuln/list", "")
	jsonEqual(t, "vuln list", r.body, `{"responseApiVersion":"LATEST - V1","data":{"totalCount":1,"fetchRange":"1-1","merchantVulnList":[`+
		`{"id":7340001,"qid":38657,"title":"Birthday attacks against TLS ciphers with 64bit block size vulnerability (Sweet32)",`+
		`"ip":"203.0.113.11","dns":"","port":443,"protocol":"tcp","severity":3,"pciCompliant":"Fail","scanId":10988}]}}`)
}

// TestScanPhaseDefaults checks the zero-value phases (two seconds each) and
// negative phases (none).
func TestScanPhaseDefaults(t *testing.T) {
	statuses := func(t *testing.T, opts Options) []string {
		srv, clock := startSim(t, opts)
		id := launch(t, srv, `{"title":"t","targetIps":"198.51.100.1"}`)
		var seen []string
		for range 3 {
			d := object(t, srv, "GET", fmt.Sprintf("/pci/scan/%d/details", id), "")
			seen = append(seen, d["scanStatus"].(string))
			clock.Advance(2 * time.Second)
		}
		return seen
	}
	deepEqual(t, "default phases", statuses(t, Options{Empty: true}), []string{"Launch Requested", "Running", "Finished"})
	deepEqual(t, "no phases", statuses(t, Options{Empty: true, QueuedFor: -1, RunningFor: -1}), []string{"Finished", "Finished", "Finished"})
}

// TestLaunchErrors rejects launches that name no valid target or use values
// the API does not take.
func TestLaunchErrors(t *testing.T) {
	cases := []struct {
		name, body, message string
	}{
		{"no title", `{"targetIps":"198.51.100.1"}`, `"title" is required.`},
		{"blank title", `{"title":"  ","targetIps":"198.51.100.1"}`, `"title" is required.`},
		{"no target", `{"title":"t"}`, `The scan has no targets: give targetIps, targetDns or targetAll "true".`},
		{"targetAll false and nothing else", `{"title":"t","targetAll":"false","targetIps":"","targetDns":""}`,
			`The scan has no targets: give targetIps, targetDns or targetAll "true".`},
		{"targetAll on an empty account", `{"title":"t","targetAll":"true"}`,
			`The account has no hosts in scope, so targetAll "true" selects nothing; add hosts first or name targets in targetIps or targetDns.`},
		{"targetAll not a boolean word", `{"title":"t","targetAll":"yes","targetIps":"198.51.100.1"}`,
			`"targetAll" must be the string "true" or "false", got "yes".`},
		{"bad IP target", `{"title":"t","targetIps":"198.51.100.1, 198.51.100.300"}`,
			`Invalid scan target in targetIps: "198.51.100.300" is not an IPv4 or IPv6 address or a first-last range.`},
		{"bad DNS target", `{"title":"t","targetDns":"qas.com, not a name"}`,
			`Invalid scan target in targetDns: "not a name" is not a fully qualified host name.`},
		{"empty DNS entry", `{"title":"t","targetDns":"qas.com,"}`,
			`targetDns has an empty entry: separate values with ", ".`},
		{"bandwidth", `{"title":"t","targetIps":"198.51.100.1","bandwidth":"Maximum"}`,
			`"bandwidth" must be "Low", "Medium" or "High", got "Maximum".`},
		{"scan type", `{"title":"t","targetIps":"198.51.100.1","scanType":"WAS"}`, `"scanType" must be "IP", got "WAS".`},
		{"launch type", `{"title":"t","targetIps":"198.51.100.1","launchType":"scheduled"}`,
			`"launchType" must be "ondemand", got "scheduled".`},
		{"too many addresses", `{"title":"t","targetIps":"10.0.0.0-10.0.255.255"}`,
			`The scan covers more than 4096 addresses; split it into smaller scans.`},
		{"too many addresses in all", `{"title":"t","targetIps":"10.0.0.0-10.0.15.255, 10.1.0.0"}`,
			`The scan covers more than 4096 addresses; split it into smaller scans.`},
	}
	srv, _ := startSim(t, Options{Empty: true})
	for _, c := range cases {
		r := send(t, srv, "POST", "/pci/scan/launch", c.body)
		equal(t, c.name+" status", r.status, http.StatusBadRequest)
		jsonEqual(t, c.name+" body", r.body, errorJSON(http.StatusBadRequest, c.message))
	}
	list := object(t, srv, "GET", "/pci/scan/list", "")
	equal(t, "scans after rejected launches", list["totalCount"], any(0.0))
}

// TestScanTargets covers what a scan covers: addresses as given (in scope or
// not), every asset in scope with targetAll, virtual hosts through their
// names, and names the simulator cannot resolve.
func TestScanTargets(t *testing.T) {
	srv, _ := startSim(t, Options{Empty: true, QueuedFor: -1, RunningFor: -1})
	data(t, srv, "POST", "/pci/asset/add", assetBody("IP", "203.0.113.12, 2001:db8:4c1::80"))
	data(t, srv, "POST", "/pci/asset/add", assetBody("VIRTUALHOST", "shop.example.com:443:203.0.113.12/cart"))

	cases := []struct {
		name, body  string
		target      string
		activeHosts int
		compliance  string
		summary     []string
		vulnIPs     []string // ip|dns|qid of the current findings, by id
	}{
		{
			name:        "an address outside the scope is scanned but not added to it",
			body:        `{"title":"outside","targetIps":"203.0.113.2"}`,
			target:      "203.0.113.2",
			activeHosts: 1, compliance: "Fail",
			summary: []string{"203.0.113.12||Not Scanned|IP", "203.0.113.12|shop.example.com|Not Scanned|VIRTUALHOST", "2001:db8:4c1::80||Not Scanned|IP"},
			vulnIPs: []string{"203.0.113.2||38657", "203.0.113.2||38739"},
		},
		{
			name:        "an unresolvable name reaches nothing",
			body:        `{"title":"names","targetDns":"qas.com"}`,
			target:      "qas.com",
			activeHosts: 0, compliance: "Pass",
			summary: []string{"203.0.113.12||Not Scanned|IP", "203.0.113.12|shop.example.com|Not Scanned|VIRTUALHOST", "2001:db8:4c1::80||Not Scanned|IP"},
			vulnIPs: []string{"203.0.113.2||38657", "203.0.113.2||38739"},
		},
		{
			name:        "targetAll covers hosts and virtual hosts in scope, plus what is named",
			body:        `{"title":"all","targetAll":"true","targetIps":"203.0.113.12","targetDns":"SHOP.example.com, fff.com"}`,
			target:      "203.0.113.12,2001:db8:4c1::80,shop.example.com,fff.com",
			activeHosts: 2, compliance: "Fail",
			summary: []string{"203.0.113.12||Pass|IP", "203.0.113.12|shop.example.com|Fail|VIRTUALHOST", "2001:db8:4c1::80||Pass|IP"},
			vulnIPs: []string{
				"203.0.113.2||38657", "203.0.113.2||38739",
				"203.0.113.12||38170", "2001:db8:4c1::80||38739",
				"203.0.113.12|shop.example.com|86763", "203.0.113.12|shop.example.com|150001",
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := launch(t, srv, c.body)
			d := object(t, srv, "GET", fmt.Sprintf("/pci/scan/%d/details", id), "")
			equal(t, "target", d["target"], any(c.target))
			equal(t, "activeHosts", d["activeHosts"], any(float64(c.activeHosts)))
			equal(t, "compliance", d["compliance"], any(c.compliance))
			deepEqual(t, "summary", summaryEntries(t, srv), c.summary)
			var got []string
			for _, v := range object(t, srv, "GET", "/pci/vuln/list", "")["merchantVulnList"].([]any) {
				m := v.(map[string]any)
				got = append(got, fmt.Sprintf("%s|%s|%v", m["ip"], m["dns"], m["qid"]))
			}
			deepEqual(t, "findings", got, c.vulnIPs)
		})
	}
}

// TestScanDetailsErrors covers unknown and malformed scan ids.
func TestScanDetailsErrors(t *testing.T) {
	srv, _ := startSim(t, Options{})
	cases := []struct {
		path    string
		status  int
		message string
	}{
		{"/pci/scan/10988/details", 404, "No scan with id 10988 in this account."},
		{"/pci/scan/0/details", 404, "No scan with id 0 in this account."},
		{"/pci/scan/abc/details", 400, `"abc" in the path is not a numeric id`},
		{"/pci/scan/10987.0/details", 400, `"10987.0" in the path is not a numeric id`},
		{"/pci/scan/99999999999999999999/details", 400, `"99999999999999999999" in the path is not a numeric id`},
		{"/pci/scan//details", 404, "No API operation at /pci/scan//details."},
	}
	for _, c := range cases {
		r := send(t, srv, "GET", c.path, "")
		equal(t, c.path+" status", r.status, c.status)
		jsonEqual(t, c.path+" body", r.body, errorJSON(c.status, c.message))
	}
}

// TestScanListPaging launches five scans a minute apart and pages and sorts
// the list.
func TestScanListPaging(t *testing.T) {
	srv, clock := startSim(t, Options{Empty: true, QueuedFor: 90 * time.Second, RunningFor: time.Hour})
	for _, title := range []string{"echo", "alpha", "delta", "bravo", "charlie"} {
		launch(t, srv, fmt.Sprintf(`{"title":%q,"targetIps":"198.51.100.1"}`, title))
		clock.Advance(time.Minute)
	}
	// Five minutes on, 10988 to 10991 are running and 10992 is still queued.
	ids := func(d map[string]any) string {
		var out []string
		for _, e := range d["scanInfoList"].([]any) {
			out = append(out, fmt.Sprint(e.(map[string]any)["scanId"]))
		}
		return strings.Join(out, ",")
	}
	cases := []struct {
		query      string
		fetchRange string
		ids        string
	}{
		{"", "1-5", "10992,10991,10990,10989,10988"},
		{"?offset=1&limit=2", "1-2", "10992,10991"},
		{"?offset=3&limit=2", "3-4", "10990,10989"},
		{"?offset=5&limit=2", "5-5", "10988"},
		{"?offset=6&limit=2", "0-0", ""},
		{"?sortOrder=ASC", "1-5", "10988,10989,10990,10991,10992"},
		{"?sortBy=title", "1-5", "10989,10991,10992,10990,10988"},
		{"?sortBy=TITLE&sortOrder=desc&limit=3", "1-3", "10988,10990,10992"},
		{"?sortBy=status", "1-5", "10992,10988,10989,10990,10991"},
		{"?sortBy=scanId&sortOrder=DESC&offset=2&limit=1", "2-2", "10991"},
		{"?sortBy=date&limit=1000", "1-5", "10988,10989,10990,10991,10992"},
	}
	for _, c := range cases {
		d := object(t, srv, "GET", "/pci/scan/list"+c.query, "")
		equal(t, c.query+" totalCount", d["totalCount"], any(5.0))
		equal(t, c.query+" fetchRange", d["fetchRange"], any(c.fetchRange))
		equal(t, c.query+" ids", ids(d), c.ids)
	}

	r := send(t, srv, "GET", "/pci/scan/list?limit=1", "")
	jsonEqual(t, "one entry", r.body, `{"responseApiVersion":"LATEST - V1","data":{"totalCount":5,"fetchRange":"1-1","scanInfoList":[`+
		`{"scanId":10992,"title":"charlie","status":"Launch Requested","date":"July 01, 2025 at 09:04 AM GMT","scanType":"IP","target":"198.51.100.1"}]}}`)
}

// TestListQueryErrors covers the paging and sorting parameters every list
// checks.
func TestListQueryErrors(t *testing.T) {
	srv, _ := startSim(t, Options{})
	cases := []struct {
		path, message string
	}{
		{"/pci/scan/list?offset=0", `offset must be a whole number from 1 to 2147483647, got "0".`},
		{"/pci/scan/list?offset=-3", `offset must be a whole number from 1 to 2147483647, got "-3".`},
		{"/pci/scan/list?offset=first", `offset must be a whole number from 1 to 2147483647, got "first".`},
		{"/pci/vuln/list?limit=0", `limit must be a whole number from 1 to 1000, got "0".`},
		{"/pci/vuln/list?limit=1001", `limit must be a whole number from 1 to 1000, got "1001".`},
		{"/pci/compliance/summary?limit=ten", `limit must be a whole number from 1 to 1000, got "ten".`},
		{"/pci/scan/list?sortOrder=UP", `sortOrder must be ASC or DESC, got "UP".`},
		{"/pci/scan/list?sortBy=target", `sortBy must be one of date, title, status, scanId, scanType, got "target".`},
		{"/pci/vuln/list?sortBy=cvss", `sortBy must be one of id, qid, severity, ip, got "cvss".`},
		{"/pci/compliance/summary?sortBy=host", `sortBy must be one of IP, DNS, status, got "host".`},
		{"/pci/scan/list?offset=%zz", `The query string is malformed: invalid URL escape "%zz".`},
	}
	for _, c := range cases {
		r := send(t, srv, "GET", c.path, "")
		equal(t, c.path+" status", r.status, http.StatusBadRequest)
		jsonEqual(t, c.path+" body", r.body, errorJSON(http.StatusBadRequest, c.message))
	}
}
