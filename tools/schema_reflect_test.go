package tools

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/invopop/jsonschema"

	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// The tools' schemas are reflected from their Go types here, in the tests,
// and written to schemas/ by `make schemas` (TestSchemaFiles -update); the
// server embeds and serves those snapshots, so neither the reflector nor
// its dependencies are in the binary, and no start-up pays for them.

// generate reflects a tool's input and output types into the schemas
// `make schemas` writes.
func generate(tool Tool) (input, output json.RawMessage) {
	return schemaFor(reflect.New(tool.inType).Interface(), true), schemaFor(reflect.New(tool.outType).Interface(), false)
}

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

// idKind marks, while a schema is reflected, the properties that are ids;
// spellIDs then writes their two accepted types.
const idKind = "x-pci-mcp-id"

// idSchema is what the reflector starts an id property with: the field's
// own tags (minimum, maxLength, pattern, description) are added to it.
func idSchema(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeFor[numericID]():
		return &jsonschema.Schema{Type: "integer", Extras: map[string]any{idKind: "integer"}}
	case reflect.TypeFor[textID]():
		return &jsonschema.Schema{Type: "string", Extras: map[string]any{idKind: "string"}}
	}
	return nil
}

// spellIDs rewrites every id property under s to accept both spellings:
// an integer id also takes a string of digits (at least 1 when its minimum
// is 1), a string id also takes an integer, read as its digits.
func spellIDs(s *jsonschema.Schema) {
	if s == nil {
		return
	}
	switch s.Extras[idKind] {
	case "integer":
		delete(s.Extras, idKind)
		s.Type = ""
		s.Extras["type"] = []string{"integer", "string"}
		s.Extras["pattern"] = digitsPattern
		if s.Minimum == "1" {
			s.Extras["pattern"] = positiveDigitsPattern
		}
	case "string":
		delete(s.Extras, idKind)
		s.Type = ""
		s.Extras["type"] = []string{"string", "integer"}
	}
	if len(s.Extras) == 0 {
		s.Extras = nil
	}
	if s.Properties != nil {
		for pair := s.Properties.Oldest(); pair != nil; pair = pair.Next() {
			spellIDs(pair.Value)
		}
	}
	spellIDs(s.Items)
}
