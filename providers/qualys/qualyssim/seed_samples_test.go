package qualyssim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
)

// TestSeedSamples replays the samples of the Qualys PCI 1.6.2 release notes
// (shared/seeds/000_*.txt) in order against an empty account and expects the
// documented answers. The first sample's curl line sends no
// X-Requested-With header although every other sample does; the simulator
// requires it (TestRequestChecks covers its absence), so it is sent here.
func TestSeedSamples(t *testing.T) {
	srv, _ := startSim(t, Options{Empty: true})
	samples := []struct {
		name, method, path, body, want string
	}{
		{
			"add IPv6 asset", "POST", "/pci/asset/add",
			`{
        "assetType": "IP",
        "assets": "2001:0db8:85a3:0000:0000:8a2e:0370:7334"
      }`,
			`{"responseApiVersion": "LATEST - V1", "data": "1 IP added successfully"}`,
		},
		{
			"delete IPv6 asset", "DELETE", "/pci/asset/delete",
			`{
         "assetType": "IP",
         "assets": "1e80::5c91:4831:88f9:41ef" 
       }`,
			`{"responseApiVersion": "LATEST - V1", "data": "1 IP removed successfully"}`,
		},
		{
			"add IPv6 virtual host", "POST", "/pci/asset/add",
			`{
        "assetType": "VIRTUALHOST",
        "assets": "www.test.com:8008:11.11.11.11/path, www.test.com:8008:2001:df1:f600:247d::a73:7de3/path"
        }`,
			`{"responseApiVersion": "LATEST - V1", "data": "2 VirtualHost added successfully"}`,
		},
		{
			"delete IPv6 virtual host", "DELETE", "/pci/asset/delete",
			`{
         "assetType": "VIRTUALHOST",
         "assets": "www.test.com:8008:2001:df1:f600:247d::a73:7de3/path, www.test.com:8008:11.11.11.11/path"
      }`,
			`{"responseApiVersion": "LATEST - V1", "data": "2 VirtualHost removed successfully"}`,
		},
		{
			"launch scan with IPv6 targets", "POST", "/pci/scan/launch",
			`{
         "title": "aa",
         "bandwidth": "Medium",
         "scanType": "IP",
         "targetIps": "10.15.20.25, 2001:df1:f600:247d::a73:7de3",
         "targetDns": "qas.com, fff.com, dnstest1.com",
         "targetAll": "true",
         "launchType": "ondemand"
      }`,
			`{"responseApiVersion": "LATEST - V1", "data": {"id": 10988, "status": "Launched scan successfully"}}`,
		},
	}
	for _, s := range samples {
		r := send(t, srv, s.method, s.path, s.body)
		equal(t, s.name+" status", r.status, http.StatusOK)
		equal(t, s.name+" content type", r.header.Get("Content-Type"), "application/json")
		jsonEqual(t, s.name, r.body, s.want)
	}

	// The sequence leaves the IPv6 host added by the first sample in scope,
	// written canonically.
	deepEqual(t, "summary", summaryEntries(t, srv), []string{"2001:db8:85a3::8a2e:370:7334||Not Scanned|IP"})
}

// TestSeedScanDetailsShape checks that scan details carry exactly the
// members of the seed's sample, in its order. (The seed's sample lacks its
// opening brace; the members are taken from it as printed.)
func TestSeedScanDetailsShape(t *testing.T) {
	srv, _ := startSim(t, Options{})
	r := send(t, srv, "GET", "/pci/scan/10987/details", "")
	equal(t, "status", r.status, http.StatusOK)

	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(r.body), &env); err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "members", wireMemberNames(t, env.Data), []string{
		"title", "startedOn", "launchedBy", "duration", "activeHosts", "launchType",
		"bandwidth", "scanStatus", "target", "scanType", "compliance",
	})
}

// wireMemberNames lists an object's member names in wire order.
func wireMemberNames(t *testing.T, obj json.RawMessage) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", obj)
	}
	var names []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return names
}
