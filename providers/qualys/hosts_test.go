package qualys

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseHost(t *testing.T) {
	tests := []struct {
		in, wire  string
		first     string
		last      string
		wantError string
	}{
		{in: "203.0.113.5", wire: "203.0.113.5", first: "203.0.113.5", last: "203.0.113.5"},
		{in: " 2001:0db8:85a3:0000:0000:8a2e:0370:7334 ", wire: "2001:0db8:85a3:0000:0000:8a2e:0370:7334", first: "2001:db8:85a3::8a2e:370:7334", last: "2001:db8:85a3::8a2e:370:7334"},
		{in: "203.0.113.1-203.0.113.9", wire: "203.0.113.1-203.0.113.9", first: "203.0.113.1", last: "203.0.113.9"},
		{in: "203.0.113.1 - 203.0.113.9", wire: "203.0.113.1-203.0.113.9", first: "203.0.113.1", last: "203.0.113.9"},
		{in: "2001:db8::1-2001:db8::ff", wire: "2001:db8::1-2001:db8::ff", first: "2001:db8::1", last: "2001:db8::ff"},
		{in: "203.0.113.7-203.0.113.7", wire: "203.0.113.7", first: "203.0.113.7", last: "203.0.113.7"},
		{in: "203.0.113.0/28", wire: "203.0.113.0-203.0.113.15", first: "203.0.113.0", last: "203.0.113.15"},
		{in: "203.0.113.77/24", wire: "203.0.113.0-203.0.113.255", first: "203.0.113.0", last: "203.0.113.255"},
		{in: "203.0.113.9/32", wire: "203.0.113.9", first: "203.0.113.9", last: "203.0.113.9"},
		{in: "2001:db8:1::/120", wire: "2001:db8:1::-2001:db8:1::ff", first: "2001:db8:1::", last: "2001:db8:1::ff"},
		{in: "2001:db8::/64", wire: "2001:db8::-2001:db8::ffff:ffff:ffff:ffff", first: "2001:db8::", last: "2001:db8::ffff:ffff:ffff:ffff"},
		{in: "10.0.0.0/9", wire: "10.0.0.0-10.127.255.255", first: "10.0.0.0", last: "10.127.255.255"},
		{in: "", wantError: "is empty"},
		{in: "203.0.113", wantError: "not an IPv4 or IPv6 address"},
		{in: "203.0.113.256", wantError: "not an IPv4 or IPv6 address"},
		{in: "shop.example.com", wantError: "not an IPv4 or IPv6 address"},
		{in: "203.0.113.9-203.0.113.1", wantError: "is after its end"},
		{in: "203.0.113.1-2001:db8::1", wantError: "mixes IPv4 and IPv6"},
		{in: "203.0.113.1-", wantError: "range end"},
		{in: "fe80::1%eth0", wantError: "zone"},
		{in: "fe80::1", wantError: "link-local"},
		{in: "127.0.0.1", wantError: "loopback"},
		{in: "::1", wantError: "loopback"},
		{in: "0.0.0.0", wantError: "unspecified"},
		{in: "0.0.0.0/0", wantError: "unspecified"},
		{in: "224.0.0.1", wantError: "multicast"},
		{in: "203.0.113.0/33", wantError: "CIDR"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			h, err := ParseHost(tt.in)
			if tt.wantError != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantError)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wire, h.String())
			assert.Equal(t, netip.MustParseAddr(tt.first), h.First)
			assert.Equal(t, netip.MustParseAddr(tt.last), h.Last)
		})
	}
}

func TestParseHostsDeduplicatesByValue(t *testing.T) {
	hosts, err := ParseHosts([]string{"2001:DB8::1", "203.0.113.5", "2001:0db8:0000::0001", "203.0.113.5", "203.0.113.0/31", "203.0.113.0-203.0.113.1"})
	require.NoError(t, err)
	var wire []string
	for _, h := range hosts {
		wire = append(wire, h.String())
	}
	assert.Equal(t, []string{"2001:DB8::1", "203.0.113.5", "203.0.113.0-203.0.113.1"}, wire)
	assert.Equal(t, "2001:DB8::1, 203.0.113.5, 203.0.113.0-203.0.113.1", joinHosts(hosts))
}

func TestParseHostsNamesTheBadEntry(t *testing.T) {
	_, err := ParseHosts([]string{"203.0.113.5", "2001:db8::1", "203.0.113.300"})
	var le *ListError
	require.True(t, errors.As(err, &le))
	assert.Equal(t, 2, le.Index)
	assert.Equal(t, "203.0.113.300", le.Value)
	assert.Contains(t, le.Reason, "not an IPv4 or IPv6 address")

	_, err = ParseHosts(nil)
	assert.ErrorContains(t, err, "at least one host")
}

// FuzzParseHost checks that whatever is accepted re-parses to the same
// range and stays within one family, and nothing panics.
func FuzzParseHost(f *testing.F) {
	for _, seed := range readSeeds(f, "hosts") {
		f.Add(string(seed))
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHost(s)
		if err != nil {
			return
		}
		if h.First.Is4() != h.Last.Is4() || h.Last.Less(h.First) {
			t.Fatalf("%q parsed to an invalid range %v-%v", s, h.First, h.Last)
		}
		again, err := ParseHost(h.String())
		if err != nil {
			t.Fatalf("wire form %q of %q does not re-parse: %v", h.String(), s, err)
		}
		if again.First != h.First || again.Last != h.Last {
			t.Fatalf("wire form %q of %q re-parses differently", h.String(), s)
		}
	})
}

// readSeeds reads every file of testdata/fuzz/<name> as one seed.
func readSeeds(f *testing.F, name string) [][]byte {
	dir := filepath.Join("..", "..", "testdata", "fuzz", name)
	entries, err := os.ReadDir(dir)
	if err != nil {
		f.Fatalf("seed corpus %s: %v", dir, err)
	}
	var seeds [][]byte
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, data)
	}
	return seeds
}
