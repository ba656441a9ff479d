package tools

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// -update rewrites schemas/ and the README tool table from the catalog
// (make schemas).
var update = flag.Bool("update", false, "rewrite schemas/ and the README tool table from the catalog")

const schemaDir = "../schemas"

// TestToolsListOverMCP checks what a client sees in tools/list: every tool
// with a title, a description, both schemas, and the annotations that tell
// it apart from the spec's cautious defaults: readOnlyHint on read tools,
// destructiveHint on every other, and nothing a client would read wrongly.
func TestToolsListOverMCP(t *testing.T) {
	env := newTestEnv(t)
	res, err := env.client.ListTools(t.Context(), mcp.ListToolsRequest{})
	require.NoError(t, err)
	require.Len(t, res.Tools, len(qualysTools()))

	raw, err := json.Marshal(res)
	require.NoError(t, err)
	var wire struct {
		Tools []map[string]json.RawMessage `json:"tools"`
	}
	require.NoError(t, json.Unmarshal(raw, &wire))
	for _, tool := range wire.Tools {
		var name string
		require.NoError(t, json.Unmarshal(tool["name"], &name))
		t.Run(name, func(t *testing.T) {
			for _, key := range []string{"title", "description", "inputSchema", "outputSchema", "annotations"} {
				assert.Contains(t, tool, key)
			}
			var hints map[string]any
			require.NoError(t, json.Unmarshal(tool["annotations"], &hints))
			if hints["readOnlyHint"] == true {
				assert.Equal(t, map[string]any{"readOnlyHint": true}, hints,
					"a read tool says readOnlyHint; the spec reads the other hints only when it is false, and openWorldHint is true by default")
			} else {
				assert.IsType(t, true, hints["destructiveHint"], "a tool that changes something states destructiveHint")
				assert.NotContains(t, hints, "openWorldHint", "true by default, as every tool is")
			}
			var input map[string]any
			require.NoError(t, json.Unmarshal(tool["inputSchema"], &input))
			assert.Equal(t, "object", input["type"])
			for _, k := range []string{"anyOf", "oneOf", "allOf"} {
				assert.NotContains(t, input, k, "top-level %s makes some clients reject the whole tool list", k)
			}
			var output map[string]any
			require.NoError(t, json.Unmarshal(tool["outputSchema"], &output))
			assert.Equal(t, "object", output["type"])
		})
	}
}

// TestAnnotationsMatchBehaviour keeps the hints honest: read tools are the
// only read-only ones, and only the guarded tools are destructive.
func TestAnnotationsMatchBehaviour(t *testing.T) {
	for _, tool := range Catalog() {
		isRead := strings.HasPrefix(tool.Name, "qualys_get_") || strings.HasPrefix(tool.Name, "qualys_list_") ||
			strings.HasPrefix(tool.Name, "halo_get_") || strings.HasPrefix(tool.Name, "halo_list_") ||
			tool.Name == "qualys_compliance_summary" || tool.Name == "halo_pci_summary" ||
			tool.Name == "qualys_wait_for_scan" || tool.Name == "qualys_compliance_report" ||
			strings.HasPrefix(tool.Name, "halo_pci_list_") || strings.HasPrefix(tool.Name, "halo_pci_get_") ||
			// A GET that submits nothing: it opens an attestation id and lists
			// what blocks it, so --read-only still shows the blockers.
			tool.Name == "halo_pci_start_attestation"
		assert.Equal(t, isRead, tool.ReadOnly(), "%s readOnlyHint", tool.Name)
		// Removing an acknowledgement makes findings count again: a write,
		// not destructive. Acknowledging hides them: destructive.
		isRemoval := (strings.Contains(tool.Name, "_remove_") && tool.Name != "halo_remove_host_acknowledgement") ||
			tool.Name == "halo_pci_attest" || tool.Name == "halo_acknowledge_host"
		assert.Equal(t, isRemoval, tool.Destructive(), "%s destructiveHint", tool.Name)
		assert.True(t, tool.OpenWorld(), "%s reaches a third-party API", tool.Name)
	}
}

func TestCatalogNamesAreUniqueAndPrefixed(t *testing.T) {
	seen := map[string]bool{}
	for _, tool := range Catalog() {
		assert.False(t, seen[tool.Name], "duplicate tool %s", tool.Name)
		seen[tool.Name] = true
		assert.True(t, strings.HasPrefix(tool.Name, string(tool.Toolset)+"_"), "%s is in toolset %s", tool.Name, tool.Toolset)
	}
}

// TestSchemaFiles keeps schemas/ in step with the catalog: a stale, missing
// or left-over file fails, so every change to the tool surface shows in
// review. Regenerate with `make schemas`.
func TestSchemaFiles(t *testing.T) {
	want := map[string][]byte{}
	for _, tool := range Catalog() {
		input, output := generate(tool)
		want[tool.Name+".input.json"] = prettySchema(t, input)
		want[tool.Name+".output.json"] = prettySchema(t, output)
	}
	if *update {
		require.NoError(t, os.MkdirAll(schemaDir, 0o755))
		entries, _ := os.ReadDir(schemaDir)
		for _, e := range entries {
			if _, ok := want[e.Name()]; !ok && strings.HasSuffix(e.Name(), ".json") {
				require.NoError(t, os.Remove(filepath.Join(schemaDir, e.Name())))
			}
		}
		for name, data := range want {
			require.NoError(t, os.WriteFile(filepath.Join(schemaDir, name), data, 0o644))
		}
	}
	entries, err := os.ReadDir(schemaDir)
	require.NoError(t, err, "run `make schemas`")
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		_, ok := want[e.Name()]
		assert.True(t, ok, "schemas/%s belongs to no tool; run `make schemas`", e.Name())
	}
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		got, err := os.ReadFile(filepath.Join(schemaDir, name))
		if !assert.NoError(t, err, "schemas/%s is missing; run `make schemas`", name) {
			continue
		}
		assert.Equal(t, string(want[name]), string(got), "schemas/%s is stale; run `make schemas`", name)
	}
}

// TestServedSchemasAreGenerated: the schemas the catalog serves are the
// snapshots embedded from schemas/, compacted, and they are byte for byte
// what the tools' types generate, so serving them instead of reflecting at
// start-up changes nothing a client sees. A stale or missing snapshot
// fails here.
func TestServedSchemasAreGenerated(t *testing.T) {
	for _, tool := range Catalog() {
		input, output := generate(tool)
		assert.Equal(t, string(input), string(tool.InputSchema), "%s input schema; run `make schemas`", tool.Name)
		assert.Equal(t, string(output), string(tool.OutputSchema), "%s output schema; run `make schemas`", tool.Name)
	}
}

func prettySchema(t *testing.T, schema json.RawMessage) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, json.Indent(&buf, schema, "", "  "))
	buf.WriteByte('\n')
	return buf.Bytes()
}

const (
	readmePath       = "../README.md"
	tableBeginMarker = "<!-- tools:begin (generated by `make schemas`) -->"
	tableEndMarker   = "<!-- tools:end -->"
)

// TestReadmeToolTable keeps the README's tool table generated from the
// catalog, so it cannot drift.
func TestReadmeToolTable(t *testing.T) {
	data, err := os.ReadFile(readmePath)
	require.NoError(t, err)
	text := string(data)
	begin := strings.Index(text, tableBeginMarker)
	end := strings.Index(text, tableEndMarker)
	require.True(t, begin >= 0 && end > begin, "README.md needs the %q and %q markers", tableBeginMarker, tableEndMarker)
	want := "\n" + ToolTable(Catalog()) + "\n"
	got := text[begin+len(tableBeginMarker) : end]
	if *update && got != want {
		text = text[:begin+len(tableBeginMarker)] + want + text[end:]
		require.NoError(t, os.WriteFile(readmePath, []byte(text), 0o644))
		got = want
	}
	assert.Equal(t, want, got, "README tool table is stale; run `make schemas`")
}

// TestInputSchemasAreBounded: every string argument has a maximum length and
// every list a maximum size, so no call can carry an unbounded payload.
func TestInputSchemasAreBounded(t *testing.T) {
	for _, tool := range Catalog() {
		var schema map[string]any
		require.NoError(t, json.Unmarshal(tool.InputSchema, &schema))
		walkSchema(t, tool.Name, "", schema)
	}
}

func walkSchema(t *testing.T, tool, path string, s map[string]any) {
	typ := s["type"]
	if types, ok := typ.([]any); ok {
		// An id that takes two spellings (ids.go): the string must be bounded.
		typ = nil
		for _, ty := range types {
			if ty == "string" {
				typ = "string"
			}
		}
	}
	switch typ {
	case "string":
		_, hasMax := s["maxLength"]
		_, hasEnum := s["enum"]
		_, hasPattern := s["pattern"]
		bounded := hasMax || hasEnum || (hasPattern && strings.HasSuffix(s["pattern"].(string), "}$"))
		assert.True(t, bounded, "%s: %s is an unbounded string", tool, path)
	case "array":
		assert.Contains(t, s, "maxItems", "%s: %s is an unbounded list", tool, path)
		if items, ok := s["items"].(map[string]any); ok {
			walkSchema(t, tool, path+"[]", items)
		}
	case "object":
		assert.Equal(t, false, s["additionalProperties"], "%s: %s accepts unknown fields", tool, path)
		props, _ := s["properties"].(map[string]any)
		for name, p := range props {
			walkSchema(t, tool, joinPath(path, name), p.(map[string]any))
		}
	}
}

// TestCatalogIsBuiltOnceAndCopied: each caller's slice is its own, and the
// tools in it are built once.
func TestCatalogIsBuiltOnceAndCopied(t *testing.T) {
	a, b := Catalog(), Catalog()
	require.NotEmpty(t, a)
	name := b[0].Name
	a[0].Name = "changed"
	assert.Equal(t, name, b[0].Name)
	assert.Equal(t, name, Catalog()[0].Name)
	assert.Equal(t, &a[0].InputSchema[0], &b[0].InputSchema[0], "the schemas are built once, not per call")
}
