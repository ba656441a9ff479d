// Package tools is pci-mcp's MCP tool catalog: one table of tools, each with
// its name, toolset, annotations, input and output schemas and handler. It
// decodes and validates arguments, passes destructive calls through the
// confirmation guard, writes the audit trail, and shapes provider answers and
// failures into tool results. It knows the providers only as typed clients.
package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	validator "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/pci-mcp/pci-mcp/providers/halo"
	"github.com/pci-mcp/pci-mcp/providers/qualys"
	"github.com/pci-mcp/pci-mcp/providers/upstream"
	"github.com/pci-mcp/pci-mcp/schemas"
	"github.com/pci-mcp/pci-mcp/tools/guard/approval"
)

// Toolset groups the tools of one provider; --toolsets selects them.
type Toolset string

// The toolsets, one per provider.
const (
	ToolsetQualys Toolset = "qualys"
	ToolsetHalo   Toolset = "halo"
)

// Toolsets lists every toolset, in catalog order.
var Toolsets = []Toolset{ToolsetQualys, ToolsetHalo}

// provider names a toolset's upstream in sentences.
func (ts Toolset) provider() string {
	switch ts {
	case ToolsetQualys:
		return qualys.ProviderName
	case ToolsetHalo:
		return halo.ProviderName
	}
	return string(ts)
}

// Tool is one entry of the catalog.
type Tool struct {
	Name        string
	Toolset     Toolset
	Title       string
	Description string
	// Annotations state what differs from the spec's defaults, and
	// destructiveHint on every tool that changes something; a test
	// enforces it.
	Annotations  mcp.ToolAnnotation
	InputSchema  json.RawMessage
	OutputSchema json.RawMessage

	bind func(*Deps) server.ToolHandlerFunc
	// decode checks raw arguments exactly as a call would, sending nothing.
	decode func(raw json.RawMessage) error
	// inType and outType are the Go types the schemas are reflected from,
	// by the tests and `make schemas` (schema_reflect_test.go); the catalog
	// serves the snapshots in schemas/.
	inType, outType reflect.Type
}

// ReadOnly reports the tool's readOnlyHint (false when unset).
func (t Tool) ReadOnly() bool { return hint(t.Annotations.ReadOnlyHint) }

// Destructive reports the tool's destructiveHint: such tools pass through
// the confirmation guard.
func (t Tool) Destructive() bool { return hint(t.Annotations.DestructiveHint) }

// Idempotent reports whether repeating a call changes nothing more: every
// read-only tool, and the writes whose idempotentHint says so.
func (t Tool) Idempotent() bool { return t.ReadOnly() || hint(t.Annotations.IdempotentHint) }

// OpenWorld reports the tool's openWorldHint, true when left unset as the
// spec's default says.
func (t Tool) OpenWorld() bool {
	return t.Annotations.OpenWorldHint == nil || *t.Annotations.OpenWorldHint
}

// Mutating reports whether a call changes upstream state and is audited.
func (t Tool) Mutating() bool { return !t.ReadOnly() }

func hint(b *bool) bool { return b != nil && *b }

// Definition is the tool as tools/list describes it.
func (t Tool) Definition() mcp.Tool {
	return mcp.Tool{
		Name:            t.Name,
		Title:           t.Title,
		Description:     t.Description,
		RawInputSchema:  t.InputSchema,
		RawOutputSchema: t.OutputSchema,
		Annotations:     t.Annotations,
	}
}

// Summary is the first sentence of the description, for listings.
func (t Tool) Summary() string {
	if i := strings.Index(t.Description, ". "); i >= 0 {
		return t.Description[:i+1]
	}
	return t.Description
}

// Hints for the three kinds of tool, each stating only what differs from
// the spec's defaults (readOnlyHint false, destructiveHint true,
// idempotentHint false, openWorldHint true), which are the cautious reading,
// so a client that applies them sees every tool as it is: read tools say
// readOnlyHint; tools that change something say destructiveHint, true or
// false, and idempotentHint when it holds. openWorldHint stays at its
// default, true, for every tool: each reaches a third-party service.
// The spec reads destructiveHint and idempotentHint only when readOnlyHint
// is false, so read tools leave them out.
var (
	readHints = mcp.ToolAnnotation{ReadOnlyHint: ptr(true)}
	// addHints: adding a host that is already in scope changes nothing.
	addHints         = mcp.ToolAnnotation{DestructiveHint: ptr(false), IdempotentHint: ptr(true)}
	launchHints      = mcp.ToolAnnotation{DestructiveHint: ptr(false)}
	destructiveHints = mcp.ToolAnnotation{DestructiveHint: ptr(true)}
)

func ptr[T any](v T) *T { return &v }

// spec is what a tool's table row says besides its types and handler.
type spec struct {
	name        string
	toolset     Toolset
	title       string
	description string
	annotations mcp.ToolAnnotation
	// outcomeCheck tells a person how to find out whether a write went
	// through when its outcome is unknown ("list scans to see ...").
	outcomeCheck string
}

// runFunc is a tool's own work: call the provider with checked input.
type runFunc[In, Out any] func(ctx context.Context, d *Deps, in *In) (*Out, error)

// toolCall is one call on its way through the pipeline.
type toolCall struct {
	tool Tool
	spec spec
	req  mcp.CallToolRequest
}

// respondFunc turns a checked call into its result.
type respondFunc[In any] func(ctx context.Context, d *Deps, c toolCall, in *In) *mcp.CallToolResult

// newTool builds a catalog entry for a tool that reads, or changes without
// needing confirmation: run, audit if mutating, shape the answer.
func newTool[In, Out any](s spec, run runFunc[In, Out]) Tool {
	return buildTool[In, Out](s, func(ctx context.Context, d *Deps, c toolCall, in *In) *mcp.CallToolResult {
		out, err := run(ctx, d, in)
		if c.tool.Mutating() {
			d.Audit.record(ctx, d, c.tool, in, confirmedNone, err)
		}
		if err != nil {
			return d.errorResult(s, err)
		}
		return d.structuredResult(out)
	})
}

// buildTool is the pipeline every tool shares: the schemas come from In and
// Out; each call's arguments are decoded and checked before respond sees
// them, and a panic becomes an error result instead of a dead server.
func buildTool[In, Out any](s spec, respond respondFunc[In]) Tool {
	input, output := servedSchemas(s.name)
	t := Tool{
		Name:         s.name,
		Toolset:      s.toolset,
		Title:        s.title,
		Description:  s.description,
		Annotations:  s.annotations,
		InputSchema:  input,
		OutputSchema: output,
		inType:       reflect.TypeFor[In](),
		outType:      reflect.TypeFor[Out](),
	}
	// Compiled on first use, not at start-up: compiling every input schema
	// took about a third of building the catalog, which every client launch
	// waits for (BENCHMARKS.md). TestEveryInputSchemaCompiles keeps a bad
	// schema from waiting until its first call.
	compiled := sync.OnceValue(func() *validator.Schema { return compileSchema(s.name, input) })
	t.decode = func(raw json.RawMessage) error {
		_, err := decodeArguments[In](compiled(), raw)
		return err
	}
	t.bind = func(d *Deps) server.ToolHandlerFunc {
		return func(ctx context.Context, req mcp.CallToolRequest) (result *mcp.CallToolResult, err error) {
			defer func() {
				if r := recover(); r != nil {
					d.Log.Error("tool panicked", "tool", s.name, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
					result, err = errorText(fmt.Sprintf("%s failed with an internal error; nothing more is known. The server keeps running: try again, and report this if it repeats.", s.name)), nil
				}
			}()
			// The account first: everything after acts as it alone.
			view, raw, err := d.forCall(t.Toolset, rawArguments(req))
			if err != nil {
				if t.Mutating() {
					d.Audit.rejected(ctx, d, t, "invalid_arguments", err)
				}
				return invalidArgumentsResult(s, err), nil
			}
			in, err := decodeArguments[In](compiled(), raw)
			if err != nil {
				if t.Mutating() {
					view.Audit.rejected(ctx, view, t, "invalid_arguments", err)
				}
				return view.nameAccount(invalidArgumentsResult(s, err)), nil
			}
			if t.Mutating() {
				// The audit line records the status of the write's answer,
				// when one came.
				ctx = upstream.WithWriteStatus(ctx)
			}
			return view.nameAccount(respond(ctx, view, toolCall{tool: t, spec: s, req: req}, in)), nil
		}
	}
	return t
}

// servedSchemas returns the checked-in snapshots of a tool's schemas
// (schemas/, embedded): reflecting 38 types at every start was the largest
// part of building the catalog, which every client launch waits for
// (BENCHMARKS.md), and the reflector's dependencies cost every start their
// initialisation. TestServedSchemasAreGenerated proves the snapshots equal
// to what the types generate. A tool without a snapshot is a build that
// skipped `make schemas`: it stops at once, saying so.
func servedSchemas(name string) (input, output json.RawMessage) {
	in, out, ok := schemas.Lookup(name)
	if !ok {
		panic(fmt.Sprintf("tools: %s has no schema snapshot in schemas/; run `make schemas`", name))
	}
	return in, out
}

// rawArguments returns the call's arguments as JSON.
func rawArguments(req mcp.CallToolRequest) json.RawMessage {
	if len(req.Params.RawArguments) > 0 {
		return req.Params.RawArguments
	}
	if req.Params.Arguments == nil {
		return nil
	}
	data, err := json.Marshal(req.Params.Arguments)
	if err != nil {
		return nil
	}
	return data
}

// Deps are what handlers need at run time. A nil provider client means that
// provider is not configured and its tools are not registered.
type Deps struct {
	Qualys *qualys.Client
	Halo   *halo.Client
	// Attestations are the Halo attestations started in this process, for
	// checking halo_pci_attest's answers before anything is sent.
	Attestations *AttestationMemory
	Log          *slog.Logger
	// Redactor scrubs every configured secret from result text.
	Redactor *upstream.Redactor
	Audit    *Audit
	Guard    *Guard
	// Confirm are the confirmation policies; Approvals serves the approval
	// route (nil unless a policy is approval).
	Confirm   ConfirmPolicies
	Approvals *approval.Service
	// pollClock paces qualys_wait_for_scan; nil means the wall clock.
	pollClock pollClock

	// accounts are each provider's named accounts; the pipeline picks one
	// per call (forCall) and hands the handler its view.
	accounts map[Toolset]*accountChoice
	// accountName is the account a view acts as, shown first in previews,
	// confirmations, audit lines and (with several accounts) results.
	accountName string
	// credentials names where the account's credentials come from.
	credentials string
	// stampAccount: the provider has several accounts, so every result
	// names its account.
	stampAccount bool
}

// upstreamUser names the user a toolset's client acts as upstream (the
// Qualys user name, the Halo key's user), for previews and the audit trail.
func (d *Deps) upstreamUser(ts Toolset) string {
	switch ts {
	case ToolsetQualys:
		if d.Qualys != nil {
			return d.Qualys.Username()
		}
	case ToolsetHalo:
		if d.Halo != nil {
			return d.Halo.Username()
		}
	}
	return ""
}

// Catalog returns every tool pci-mcp offers, whatever is configured, in a
// stable order: by toolset, then as listed. Each call gets its own slice;
// the tools in it are shared, and never changed once built.
func Catalog() []Tool { return slices.Clone(catalog()) }

// catalog is built once per process: the servers a process makes (tests
// make many) share its tools and their compiled input schemas.
var catalog = sync.OnceValue(func() []Tool {
	var all []Tool
	all = append(all, qualysTools()...)
	all = append(all, haloTools()...)
	return all
})
