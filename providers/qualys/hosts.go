package qualys

import (
	"fmt"
	"net/netip"
	"strings"
)

// Host is one entry of a host list as Qualys takes it: a single IPv4 or IPv6
// address, or an inclusive range of one family.
type Host struct {
	First netip.Addr
	Last  netip.Addr // equal to First for a single address
	// text is the entry as it goes on the wire. For a single address or a
	// range it keeps the caller's spelling (the seed samples send
	// 2001:0db8:85a3:0000:... uncompressed, and we reproduce them byte for
	// byte); a CIDR is rewritten as its first-last range.
	text string
}

// IsRange reports whether h covers more than one address.
func (h Host) IsRange() bool { return h.First != h.Last }

// IPv6 reports whether h is an IPv6 address or range.
func (h Host) IPv6() bool { return h.First.Is6() }

// String returns the entry as sent to Qualys.
func (h Host) String() string {
	if h.text != "" {
		return h.text
	}
	if h.IsRange() {
		return h.First.String() + "-" + h.Last.String()
	}
	return h.First.String()
}

// key identifies h by value, so two spellings of one address are one host.
func (h Host) key() [2]netip.Addr { return [2]netip.Addr{h.First, h.Last} }

// ParseHost parses a single address ("203.0.113.5", "2001:db8::1"), a range
// "first-last" of one family with first ≤ last, or a CIDR block, which is
// turned into its first-last range.
func ParseHost(s string) (Host, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Host{}, fmt.Errorf("is empty")
	}
	if strings.Contains(s, "/") {
		return parseCIDR(s)
	}
	if first, last, ok := strings.Cut(s, "-"); ok {
		return parseRange(strings.TrimSpace(first), strings.TrimSpace(last))
	}
	addr, err := parseAddr(s)
	if err != nil {
		return Host{}, err
	}
	return Host{First: addr, Last: addr, text: s}, nil
}

func parseRange(firstText, lastText string) (Host, error) {
	first, err := parseAddr(firstText)
	if err != nil {
		return Host{}, fmt.Errorf("range start: %w", err)
	}
	last, err := parseAddr(lastText)
	if err != nil {
		return Host{}, fmt.Errorf("range end: %w", err)
	}
	if first.Is4() != last.Is4() {
		return Host{}, fmt.Errorf("range mixes IPv4 and IPv6")
	}
	if last.Less(first) {
		return Host{}, fmt.Errorf("range start %s is after its end %s", first, last)
	}
	text := firstText + "-" + lastText
	if first == last {
		text = firstText
	}
	return Host{First: first, Last: last, text: text}, nil
}

func parseCIDR(s string) (Host, error) {
	prefix, err := netip.ParsePrefix(s)
	if err != nil {
		return Host{}, fmt.Errorf("is not a valid CIDR block (want e.g. 203.0.113.0/28 or 2001:db8::/120)")
	}
	if prefix.Addr().Zone() != "" {
		return Host{}, fmt.Errorf("has an IPv6 zone, which has no meaning outside one machine")
	}
	prefix = prefix.Masked()
	first := prefix.Addr()
	if err := checkScannable(first); err != nil {
		return Host{}, err
	}
	last := lastInPrefix(prefix)
	return Host{First: first, Last: last, text: rangeText(first, last)}, nil
}

func rangeText(first, last netip.Addr) string {
	if first == last {
		return first.String()
	}
	return first.String() + "-" + last.String()
}

// lastInPrefix returns the highest address in p.
func lastInPrefix(p netip.Prefix) netip.Addr {
	bytes := p.Addr().AsSlice()
	bits := p.Bits()
	for i := range bytes {
		hostBits := len(bytes)*8 - bits - (len(bytes)-1-i)*8
		switch {
		case hostBits >= 8:
			bytes[i] = 0xff
		case hostBits > 0:
			bytes[i] |= byte(0xff >> (8 - hostBits))
		}
	}
	addr, _ := netip.AddrFromSlice(bytes)
	return addr
}

// parseAddr parses one IPv4 or IPv6 address in any textual form netip
// accepts, refusing what an external ASV scan cannot reach.
func parseAddr(s string) (netip.Addr, error) {
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("is not an IPv4 or IPv6 address")
	}
	if addr.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("has an IPv6 zone (%%%s), which has no meaning outside one machine", addr.Zone())
	}
	if err := checkScannable(addr); err != nil {
		return netip.Addr{}, err
	}
	return addr, nil
}

// checkScannable refuses addresses no external scanner can ever reach, so a
// typo like 0.0.0.0 or ::1 is caught here rather than in a failed scan.
// Private ranges are allowed: Qualys's own samples use 10.x addresses.
func checkScannable(addr netip.Addr) error {
	switch {
	case addr.IsUnspecified():
		return fmt.Errorf("is the unspecified address, not a host")
	case addr.IsLoopback():
		return fmt.Errorf("is a loopback address, which no external scanner can reach")
	case addr.IsMulticast():
		return fmt.Errorf("is a multicast address, not a host")
	case addr.IsLinkLocalUnicast():
		return fmt.Errorf("is a link-local address, which no external scanner can reach")
	}
	return nil
}

// ListError says which entry of a list is wrong and why.
type ListError struct {
	Index  int    // position in the list, from 0
	Field  string // the entry's field at fault ("fqdn"), empty for a plain value
	Value  string
	Reason string
}

func (e *ListError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("entry %d: %s %q %s", e.Index, e.Field, e.Value, e.Reason)
	}
	return fmt.Sprintf("entry %d %q %s", e.Index, e.Value, e.Reason)
}

// ParseHosts parses a host list, removing duplicates (by value, so two
// spellings of one address count once) and keeping the first spelling and the
// order. An empty list is refused. The first bad entry is reported as a
// *ListError.
func ParseHosts(entries []string) ([]Host, error) {
	if len(entries) == 0 {
		return nil, fmt.Errorf("at least one host is required")
	}
	hosts := make([]Host, 0, len(entries))
	seen := make(map[[2]netip.Addr]bool, len(entries))
	for i, entry := range entries {
		h, err := ParseHost(entry)
		if err != nil {
			return nil, &ListError{Index: i, Value: entry, Reason: err.Error()}
		}
		if seen[h.key()] {
			continue
		}
		seen[h.key()] = true
		hosts = append(hosts, h)
	}
	return hosts, nil
}

// joinHosts renders hosts the way Qualys takes a list: ", " between entries.
func joinHosts(hosts []Host) string {
	parts := make([]string, len(hosts))
	for i, h := range hosts {
		parts[i] = h.String()
	}
	return strings.Join(parts, listSeparator)
}

// listSeparator joins several values in one Qualys string field, as in every
// seed sample ("10.15.20.25, 2001:df1:f600:247d::a73:7de3").
const listSeparator = ", "
