package tools

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/providers/qualys"
	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// Budgets that keep pci-mcp cheap to have around, checked by `make test`
// (BENCHMARKS.md says how they were set). Both count things rather than
// time them, so a busy machine cannot make them fail: the bytes of
// tools/list, which a model reads on every turn, and the allocations of the
// hot paths of a call.

var updateBudgets = flag.Bool("update-budgets", false,
	"rewrite "+toolsListBudgetFile+" from the catalog as it is now, with the usual headroom")

const toolsListBudgetFile = "../testdata/budgets/tools_list.json"

// toolsListBudget is the recorded table: what tools/list and each tool
// measured when the budget was last set, and the budgets, both for what a
// model reads (ModelVisible) and for the whole entry with its output schema.
type toolsListBudget struct {
	Note string `json:"note"`
	// Rule is the catalog's average budget, ModelVisibleAverageMax; it is
	// written here for the reader and checked from the constant.
	Rule         string                `json:"rule"`
	ModelVisible byteBudget            `json:"model_visible_total"`
	Whole        byteBudget            `json:"whole_total"`
	Tools        map[string]toolBudget `json:"tools"`
}

type toolBudget struct {
	ModelVisible byteBudget `json:"model_visible"`
	Whole        byteBudget `json:"whole"`
}

type byteBudget struct {
	Measured int `json:"measured"`
	Budget   int `json:"budget"`
}

// Headroom over a measurement: a tool may grow by a few words before its
// budget is reached, the whole list by less than one short tool.
func toolHeadroom(n int) int  { return n + max(16, (n*2+99)/100) }
func totalHeadroom(n int) int { return n + (n+99)/100 }

// listedTool is one tool as tools/list carries it: the whole entry and what
// a model reads of it.
type listedTool struct {
	whole, visible int
}

// measureToolsList returns the tools/list result as a client receives it
// from the full catalog (both providers, no filters), and each tool in it.
func measureToolsList(t *testing.T) (json.RawMessage, map[string]listedTool) {
	t.Helper()
	srv := memoryServer(t, benchScanDetails, `{}`)
	res := srv.HandleMessage(context.Background(), json.RawMessage(`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}`))
	data, err := json.Marshal(res)
	require.NoError(t, err)
	var msg struct {
		Result json.RawMessage `json:"result"`
	}
	require.NoError(t, json.Unmarshal(data, &msg))
	var list struct {
		Tools []json.RawMessage `json:"tools"`
	}
	require.NoError(t, json.Unmarshal(msg.Result, &list))
	tools := map[string]listedTool{}
	for _, raw := range list.Tools {
		var tool struct {
			Name string `json:"name"`
		}
		require.NoError(t, json.Unmarshal(raw, &tool))
		visible, err := ModelVisible(raw)
		require.NoError(t, err)
		tools[tool.Name] = listedTool{whole: len(raw), visible: len(visible)}
	}
	require.Len(t, tools, len(Catalog()), "tools/list must hold the whole catalog")
	return msg.Result, tools
}

// TestToolsListBudget keeps the catalog's context cost from creeping up.
// The rule: what a model reads of tools/list (ModelVisible: name, title,
// description, input schema, annotations) averages at most
// ModelVisibleAverageMax bytes per tool over the whole catalog, so a new
// tool fits under it or is paid for by trimming others; and every tool, and
// the whole list with output schemas, stays within the budgets recorded in
// testdata/budgets/tools_list.json. A failure names the tools that grew.
// After a deliberate change, record the new sizes with
//
//	go test ./tools -run TestToolsListBudget -update-budgets
//
// and let the diff of that file show the cost in review.
func TestToolsListBudget(t *testing.T) {
	result, tools := measureToolsList(t)
	visibleTotal := 0
	for _, tool := range tools {
		visibleTotal += tool.visible
	}
	average := float64(visibleTotal) / float64(len(tools))
	t.Logf("model-visible: %d bytes for %d tools, %.0f per tool (rule: at most %d); whole tools/list: %d bytes",
		visibleTotal, len(tools), average, ModelVisibleAverageMax, len(result))
	if average > ModelVisibleAverageMax {
		t.Errorf("what a model reads of tools/list averages %.0f bytes per tool, over the rule of %d (%d bytes for %d tools): "+
			"shorten descriptions the schema already says, or trim the largest tools: %s",
			average, ModelVisibleAverageMax, visibleTotal, len(tools), largest(tools, 3))
	}

	if *updateBudgets {
		b := toolsListBudget{
			Note: "Bytes of tools/list with both providers, checked by TestToolsListBudget (tools/budget_test.go); see BENCHMARKS.md. " +
				"model_visible is what a model reads (name, title, description, inputSchema, annotations); whole adds outputSchema. " +
				"Rewrite with: go test ./tools -run TestToolsListBudget -update-budgets",
			Rule:         fmt.Sprintf("model_visible averages at most %d bytes per tool (tools.ModelVisibleAverageMax)", ModelVisibleAverageMax),
			ModelVisible: byteBudget{visibleTotal, totalHeadroom(visibleTotal)},
			Whole:        byteBudget{len(result), totalHeadroom(len(result))},
			Tools:        map[string]toolBudget{},
		}
		for name, tool := range tools {
			b.Tools[name] = toolBudget{
				ModelVisible: byteBudget{tool.visible, toolHeadroom(tool.visible)},
				Whole:        byteBudget{tool.whole, toolHeadroom(tool.whole)},
			}
		}
		data, err := json.MarshalIndent(b, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Dir(toolsListBudgetFile), 0o755))
		require.NoError(t, os.WriteFile(toolsListBudgetFile, append(data, '\n'), 0o644))
	}

	data, err := os.ReadFile(toolsListBudgetFile)
	require.NoError(t, err)
	var budget toolsListBudget
	require.NoError(t, json.Unmarshal(data, &budget))

	names := slices.Sorted(maps.Keys(tools))
	var grewVisible, grewWhole []string
	for _, name := range names {
		tool := tools[name]
		b, ok := budget.Tools[name]
		if !ok {
			t.Errorf("%s has no budget: a model reads %d bytes of it (%d with its output schema); record it with -update-budgets (see TestToolsListBudget)",
				name, tool.visible, tool.whole)
			continue
		}
		if tool.visible > b.ModelVisible.Budget {
			t.Errorf("%s: a model reads %d bytes of it, over its budget of %d (it measured %d when the budget was set)",
				name, tool.visible, b.ModelVisible.Budget, b.ModelVisible.Measured)
		}
		if tool.whole > b.Whole.Budget {
			t.Errorf("%s is %d bytes in tools/list with its output schema, over its budget of %d (it measured %d when the budget was set)",
				name, tool.whole, b.Whole.Budget, b.Whole.Measured)
		}
		if tool.visible > b.ModelVisible.Measured {
			grewVisible = append(grewVisible, fmt.Sprintf("%s +%d (%d → %d)", name, tool.visible-b.ModelVisible.Measured, b.ModelVisible.Measured, tool.visible))
		}
		if tool.whole > b.Whole.Measured {
			grewWhole = append(grewWhole, fmt.Sprintf("%s +%d (%d → %d)", name, tool.whole-b.Whole.Measured, b.Whole.Measured, tool.whole))
		}
	}
	for name := range budget.Tools {
		if _, ok := tools[name]; !ok {
			t.Errorf("%s has a budget but is no longer in the catalog; rewrite the table with -update-budgets", name)
		}
	}
	if visibleTotal > budget.ModelVisible.Budget {
		t.Errorf("a model reads %d bytes of tools/list, over its budget of %d (it measured %d when the budget was set); tools that grew: %s",
			visibleTotal, budget.ModelVisible.Budget, budget.ModelVisible.Measured, strings.Join(grewVisible, ", "))
	}
	if len(result) > budget.Whole.Budget {
		t.Errorf("tools/list is %d bytes, over its budget of %d (it measured %d when the budget was set); tools that grew: %s",
			len(result), budget.Whole.Budget, budget.Whole.Measured, strings.Join(grewWhole, ", "))
	}
	if len(result) < budget.Whole.Measured-(budget.Whole.Budget-budget.Whole.Measured) {
		t.Logf("tools/list shrank to %d bytes from %d: lock the gain in with -update-budgets", len(result), budget.Whole.Measured)
	}
}

// largest names the n tools a model reads most of, largest first.
func largest(tools map[string]listedTool, n int) string {
	names := slices.SortedFunc(maps.Keys(tools), func(a, b string) int { return tools[b].visible - tools[a].visible })
	var out []string
	for _, name := range names[:min(n, len(names))] {
		out = append(out, fmt.Sprintf("%s %d", name, tools[name].visible))
	}
	return strings.Join(out, ", ")
}

// raceEnabled reports whether this test binary was built with -race, which
// makes sync.Pool drop items at random and so changes allocation counts.
func raceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// TestAllocationBudgets counts the allocations of the hot paths of a call,
// and of building the catalog at start-up, against budgets set from the
// first measurement with about 5% headroom (BENCHMARKS.md). A count over
// budget means new per-call work: find it with
//
//	go test ./tools -run '^$' -bench . -benchmem -memprofile mem.out
func TestAllocationBudgets(t *testing.T) {
	if raceEnabled() {
		t.Skip("the race detector changes allocation counts; `make test` runs this test again without it")
	}
	hostsSchema := compileSchema("qualys_add_hosts", schemaFor(new(hostsInput), true))
	sitesSchema := compileSchema("qualys_add_virtual_hosts", schemaFor(new(virtualHostsInput), true))
	deps := &Deps{Redactor: upstream.NewRedactor(upstream.BasicAuthSecrets(testQualysUser, testQualysPassword)...)}
	var scan struct {
		Data qualys.ScanDetails `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(benchScanDetails), &scan))
	scanOut := &scanDetailsOutput{ScanID: 4242, ScanDetails: scan.Data}
	qc, err := qualys.New(qualys.Config{BaseURL: "https://qualys.invalid", Username: testQualysUser, Password: testQualysPassword, Settings: memorySettings(benchScanDetails)})
	require.NoError(t, err)
	srv := memoryServer(t, benchScanDetails, `{"report_count":4,"last_report_id":127346,"status":"pending"}`)
	ctx := context.Background()
	call := func(name, args string) func() {
		msg := toolsCallMessage(1, name, json.RawMessage(args))
		return func() {
			data, err := json.Marshal(srv.HandleMessage(ctx, msg))
			if err != nil || strings.Contains(string(data), `"isError":true`) {
				t.Fatalf("%s: %v %s", name, err, data)
			}
		}
	}
	must := func(_ any, err error) {
		if err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name   string
		runs   int
		budget float64
		run    func()
	}{
		{"decode qualys_add_hosts arguments, 20 hosts", 100, 211,
			func() { must(decodeArguments[hostsInput](hostsSchema, benchHostsArgs)) }},
		{"decode qualys_add_virtual_hosts arguments, 20 sites", 20, 1267,
			func() { must(decodeArguments[virtualHostsInput](sitesSchema, benchVirtualHostsArgs)) }},
		{"structuredResult of qualys_get_scan", 100, 6,
			func() { deps.structuredResult(scanOut) }},
		{"Qualys scan details: request, answer, decoding", 100, 60,
			func() { must(qc.ScanDetails(ctx, 4242)) }},
		{"tools/call qualys_get_scan, server side", 100, 197, call("qualys_get_scan", `{"scan_id":4242}`)},
		{"tools/call halo_pci_summary, server side", 100, 147, call("halo_pci_summary", `{}`)},
		// Per tool, so that a new tool brings its share: 17 a tool when the
		// budget was set (schemas served from snapshots, not reflected:
		// 7,088 for 19 tools before).
		{"building the catalog at start-up", 5, 17 * float64(len(Catalog())), func() { Catalog() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := testing.AllocsPerRun(tt.runs, tt.run)
			t.Logf("%.0f allocations (budget %.0f)", got, tt.budget)
			if got > tt.budget {
				t.Errorf("%s: %.0f allocations per run, over its budget of %.0f", tt.name, got, tt.budget)
			}
		})
	}
}

// TestEveryInputSchemaCompiles: input schemas are compiled on a tool's
// first call, not at start-up (it kept start-up within budget), so this
// test compiles each one now rather than let a bad schema wait for a call.
func TestEveryInputSchemaCompiles(t *testing.T) {
	for _, tool := range Catalog() {
		require.NotPanics(t, func() { _ = tool.decode(json.RawMessage(`{}`)) }, tool.Name)
	}
}
