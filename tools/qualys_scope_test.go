package tools

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scopeAnswer is a compliance summary listing two hosts, one address inside
// 128.0.0.0/1, one inside 2001:db8::/32, and one virtual host.
const scopeAnswer = `{"responseApiVersion":"V1","data":{"totalCount":4,"fetchRange":"1-4","complianceSummaryList":[
	{"ip":"203.0.113.5","status":"Pass","assetType":"IP"},
	{"ip":"128.0.0.9","status":"Pass","assetType":"IP"},
	{"ip":"2001:db8::5","status":"Not Scanned","assetType":"IP"},
	{"ip":"203.0.113.10","dns":"shop.example.com","status":"Pass","assetType":"VIRTUALHOST"}]}}`

// TestRemovalPreviewTellsTheTruth: a removal preview counts the addresses
// (each once: 203.0.113.7 lies inside 128.0.0.0/1)
// of each range, names each entry not in PCI scope now (from a read of the
// account, before asking), and nothing is written before the yes.
func TestRemovalPreviewTellsTheTruth(t *testing.T) {
	env := newTestEnv(t)
	env.qualys.on("GET /pci/compliance/summary", http.StatusOK, scopeAnswer)
	first := env.call(t, "qualys_remove_hosts", `{"hosts":["128.0.0.0/1","2001:db8::/32","203.0.113.7"]}`)
	require.False(t, first.IsError, allText(first))
	text := allText(first)
	assert.Contains(t, text, "Remove 3 entries holding 2,147,483,648 IPv4 addresses and 2^96 IPv6 addresses from PCI scope")
	assert.Contains(t, text, "1. 128.0.0.0-255.255.255.255 (2,147,483,648 addresses)\n")
	assert.Contains(t, text, "2. 2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff (2^96 addresses)\n")
	assert.Contains(t, text, "3. 203.0.113.7\n")
	assert.Contains(t, text, "not in PCI scope: 203.0.113.7 (removing it changes nothing)")
	assert.NotContains(t, text, "not in PCI scope: 128.0.0.0")
	preview := structured(t, first)["preview"].(map[string]any)
	assert.Equal(t, []any{"203.0.113.7"}, preview["not_in_scope"])
	assert.Empty(t, env.qualys.writes(), "a read before asking, never a write")
	for _, r := range env.qualys.requests() {
		assert.Equal(t, "GET /pci/compliance/summary", r.Method+" "+r.Path)
	}
	lines := env.auditLines(t)
	require.Len(t, lines, 1)
	assert.Equal(t, []string{"128.0.0.0-255.255.255.255", "2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "203.0.113.7"}, lines[0].Targets,
		"the audit names what is sent")

	// A confirmed call whose token does not verify reads nothing either.
	before := len(env.qualys.requests())
	res := env.call(t, "qualys_remove_hosts", `{"hosts":["203.0.113.7"],"confirmation_token":"pcimcp1.forged.AAAA"}`)
	assert.True(t, res.IsError)
	assert.Len(t, env.qualys.requests(), before)
}

// TestRemovalOfNothingInScopeIsRefusedBeforeAsking: when none of the hosts
// is in scope, nobody is asked and nothing is written.
func TestRemovalOfNothingInScopeIsRefusedBeforeAsking(t *testing.T) {
	for _, tt := range []struct{ tool, args, want string }{
		{"qualys_remove_hosts", `{"hosts":["203.0.113.7","198.51.100.0/30"]}`,
			"hosts: none of these is in PCI scope of merchant-test now (not in PCI scope: 203.0.113.7, 198.51.100.0-198.51.100.3)"},
		{"qualys_remove_virtual_hosts", `{"virtual_hosts":[{"fqdn":"shop.example.com","port":443,"ip":"203.0.113.11"}]}`,
			"virtual_hosts: none of these is in PCI scope of merchant-test now (not in PCI scope: shop.example.com:443:203.0.113.11)"},
	} {
		t.Run(tt.tool, func(t *testing.T) {
			env := newTestEnv(t)
			env.qualys.on("GET /pci/compliance/summary", http.StatusOK, scopeAnswer)
			env.qualys.on("DELETE /pci/asset/delete", http.StatusOK, `{"data":"1 IP removed successfully"}`)
			e := &elicitor{answer: accept(map[string]any{"confirm": true})}
			c := connect(t, env.server, client.WithElicitationHandler(e))
			res := callTool(t, c, tt.tool, tt.args)
			assert.True(t, res.IsError)
			assert.Contains(t, allText(res), tt.want)
			assert.Contains(t, allText(res), "Nothing was sent to Qualys")
			assert.Empty(t, e.asked, "nobody is asked")
			assert.Empty(t, env.qualys.writes())
		})
	}
}

// TestVirtualHostRemovalNamesThoseNotInScope, and a scope that cannot be
// read is said plainly, the person still asked.
func TestVirtualHostRemovalNamesThoseNotInScope(t *testing.T) {
	env := newTestEnv(t)
	env.qualys.on("GET /pci/compliance/summary", http.StatusOK, scopeAnswer)
	res := env.call(t, "qualys_remove_virtual_hosts",
		`{"virtual_hosts":[{"fqdn":"SHOP.example.com","port":443,"ip":"203.0.113.10"},{"fqdn":"old.example.com","port":443,"ip":"203.0.113.10"}]}`)
	require.False(t, res.IsError, allText(res))
	assert.Contains(t, allText(res), "not in PCI scope: old.example.com:443:203.0.113.10")
	assert.NotContains(t, allText(res), "not in PCI scope: SHOP")

	env = newTestEnv(t)
	env.qualys.on("GET /pci/compliance/summary", http.StatusBadGateway, `{"errors":[{"message":"busy"}]}`)
	res = env.call(t, "qualys_remove_hosts", `{"hosts":["203.0.113.7"]}`)
	require.False(t, res.IsError, allText(res))
	assert.Equal(t, "confirmation_required", structured(t, res)["status"])
	assert.Contains(t, allText(res), "Warning — which of these are in PCI scope now could not be checked (")
	assert.Empty(t, env.qualys.writes())
}

func TestAddressCounts(t *testing.T) {
	n := func(s string) *big.Int { v, _ := new(big.Int).SetString(s, 10); return v }
	for in, want := range map[string]string{
		"1": "1", "256": "256", "2147483648": "2,147,483,648", "4294967296": "4,294,967,296",
		"79228162514264337593543950336": "2^96", "79228162514264337593543950337": "more than 2^96",
	} {
		assert.Equal(t, want, countText(n(in)), in)
	}
	r := func(a, b string) addrRange { return addrRange{netip.MustParseAddr(a), netip.MustParseAddr(b)} }
	assert.Equal(t, "300", unionSize([]addrRange{r("10.0.0.0", "10.0.0.255"), r("10.0.0.200", "10.0.1.43"), r("10.0.0.7", "10.0.0.7")}).String(),
		"overlaps count once")
	assert.Equal(t, "3", unionSize([]addrRange{r("255.255.255.255", "255.255.255.255"), r("10.0.0.1", "10.0.0.2")}).String())
	assert.True(t, strings.HasPrefix(countText(unionSize([]addrRange{r("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")})), "2^128"))
}

// TestRefusalOfManyHostsNamesTheFirstAndCounts: a thousand hosts out of
// scope are refused naming the first 20 and the count, not all of them.
func TestRefusalOfManyHostsNamesTheFirstAndCounts(t *testing.T) {
	hosts := make([]string, 1000)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("203.0.%d.%d", 114+i/250, 1+i%250)
	}
	args, err := json.Marshal(map[string]any{"hosts": hosts})
	require.NoError(t, err)
	env := newTestEnv(t)
	env.qualys.on("GET /pci/compliance/summary", http.StatusOK, scopeAnswer)
	res := env.call(t, "qualys_remove_hosts", string(args))
	require.True(t, res.IsError)
	text := allText(res)
	assert.Contains(t, text, "(not in PCI scope: 203.0.114.1, 203.0.114.2, ")
	assert.Contains(t, text, "203.0.114.20 and 980 more)")
	assert.NotContains(t, text, "203.0.114.21")
	assert.Less(t, len(text), 2000, "a refusal stays short")
	assert.Empty(t, env.qualys.writes())
}
