package qualys

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewVirtualHost(t *testing.T) {
	tests := []struct {
		name      string
		spec      VirtualHostSpec
		wire      string
		wantField string
		wantError string
	}{
		{"seed IPv4", VirtualHostSpec{"www.test.com", 8008, "11.11.11.11", "/path"}, "www.test.com:8008:11.11.11.11/path", "", ""},
		{"seed IPv6 bare", VirtualHostSpec{"www.test.com", 8008, "2001:df1:f600:247d::a73:7de3", "/path"}, "www.test.com:8008:2001:df1:f600:247d::a73:7de3/path", "", ""},
		{"brackets dropped", VirtualHostSpec{"shop.example.com", 443, "[2001:db8::10]", ""}, "shop.example.com:443:2001:db8::10", "", ""},
		{"trailing dot", VirtualHostSpec{"shop.example.com.", 443, "203.0.113.10", ""}, "shop.example.com:443:203.0.113.10", "", ""},
		{"bad fqdn", VirtualHostSpec{"shop_1.example.com", 443, "203.0.113.10", ""}, "", "fqdn", "not allowed in a host name"},
		{"ip as fqdn", VirtualHostSpec{"203.0.113.10", 443, "203.0.113.10", ""}, "", "fqdn", "is an IP address"},
		{"hyphen label", VirtualHostSpec{"-shop.example.com", 443, "203.0.113.10", ""}, "", "fqdn", "hyphen"},
		{"long label", VirtualHostSpec{strings.Repeat("a", 64) + ".com", 443, "203.0.113.10", ""}, "", "fqdn", "63"},
		{"too long", VirtualHostSpec{strings.Repeat("abcdefghi.", 26) + "com", 443, "203.0.113.10", ""}, "", "fqdn", "253"},
		{"empty label", VirtualHostSpec{"shop..example.com", 443, "203.0.113.10", ""}, "", "fqdn", "empty label"},
		{"numeric tld", VirtualHostSpec{"host.123", 443, "203.0.113.10", ""}, "", "fqdn", "all-numeric"},
		{"port 0", VirtualHostSpec{"shop.example.com", 0, "203.0.113.10", ""}, "", "port", "1-65535"},
		{"port too big", VirtualHostSpec{"shop.example.com", 65536, "203.0.113.10", ""}, "", "port", "1-65535"},
		{"range as ip", VirtualHostSpec{"shop.example.com", 443, "203.0.113.1-203.0.113.2", ""}, "", "ip", "not an IPv4 or IPv6"},
		{"path without slash", VirtualHostSpec{"shop.example.com", 443, "203.0.113.10", "path"}, "", "path", "start with /"},
		{"path with comma", VirtualHostSpec{"shop.example.com", 443, "203.0.113.10", "/a,b"}, "", "path", "commas"},
		{"path with space", VirtualHostSpec{"shop.example.com", 443, "203.0.113.10", "/a b"}, "", "path", "spaces"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewVirtualHost(tt.spec)
			if tt.wantError != "" {
				var le *ListError
				require.True(t, errors.As(err, &le), "%v", err)
				assert.Equal(t, tt.wantField, le.Field)
				assert.Contains(t, le.Reason, tt.wantError)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wire, v.String())
		})
	}
}

func TestParseVirtualHostsIndexesAndDeduplicates(t *testing.T) {
	good := VirtualHostSpec{"Shop.Example.com", 443, "2001:db8::10", "/"}
	same := VirtualHostSpec{"shop.example.com", 443, "2001:0db8::0010", "/"}
	other := VirtualHostSpec{"shop.example.com", 8443, "2001:db8::10", "/"}
	hosts, err := ParseVirtualHosts([]VirtualHostSpec{good, same, other})
	require.NoError(t, err)
	assert.Equal(t, "Shop.Example.com:443:2001:db8::10/, shop.example.com:8443:2001:db8::10/", joinVirtualHosts(hosts))

	_, err = ParseVirtualHosts([]VirtualHostSpec{good, {"shop.example.com", 443, "nope", ""}})
	var le *ListError
	require.True(t, errors.As(err, &le))
	assert.Equal(t, 1, le.Index)
	assert.Equal(t, "ip", le.Field)

	_, err = ParseVirtualHosts(nil)
	assert.ErrorContains(t, err, "at least one virtual host")
}

// FuzzVirtualHost checks that an accepted virtual host renders to a wire
// entry that cannot be confused with the list separator, and never panics.
func FuzzVirtualHost(f *testing.F) {
	for _, seed := range readSeeds(f, "virtual_hosts") {
		var s struct {
			FQDN string `json:"fqdn"`
			Port int    `json:"port"`
			IP   string `json:"ip"`
			Path string `json:"path"`
		}
		if err := json.Unmarshal(seed, &s); err != nil {
			f.Fatalf("seed %s: %v", seed, err)
		}
		f.Add(s.FQDN, s.Port, s.IP, s.Path)
	}
	f.Fuzz(func(t *testing.T, fqdn string, port int, ip, path string) {
		v, err := NewVirtualHost(VirtualHostSpec{fqdn, port, ip, path})
		if err != nil {
			return
		}
		wire := v.String()
		if strings.Contains(wire, ",") || strings.ContainsAny(wire, " \t\n") {
			t.Fatalf("accepted %q renders to %q, which would split the list", fqdn+"|"+ip+"|"+path, wire)
		}
		if err := CheckHostName(v.FQDN); err != nil {
			t.Fatalf("accepted fqdn %q fails CheckHostName: %v", v.FQDN, err)
		}
	})
}
