package tools

import (
	"encoding/json"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
)

// structuredResult returns out as structuredContent, and the same JSON as text
// for clients that ignore structured output. It marshals once and shares the
// bytes between the two.
func (d *Deps) structuredResult(out any) *mcp.CallToolResult {
	data, err := json.Marshal(out)
	if err != nil {
		// Every output type marshals; reaching this is a programming error.
		panic(fmt.Sprintf("encoding tool result: %v", err))
	}
	if d.Redactor.Contains(string(data)) {
		// Defence in depth: no provider answer should echo a credential, but
		// if one ever does, it stops here.
		data = []byte(d.Redactor.Redact(string(data)))
	}
	return &mcp.CallToolResult{
		Content:           []mcp.Content{mcp.NewTextContent(string(data))},
		StructuredContent: json.RawMessage(data),
	}
}

// errorText is a failed call's result: a sentence for a person, isError set.
func errorText(text string) *mcp.CallToolResult {
	return mcp.NewToolResultError(text)
}
