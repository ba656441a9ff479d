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
	text := string(data)
	if d.Redactor.Contains(text) {
		// Defence in depth: no provider answer should echo a credential, but
		// if one ever does, it stops here.
		text = d.Redactor.Redact(text)
		data = []byte(text)
	}
	return &mcp.CallToolResult{
		Content:           []mcp.Content{mcp.NewTextContent(text)},
		StructuredContent: json.RawMessage(data),
	}
}

// errorText is a failed call's result: a sentence for a person, isError set.
func errorText(text string) *mcp.CallToolResult {
	return mcp.NewToolResultError(text)
}
