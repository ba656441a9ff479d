package qualyssim

import (
	"math"
	"net/netip"
	"testing"
)

func TestParseVirtualHost(t *testing.T) {
	cases := []struct {
		text string
		want virtualHost
	}{
		{"www.test.com:8008:11.11.11.11/path", virtualHost{"www.test.com", 8008, netip.MustParseAddr("11.11.11.11"), "/path"}},
		{"www.test.com:8008:2001:df1:f600:247d::a73:7de3/path", virtualHost{"www.test.com", 8008, netip.MustParseAddr("2001:df1:f600:247d::a73:7de3"), "/path"}},
		{"Shop.Example.NET.:443:2001:db8::1", virtualHost{"shop.example.net", 443, netip.MustParseAddr("2001:db8::1"), ""}},
		{"a.example:80:198.51.100.1/x/y:z", virtualHost{"a.example", 80, netip.MustParseAddr("198.51.100.1"), "/x/y:z"}},
	}
	for _, c := range cases {
		got, err := parseVirtualHost(c.text)
		if err != nil {
			t.Errorf("parseVirtualHost(%q): %v", c.text, err)
			continue
		}
		equal(t, "parseVirtualHost("+c.text+")", got, c.want)
	}
}

func TestRangeSet(t *testing.T) {
	r := func(text string) ipRange {
		t.Helper()
		got, err := parseIPAsset(text)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	strs := func(s rangeSet) []string {
		out := []string{}
		for _, e := range s {
			out = append(out, e.String())
		}
		return out
	}
	var s rangeSet
	s = s.add(r("10.0.0.5"))
	s = s.add(r("2001:db8::1"))
	s = s.add(r("10.0.0.1-10.0.0.3"))
	deepEqual(t, "disjoint", strs(s), []string{"10.0.0.1-10.0.0.3", "10.0.0.5", "2001:db8::1"})
	s = s.add(r("10.0.0.4"))
	deepEqual(t, "adjacent ranges merge", strs(s), []string{"10.0.0.1-10.0.0.5", "2001:db8::1"})
	s = s.add(r("255.255.255.255"))
	s = s.add(r("::"))
	deepEqual(t, "families never merge", strs(s), []string{"10.0.0.1-10.0.0.5", "255.255.255.255", "::", "2001:db8::1"})
	s = s.remove(r("10.0.0.2-10.0.0.3"))
	deepEqual(t, "split", strs(s), []string{"10.0.0.1", "10.0.0.4-10.0.0.5", "255.255.255.255", "::", "2001:db8::1"})
	s = s.remove(r("0.0.0.0-255.255.255.255"))
	deepEqual(t, "remove all IPv4", strs(s), []string{"::", "2001:db8::1"})

	equal(t, "size of a host", r("10.0.0.1").size(), uint64(1))
	equal(t, "size of a /24", r("10.0.0.0-10.0.0.255").size(), uint64(256))
	equal(t, "size across a 64-bit boundary", r("2001:db8::ffff:ffff:ffff:ffff-2001:db8:0:1::").size(), uint64(2))
	equal(t, "size of a /64", r("2001:db8::-2001:db8::ffff:ffff:ffff:ffff").size(), uint64(math.MaxUint64))
}
