package halosim

import (
	"net/http"
	"testing"
)

// TestAckHostWire: every documented refusal, a type-less delete removing
// every type, and the acknowledgement's answer in host-list.
func TestAckHostWire(t *testing.T) {
	h := newHarness(t, Options{})
	refused := func(path, message string) {
		t.Helper()
		assertAnswer(t, h.get(path), http.StatusBadRequest, `{"code":0,"message":"`+message+`"}`)
	}
	refused("ack/host-add.json?type=global", "host required")
	refused("ack/host-add.json?host=shop.example.com&type=everything", "type not valid")
	refused("ack/host-add.json?host=shop.example.com", "type not valid")
	assertAnswer(t, h.get("ack/host-add.json?host=shop.example.com&type=cert&comment=pinned"), http.StatusOK, `{"success":1}`)
	refused("ack/host-add.json?host=SHOP.example.com&type=cert", "Host Already Acknowledged")
	assertAnswer(t, h.get("ack/host-add.json?host=shop.example.com&type=cookie"), http.StatusOK, `{"success":1}`)
	assertAnswer(t, h.get("ack/host-list.json?limit=1"), http.StatusOK,
		`{"request":{"target_count":4,"sort":"0"},"pagination":{"total":2,"start":0,"limit":1},"list":[{"awk_host":{"host":"shop.example.com","comment":"pinned","created_date":"`+
			t0.UTC().Format(dateLayout)+`","type":"cert","created_by":"Dana Whitfield"}}]}`)
	refused("ack/host-delete.json?host=shop.example.com&type=bogus", "type not valid")
	refused("ack/host-delete.json?host=api.example.com", "nothing deleted")
	assertAnswer(t, h.get("ack/host-delete.json?host=shop.example.com"), http.StatusOK, `{"success":1}`)
	assertAnswer(t, h.get("ack/host-list.json"), http.StatusOK,
		`{"request":{"target_count":4,"sort":"0"},"pagination":{"total":0,"start":0,"limit":100},"list":[]}`)
	assertAnswer(t, h.get("event/get.json"), http.StatusBadRequest, `{"code":0,"message":"event_id required"}`)
	assertAnswer(t, h.get("event/get.json?event_id=nope"), http.StatusNotFound, `{"code":404,"message":"event not found"}`)
}
