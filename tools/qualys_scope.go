package tools

import (
	"context"
	"fmt"
	"math/big"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/pci-mcp/pci-mcp/providers/qualys"
)

// Before a removal is put to a person, the preview reads what is in PCI
// scope now (the compliance summary, which lists every asset of the account
// with its status [guess: that it lists every asset, scanned or not]), so
// it can say which of the entries are not in scope, and refuse a removal of
// which nothing is. A read only: nothing is written before the yes.

// Bounds of the scope read: a few pages of the largest size, never for
// long. A read that does not finish leaves the preview saying so, and no
// host is then called out of scope.
const (
	scopePageSize    = 1000
	scopeMaxPages    = 10
	scopeReadTimeout = 10 * time.Second
)

// qualysScope is what the compliance summary says is in PCI scope now.
type qualysScope struct {
	ips []addrRange
	// vhosts holds "fqdn|ip" of each virtual host, the name in lower case.
	vhosts map[string]bool
}

// addrRange is an inclusive range of addresses of one family.
type addrRange struct{ first, last netip.Addr }

func (r addrRange) overlaps(o addrRange) bool {
	return !r.last.Less(o.first) && !o.last.Less(r.first)
}

// readQualysScope pages through the compliance summary. It returns an error
// when the read failed or could not finish; the caller then says the check
// could not be made.
func readQualysScope(ctx context.Context, d *Deps) (*qualysScope, error) {
	ctx, cancel := context.WithTimeout(ctx, scopeReadTimeout)
	defer cancel()
	scope := &qualysScope{vhosts: map[string]bool{}}
	for page := range scopeMaxPages {
		summary, err := d.Qualys.ComplianceSummary(ctx, qualys.ListOptions{Offset: page*scopePageSize + 1, Limit: scopePageSize})
		if err != nil {
			return nil, err
		}
		for _, a := range summary.Assets {
			if err := scope.add(a); err != nil {
				return nil, err
			}
		}
		seen := page*scopePageSize + len(summary.Assets)
		if len(summary.Assets) == 0 || seen >= int(summary.TotalCount) {
			return scope, nil
		}
	}
	return nil, fmt.Errorf("the account has more than %d assets", scopeMaxPages*scopePageSize)
}

// add records one asset of the summary. An IP it cannot read makes the whole
// read unusable: a host could then be called out of scope wrongly.
func (s *qualysScope) add(a qualys.AssetCompliance) error {
	ipText := strings.TrimSpace(string(a.IP))
	r, err := parseAddrRange(ipText)
	if err != nil {
		return fmt.Errorf("the compliance summary lists an address this server cannot read (%q)", ipText)
	}
	if strings.EqualFold(string(a.AssetType), "VIRTUALHOST") {
		s.vhosts[vhostScopeKey(string(a.DNS), r.first)] = true
		return nil
	}
	s.ips = append(s.ips, r)
	return nil
}

// parseAddrRange reads "203.0.113.5" or "203.0.113.0-203.0.113.15".
func parseAddrRange(s string) (addrRange, error) {
	first, last, isRange := strings.Cut(s, "-")
	a, err := netip.ParseAddr(strings.TrimSpace(first))
	if err != nil {
		return addrRange{}, err
	}
	if !isRange {
		return addrRange{a.Unmap(), a.Unmap()}, nil
	}
	b, err := netip.ParseAddr(strings.TrimSpace(last))
	if err != nil {
		return addrRange{}, err
	}
	return addrRange{a.Unmap(), b.Unmap()}, nil
}

func vhostScopeKey(fqdn string, ip netip.Addr) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(fqdn), ".")) + "|" + ip.Unmap().String()
}

// holdsHost reports whether any address of h is in scope.
func (s *qualysScope) holdsHost(h qualys.Host) bool {
	want := addrRange{h.First.Unmap(), h.Last.Unmap()}
	return slices.ContainsFunc(s.ips, want.overlaps)
}

// holdsVirtualHost reports whether the summary lists v's name on v's
// address; the summary does not show ports or paths.
func (s *qualysScope) holdsVirtualHost(v qualys.VirtualHost) bool {
	return s.vhosts[vhostScopeKey(v.FQDN, v.IP)]
}

// scopeCheck is the outcome of checking a removal against the scope: what
// the preview tells the person.
type scopeCheck struct {
	// notInScope are the entries, as sent, of which nothing is in scope.
	notInScope []string
	// unchecked, when set, says why the check could not be made.
	unchecked string
	// none is true when the check was made and no entry is in scope.
	none bool
}

// checkScope reads the scope and sorts the entries: inScope says, for the
// i-th entry, whether any of it is in scope.
func checkScope(ctx context.Context, d *Deps, entries []string, inScope func(s *qualysScope, i int) bool) scopeCheck {
	scope, err := readQualysScope(ctx, d)
	if err != nil {
		d.Log.Debug("reading the PCI scope for a removal preview failed", "err", err)
		return scopeCheck{unchecked: "which of these are in PCI scope now could not be checked (" + d.Redactor.Redact(err.Error()) + ")"}
	}
	var c scopeCheck
	for i, e := range entries {
		if !inScope(scope, i) {
			c.notInScope = append(c.notInScope, e)
		}
	}
	c.none = len(entries) > 0 && len(c.notInScope) == len(entries)
	return c
}

// refusal is the error for a removal of which nothing is in scope. Nothing
// is sent or asked, so a long list is cut to its first entries and a
// count: a thousand hosts would otherwise put some 25 KB of refusal into
// the assistant's context.
func (c scopeCheck) refusal(field, account string) error {
	if !c.none {
		return nil
	}
	listed := c.notInScope
	more := ""
	if len(listed) > maxRefusalEntries {
		listed = listed[:maxRefusalEntries]
		more = fmt.Sprintf(" and %d more", len(c.notInScope)-maxRefusalEntries)
	}
	return argError(field, "none of these is in PCI scope of %s now (not in PCI scope: %s%s), so there is nothing to remove; qualys_compliance_summary lists what is in scope",
		orDefault(account, "the account"), strings.Join(listed, ", "), more)
}

// maxRefusalEntries is how many entries a refusal names before counting
// the rest.
const maxRefusalEntries = 20

// addressCount describes how many addresses the entries hold together,
// counting each address once: "2,147,483,648 IPv4 addresses and 2^96 IPv6
// addresses".
func addressCount(hosts []qualys.Host) string {
	var v4, v6 []addrRange
	for _, h := range hosts {
		r := addrRange{h.First.Unmap(), h.Last.Unmap()}
		if r.first.Is4() {
			v4 = append(v4, r)
		} else {
			v6 = append(v6, r)
		}
	}
	var parts []string
	for _, fam := range []struct {
		name   string
		ranges []addrRange
	}{{"IPv4", v4}, {"IPv6", v6}} {
		if len(fam.ranges) == 0 {
			continue
		}
		n := unionSize(fam.ranges)
		noun := "addresses"
		if n.Cmp(big.NewInt(1)) == 0 {
			noun = "address"
		}
		parts = append(parts, countText(n)+" "+fam.name+" "+noun)
	}
	return strings.Join(parts, " and ")
}

// unionSize counts the addresses of ranges of one family, overlaps once.
func unionSize(ranges []addrRange) *big.Int {
	total := new(big.Int)
	if len(ranges) == 0 {
		return total
	}
	ranges = slices.Clone(ranges)
	slices.SortFunc(ranges, func(a, b addrRange) int { return a.first.Compare(b.first) })
	cur := ranges[0]
	for _, r := range ranges[1:] {
		// next is invalid when cur ends at the family's last address.
		if next := cur.last.Next(); next.IsValid() && next.Less(r.first) {
			total.Add(total, rangeSize(cur))
			cur = r
			continue
		}
		if cur.last.Less(r.last) {
			cur.last = r.last
		}
	}
	return total.Add(total, rangeSize(cur))
}

// rangeSize is last - first + 1.
func rangeSize(r addrRange) *big.Int {
	first := new(big.Int).SetBytes(r.first.AsSlice())
	last := new(big.Int).SetBytes(r.last.AsSlice())
	return last.Sub(last, first).Add(last, big.NewInt(1))
}

// countText writes a count of addresses for a person: exact with thousands
// separators up to 2^53, then as a power of two ("2^96", or "more than 2^96"
// when it is not one exactly).
func countText(n *big.Int) string {
	if n.BitLen() <= 53 {
		digits := n.String()
		var b strings.Builder
		for i, c := range digits {
			if i > 0 && (len(digits)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(c)
		}
		return b.String()
	}
	exp := n.BitLen() - 1
	if new(big.Int).Lsh(big.NewInt(1), uint(exp)).Cmp(n) == 0 {
		return fmt.Sprintf("2^%d", exp)
	}
	return fmt.Sprintf("more than 2^%d", exp)
}

// hostItem is an entry as the preview lists it: as sent, with the count of
// addresses a range holds.
func hostItem(h qualys.Host) string {
	if !h.IsRange() {
		return h.String()
	}
	return h.String() + " (" + countText(rangeSize(addrRange{h.First, h.Last})) + " addresses)"
}
