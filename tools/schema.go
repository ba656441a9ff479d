package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/invopop/jsonschema"
	validator "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// schemaFor reflects a tool's input or output type into a JSON Schema.
// Inputs are closed (additionalProperties: false) so a misspelt argument is
// an error rather than silently ignored; outputs are open, since upstream
// answers may carry fields we do not model.
func schemaFor(v any, input bool) json.RawMessage {
	r := &jsonschema.Reflector{
		Anonymous:                 true,
		DoNotReference:            true,
		ExpandedStruct:            true,
		AllowAdditionalProperties: !input,
		Mapper:                    mapUpstreamTypes,
	}
	s := r.Reflect(v)
	spellIDs(s)
	// "$schema" costs tokens in every tools/list and MCP already fixes the
	// dialect (2020-12).
	s.Version = ""
	data, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("tools: schema for %T: %v", v, err))
	}
	return data
}

// mapUpstreamTypes describes the tolerant upstream field types by what they
// decode to, and marks the input ids (ids.go).
func mapUpstreamTypes(t reflect.Type) *jsonschema.Schema {
	if s := idSchema(t); s != nil {
		return s
	}
	switch t {
	case reflect.TypeFor[upstream.Int]():
		return &jsonschema.Schema{Type: "integer"}
	case reflect.TypeFor[upstream.String]():
		return &jsonschema.Schema{Type: "string"}
	case reflect.TypeFor[upstream.Bool]():
		return &jsonschema.Schema{Type: "boolean"}
	}
	return nil
}

// compileSchema prepares an input schema for validating arguments.
func compileSchema(name string, schema json.RawMessage) *validator.Schema {
	doc, err := validator.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		panic(fmt.Sprintf("tools: %s input schema: %v", name, err))
	}
	c := validator.NewCompiler()
	url := "mem:///tools/" + name + ".input.json"
	if err := c.AddResource(url, doc); err != nil {
		panic(fmt.Sprintf("tools: %s input schema: %v", name, err))
	}
	compiled, err := c.Compile(url)
	if err != nil {
		panic(fmt.Sprintf("tools: %s input schema: %v", name, err))
	}
	return compiled
}
