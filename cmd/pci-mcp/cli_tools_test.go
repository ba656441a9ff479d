package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/tools"
)

func TestToolsJSONListsTheCatalogWithTokenCosts(t *testing.T) {
	code, stdout, stderr := runMain(t, env(), "tools", "--json")
	require.Equal(t, exitOK, code, stderr)

	var got catalogListing
	require.NoError(t, json.Unmarshal([]byte(stdout), &got))
	catalog := tools.Catalog()
	require.Len(t, got.Tools, len(catalog))
	sum := 0
	for i, l := range got.Tools {
		tool := catalog[i]
		assert.Equal(t, tool.Name, l.Name)
		assert.Equal(t, string(tool.Toolset), l.Toolset)
		assert.Equal(t, tool.Summary(), l.Summary)
		assert.Equal(t, tool.ReadOnly(), l.Annotations.ReadOnly, tool.Name)
		assert.Equal(t, tool.Destructive(), l.Annotations.Destructive, tool.Name)
		def, err := json.Marshal(tool.Definition())
		require.NoError(t, err)
		assert.Equal(t, (len(def)+3)/4, l.Tokens, "%s: bytes of the definition / 4", tool.Name)
		sum += l.Tokens
	}
	assert.Equal(t, sum, got.TotalTokens)
	assert.Contains(t, got.TokenMethod, "/ 4")
}

func TestToolsTableIsReadable(t *testing.T) {
	code, stdout, _ := runMain(t, env(), "tools")
	require.Equal(t, exitOK, code)
	lines := strings.Split(stdout, "\n")
	assert.Regexp(t, `^TOOL\s+TOOLSET\s+KIND\s+HINTS\s+TOKENS\s+DESCRIPTION$`, lines[0])
	assert.Regexp(t, `(?m)^qualys_remove_hosts\s+qualys\s+destructive \(confirmed\)\s+destructive,openWorld\s+\d+\s+Remove hosts from the PCI scope`, stdout)
	assert.Regexp(t, `(?m)^qualys_get_scan\s+qualys\s+read\s+readOnly,idempotent,openWorld\s+\d+\s+Read one scan`, stdout)
	assert.Regexp(t, `(?m)^total\s+\d+\s+\d+ tools$`, stdout)
	assert.Contains(t, stdout, "bytes of the tool's JSON definition / 4")
}

func TestToolsUsage(t *testing.T) {
	code, stdout, _ := runMain(t, env(), "tools", "--help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "--json")
	assert.Contains(t, stdout, "divided by 4")

	code, _, stderr := runMain(t, env(), "tools", "extra")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `unexpected argument "extra"`)
}
