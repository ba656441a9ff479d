package halosim

import (
	"encoding/json"
	"strconv"
	"testing"
)

func TestTargetList(t *testing.T) {
	h := newHarness(t, Options{})
	blog := `{"target":{"target_id":12,"target":"blog.example.com","target_name":"Marketing blog"}}`
	api := `{"target":{"target_id":7,"target":"api.example.com","target_name":"Payments API"}}`
	shop := `{"target":{"target_id":5,"target":"shop.example.com","target_name":"Storefront"}}`
	vpn := `{"target":{"target_id":9,"target":"2001:db8:4a7f:10::25","target_name":"VPN gateway"}}`
	tests := []struct {
		name   string
		query  string
		status int
		want   string
	}{
		{"by name", "", 200, `{"request":{"target_count":4,"sort":"0"},"pagination":{"total":4,"start":0,"limit":100},"list":[` +
			blog + `,` + api + `,` + shop + `,` + vpn + `]}`},
		{"descending page", "sort_desc=1&limit=2", 200, `{"request":{"target_count":4,"sort":"0"},"pagination":{"total":4,"start":0,"limit":2},"list":[` +
			vpn + `,` + shop + `]}`},
		{"bad limit", "limit=-3", 400, `{"code":0,"message":"limit not valid: must be between 1 and 1000"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertAnswer(t, h.get("target/list.json?"+tt.query), tt.status, tt.want)
		})
	}
}

func TestTargetGet(t *testing.T) {
	h := newHarness(t, Options{})
	tests := []struct {
		name   string
		query  string
		status int
		want   string
	}{
		{"storefront, rescan running", "target_id=5", 200, `{"target":{"target_id":5,"target":"shop.example.com",
			"target_name":"Storefront","ip":"203.0.113.10","geo":"US-CA","date_created":"2025-03-18 14:30",
			"scan_id":"sc48290","recent_scan_ids":["sc48211","sc48120"],"scan_frequency":1,"scan_hour":2,"pci_scope":true}}`},
		{"payments API, first scan running", "target_id=7", 200, `{"target":{"target_id":7,"target":"api.example.com",
			"target_name":"Payments API","ip":"203.0.113.24","geo":"US-VA","date_created":"2026-05-09 14:30",
			"scan_id":"sc48291","recent_scan_ids":[],"scan_frequency":1,"scan_hour":3,"pci_scope":true}}`},
		{"IPv6 host", "target_id=9", 200, `{"target":{"target_id":9,"target":"2001:db8:4a7f:10::25",
			"target_name":"VPN gateway","ip":"2001:db8:4a7f:10::25","geo":"US-CA","date_created":"2025-10-24 14:30",
			"scan_id":"sc48215","recent_scan_ids":["sc48121"],"scan_frequency":1,"scan_hour":4,"pci_scope":true}}`},
		{"out of scope", "target_id=12", 200, `{"target":{"target_id":12,"target":"blog.example.com",
			"target_name":"Marketing blog","ip":"198.51.100.30","geo":"US-OR","date_created":"2025-07-16 14:30",
			"scan_id":"sc48202","recent_scan_ids":[],"scan_frequency":1,"scan_hour":5,"pci_scope":false}}`},
		{"unknown", "target_id=6", 404, `{"code":404,"message":"target not found"}`},
		{"missing id", "", 400, `{"code":0,"message":"target_id required"}`},
		{"id not a number", "target_id=shop", 400, `{"code":0,"message":"target_id not valid: must be a whole number"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertAnswer(t, h.get("target/get.json?"+tt.query), tt.status, tt.want)
		})
	}
}

// Every target pci/start names, as a blocker or in a note, is one target/get knows, in scope
// and with the host the note gives.
func TestStartNamesOnlyKnownInScopeTargets(t *testing.T) {
	h := newHarness(t, Options{})
	var start struct {
		RequireScan []int `json:"target_ids_require_scan"`
		HasVuln     []int `json:"target_ids_has_vuln"`
		Notes       []struct {
			TargetID   int    `json:"target_id"`
			TargetHost string `json:"target_host"`
		} `json:"notes"`
	}
	if err := json.Unmarshal([]byte(h.get("pci/start.json").body), &start); err != nil {
		t.Fatal(err)
	}
	hosts := map[int]string{}
	for _, id := range append(start.RequireScan, start.HasVuln...) {
		hosts[id] = ""
	}
	for _, n := range start.Notes {
		hosts[n.TargetID] = n.TargetHost
	}
	if len(hosts) != 3 {
		t.Errorf("start names targets %v, want the three in-scope targets", hosts)
	}
	for id, host := range hosts {
		var got struct {
			Target struct {
				Target   string `json:"target"`
				PCIScope bool   `json:"pci_scope"`
			} `json:"target"`
		}
		a := h.get("target/get.json?target_id=" + strconv.Itoa(id))
		if err := json.Unmarshal([]byte(a.body), &got); err != nil || a.status != 200 {
			t.Fatalf("target/get %d: %d %s", id, a.status, a.body)
		}
		if !got.Target.PCIScope || (host != "" && got.Target.Target != host) {
			t.Errorf("target %d = %+v, want in scope with host %q", id, got.Target, host)
		}
	}
}
