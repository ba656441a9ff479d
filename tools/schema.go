package tools

import (
	"bytes"
	"encoding/json"
	"fmt"

	validator "github.com/santhosh-tekuri/jsonschema/v6"
)

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
