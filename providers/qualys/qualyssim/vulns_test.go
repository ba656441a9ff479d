package qualyssim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestVulnDetails checks the details of a demo finding member by member.
func TestVulnDetails(t *testing.T) {
	srv, _ := startSim(t, Options{})
	r := send(t, srv, "GET", "/pci/vuln/7340001/details", "")
	equal(t, "status", r.status, http.StatusOK)
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(r.body), &env); err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "members", wireMemberNames(t, env.Data), []string{
		"title", "ip", "dns", "qid", "cvssBase", "cvssTemporal", "port", "service", "protocol",
		"severity", "category", "pciCompliant", "fpStatus", "cveList", "bugTraqList",
		"vendorReferenceList", "threat", "impact", "solution", "patch", "result", "dateLastUpdate",
	})
	var d map[string]any
	dec := json.NewDecoder(bytes.NewReader(env.Data))
	if err := dec.Decode(&d); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"title":               "Birthday attacks against TLS ciphers with 64bit block size vulnerability (Sweet32)",
		"ip":                  "203.0.113.11",
		"dns":                 "",
		"qid":                 38657.0,
		"cvssBase":            "5.0",
		"cvssTemporal":        "4.1",
		"port":                443.0,
		"service":             "https",
		"protocol":            "tcp",
		"severity":            3.0,
		"category":            "General remote services",
		"pciCompliant":        "Fail",
		"fpStatus":            "None",
		"cveList":             []any{map[string]any{"urlText": "CVE-2016-2183"}, map[string]any{"urlText": "CVE-2016-6329"}},
		"bugTraqList":         []any{map[string]any{"urlText": "92630"}, map[string]any{"urlText": "92631"}},
		"vendorReferenceList": []any{},
		"patch":               "",
		"dateLastUpdate":      "November 02, 2023 at 12:00 AM GMT",
	}
	for name, value := range want {
		deepEqual(t, name, d[name], value)
	}
	for _, name := range []string{"threat", "impact", "solution", "result"} {
		if s, _ := d[name].(string); s == "" {
			t.Errorf("%s is empty", name)
		}
	}

	// A web finding on a virtual host carries its name, port and service.
	srv2, _ := startSim(t, Options{QueuedFor: -1, RunningFor: -1})
	data(t, srv2, "POST", "/pci/asset/add", assetBody("VIRTUALHOST", "checkout.example.com:8443:2001:db8::443/pay"))
	launch(t, srv2, `{"title":"web","targetDns":"checkout.example.com"}`)
	list := object(t, srv2, "GET", "/pci/vuln/list?sortBy=qid", "")["merchantVulnList"].([]any)
	equal(t, "web findings", len(list), 3) // two from the demo scan, one on the new virtual host
	web := list[len(list)-1].(map[string]any)
	d2 := object(t, srv2, "GET", fmt.Sprintf("/pci/vuln/%.0f/details", web["id"]), "")
	for name, value := range map[string]any{
		"ip": "2001:db8::443", "dns": "checkout.example.com", "port": 8443.0, "service": "https",
		"qid": 150124.0, "title": "Clickjacking - Framable Page", "cvssBase": "4.3", "pciCompliant": "Fail",
	} {
		deepEqual(t, "web finding "+name, d2[name], value)
	}
}

// TestVulnVisibility checks that a scan's findings are hidden until it
// finishes, and that rescanning keeps detection ids.
func TestVulnVisibility(t *testing.T) {
	srv, clock := startSim(t, Options{QueuedFor: time.Minute, RunningFor: time.Minute})
	id := launch(t, srv, `{"title":"again","targetIps":"203.0.113.11, 203.0.113.2"}`)

	// 203.0.113.2 is new: its findings get the next ids, hidden for now.
	for _, path := range []string{"/pci/vuln/7340003/details", "/pci/vuln/7340004/details"} {
		r := send(t, srv, "GET", path, "")
		equal(t, path+" while running", r.status, http.StatusNotFound)
	}
	r := send(t, srv, "GET", "/pci/vuln/7340003/details", "")
	jsonEqual(t, "not yet visible", r.body, errorJSON(404, "No vulnerability with id 7340003 in this account's finished scans."))
	// The demo finding stays visible from the demo scan meanwhile.
	equal(t, "demo finding scan", object(t, srv, "GET", "/pci/vuln/list", "")["totalCount"], any(2.0))

	clock.Advance(2 * time.Minute)
	var got []string
	for _, v := range object(t, srv, "GET", "/pci/vuln/list", "")["merchantVulnList"].([]any) {
		m := v.(map[string]any)
		got = append(got, fmt.Sprintf("%.0f %v %.0f %.0f", m["id"], m["ip"], m["qid"], m["scanId"]))
	}
	deepEqual(t, "findings after the rescan", got, []string{
		fmt.Sprintf("7340001 203.0.113.11 38657 %d", id), // same detection, newer scan
		"7340002 203.0.113.12 38170 10987",
		fmt.Sprintf("7340003 203.0.113.2 38657 %d", id),
		fmt.Sprintf("7340004 203.0.113.2 38739 %d", id),
	})
	equal(t, "visible now", send(t, srv, "GET", "/pci/vuln/7340004/details", "").status, http.StatusOK)
	equal(t, "unknown id", send(t, srv, "GET", "/pci/vuln/1/details", "").status, http.StatusNotFound)
}

// TestVulnListPaging pages and sorts the demo findings.
func TestVulnListPaging(t *testing.T) {
	srv, _ := startSim(t, Options{})
	cases := []struct {
		query, fetchRange, ids string
	}{
		{"?limit=1", "1-1", "7340001"},
		{"?offset=2&limit=1", "2-2", "7340002"},
		{"?offset=3", "0-0", ""},
		{"?sortBy=severity", "1-2", "7340002,7340001"},
		{"?sortBy=severity&sortOrder=DESC", "1-2", "7340001,7340002"},
		{"?sortBy=ip&sortOrder=DESC", "1-2", "7340002,7340001"},
	}
	for _, c := range cases {
		d := object(t, srv, "GET", "/pci/vuln/list"+c.query, "")
		equal(t, c.query+" totalCount", d["totalCount"], any(2.0))
		equal(t, c.query+" fetchRange", d["fetchRange"], any(c.fetchRange))
		ids := ""
		for i, v := range d["merchantVulnList"].([]any) {
			if i > 0 {
				ids += ","
			}
			ids += fmt.Sprintf("%.0f", v.(map[string]any)["id"])
		}
		equal(t, c.query+" ids", ids, c.ids)
	}
}
