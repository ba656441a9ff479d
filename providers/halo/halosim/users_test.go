package halosim

import "testing"

func TestUserMe(t *testing.T) {
	for _, empty := range []bool{false, true} {
		h := newHarness(t, Options{Empty: empty})
		assertAnswer(t, h.get("user/me.json"), 200, `{"user":{"user_id":40213,"name":"Dana Whitfield","first_name":"Dana",
			"last_name":"Whitfield","title":"IT Director","email":"dana.whitfield@example.com","phone":"1-555-010-4477","role":1}}`)
	}
}
