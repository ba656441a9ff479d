package qualyssim

import (
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// ipRange is an inclusive range of addresses of one family; a single host has
// first == last.
type ipRange struct {
	first, last netip.Addr
}

// String renders a host as its canonical address and a range as "first-last".
func (r ipRange) String() string {
	if r.first == r.last {
		return r.first.String()
	}
	return r.first.String() + "-" + r.last.String()
}

// contains reports whether a lies in r.
func (r ipRange) contains(a netip.Addr) bool {
	return r.first.Compare(a) <= 0 && a.Compare(r.last) <= 0
}

// size returns how many addresses r holds, saturating at math.MaxUint64 for
// IPv6 ranges too large to count.
func (r ipRange) size() uint64 {
	f, l := r.first.As16(), r.last.As16()
	fHi, fLo := binary.BigEndian.Uint64(f[:8]), binary.BigEndian.Uint64(f[8:])
	lHi, lLo := binary.BigEndian.Uint64(l[:8]), binary.BigEndian.Uint64(l[8:])
	hi := lHi - fHi
	if lLo < fLo {
		hi--
	}
	lo := lLo - fLo
	if hi != 0 || lo == math.MaxUint64 {
		return math.MaxUint64
	}
	return lo + 1
}

// hosts lists every address of r; callers bound r.size() first.
func (r ipRange) hosts() []netip.Addr {
	var out []netip.Addr
	for a := r.first; a.IsValid() && a.Compare(r.last) <= 0; a = a.Next() {
		out = append(out, a)
	}
	return out
}

// sameFamily reports whether a and b hold addresses of one IP version.
func sameFamily(a, b ipRange) bool { return a.first.Is4() == b.first.Is4() }

// overlaps reports whether a and b share an address.
func overlaps(a, b ipRange) bool {
	return sameFamily(a, b) && a.first.Compare(b.last) <= 0 && b.first.Compare(a.last) <= 0
}

// touches reports whether a and b overlap or are adjacent, so their union is
// one range.
func touches(a, b ipRange) bool {
	return sameFamily(a, b) && !endsBefore(a, b) && !endsBefore(b, a)
}

// endsBefore reports whether a ends at least one address before b begins.
func endsBefore(a, b ipRange) bool {
	next := a.last.Next()
	return next.IsValid() && next.Less(b.first)
}

// rangeSet is a set of addresses kept as sorted, disjoint, non-adjacent
// ranges, so that "2001:db8::1" added twice in two spellings is one host and
// removing one address from a range splits it, as an account's IP list does.
type rangeSet []ipRange

// add returns the set with r's addresses included.
func (s rangeSet) add(r ipRange) rangeSet {
	out := make(rangeSet, 0, len(s)+1)
	merged := r
	for _, e := range s {
		if !touches(e, merged) {
			out = append(out, e)
			continue
		}
		if e.first.Less(merged.first) {
			merged.first = e.first
		}
		if merged.last.Less(e.last) {
			merged.last = e.last
		}
	}
	out = append(out, merged)
	slices.SortFunc(out, func(a, b ipRange) int { return a.first.Compare(b.first) })
	return out
}

// remove returns the set without r's addresses.
func (s rangeSet) remove(r ipRange) rangeSet {
	out := make(rangeSet, 0, len(s)+1)
	for _, e := range s {
		if !overlaps(e, r) {
			out = append(out, e)
			continue
		}
		if e.first.Less(r.first) {
			out = append(out, ipRange{e.first, r.first.Prev()})
		}
		if r.last.Less(e.last) {
			out = append(out, ipRange{r.last.Next(), e.last})
		}
	}
	return out
}

// parseAddr parses one IPv4 or IPv6 address in any textual form netip
// accepts; IPv4-mapped IPv6 addresses are the IPv4 host they map, and zones
// are refused because they mean nothing to a scanner on the internet.
func parseAddr(text string) (netip.Addr, error) {
	a, err := netip.ParseAddr(text)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("%q is not an IPv4 or IPv6 address", text)
	}
	return a.Unmap(), nil
}

// parseIPAsset parses an IP asset: one address or a "first-last" range of one
// family with first <= last.
func parseIPAsset(text string) (ipRange, error) {
	firstText, lastText, isRange := strings.Cut(text, "-")
	if !isRange {
		a, err := parseAddr(text)
		if err != nil {
			return ipRange{}, fmt.Errorf("%q is not an IPv4 or IPv6 address or a first-last range", text)
		}
		return ipRange{a, a}, nil
	}
	first, err1 := parseAddr(strings.TrimSpace(firstText))
	last, err2 := parseAddr(strings.TrimSpace(lastText))
	switch {
	case err1 != nil || err2 != nil:
		return ipRange{}, fmt.Errorf("%q is not a range of two addresses written first-last", text)
	case first.Is4() != last.Is4():
		return ipRange{}, fmt.Errorf("range %q mixes IPv4 and IPv6", text)
	case last.Less(first):
		return ipRange{}, fmt.Errorf("range %q ends before it starts", text)
	}
	return ipRange{first, last}, nil
}

// virtualHost is one virtual host in scope: a web site name served on a port
// of an address, optionally at a path. It is comparable, so equal values are
// the same virtual host.
type virtualHost struct {
	fqdn string
	port int
	ip   netip.Addr
	path string
}

// String renders the virtual host in the documented fqdn:port:ip/path form.
func (v virtualHost) String() string {
	return v.fqdn + ":" + strconv.Itoa(v.port) + ":" + v.ip.String() + v.path
}

// parseVirtualHost parses "fqdn:port:ip/path" (path optional). The IP is bare
// even when it is IPv6, so the port ends at the second ':' and the IP at the
// first '/' after it.
func parseVirtualHost(text string) (virtualHost, error) {
	bad := func(why string) (virtualHost, error) {
		return virtualHost{}, fmt.Errorf("virtual host %q %s; write it as fqdn:port:ip or fqdn:port:ip/path", text, why)
	}
	name, rest, ok := strings.Cut(text, ":")
	if !ok {
		return bad("has no port")
	}
	portText, rest, ok := strings.Cut(rest, ":")
	if !ok {
		return bad("has no IP address")
	}
	ipText, path := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		ipText, path = rest[:i], rest[i:]
	}
	fqdn, err := parseHostname(name)
	if err != nil {
		return bad("does not start with a valid host name")
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 1 || port > 65535 {
		return bad("has no port between 1 and 65535")
	}
	ip, err := parseAddr(ipText)
	if err != nil {
		return bad("has no valid IPv4 or IPv6 address")
	}
	if strings.ContainsAny(path, " \t\r\n") {
		return bad("has white space in its path")
	}
	return virtualHost{fqdn: fqdn, port: port, ip: ip, path: path}, nil
}

// parseHostname checks a fully qualified host name and returns it in lower
// case without a trailing dot, so names compare by value.
func parseHostname(text string) (string, error) {
	name := strings.TrimSuffix(strings.ToLower(text), ".")
	labels := strings.Split(name, ".")
	valid := len(name) <= 253 && len(labels) >= 2
	for _, label := range labels {
		valid = valid && isHostLabel(label)
	}
	// An all-numeric last label is an address written where a name belongs.
	if !valid || strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", fmt.Errorf("%q is not a fully qualified host name", text)
	}
	return name, nil
}

// isHostLabel reports whether label is a valid DNS label (letters, digits and
// inner hyphens, 1 to 63 characters).
func isHostLabel(label string) bool {
	if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
		return false
	}
	for _, c := range label {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// splitList splits a ", "-joined request string into its entries, accepting
// any spacing around the commas. An empty string is no entries; an empty
// entry between commas is an error because it usually hides a typo.
func splitList(field, text string) ([]string, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	parts := strings.Split(text, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
		if parts[i] == "" {
			return nil, fmt.Errorf("%s has an empty entry: separate values with \", \"", field)
		}
	}
	return parts, nil
}
