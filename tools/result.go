package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/pci-mcp/pci-mcp/providers/upstream"
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

// redactResults is the last step of every tool call: whatever a handler
// built, no text or structured content leaves with a secret in it. Results
// shaped by structuredResult and errorResult are already clean; this catches
// the ones built elsewhere (guard refusals, panics, future tools).
func redactResults(redactor *upstream.Redactor) server.ToolHandlerMiddleware {
	return func(next server.ToolHandlerFunc) server.ToolHandlerFunc {
		return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			res, err := next(ctx, req)
			if err != nil {
				return nil, errors.New(redactor.Redact(err.Error()))
			}
			if res != nil {
				redactResult(redactor, res)
			}
			return res, nil
		}
	}
}

func redactResult(redactor *upstream.Redactor, res *mcp.CallToolResult) {
	for i, c := range res.Content {
		if text, ok := c.(mcp.TextContent); ok && redactor.Contains(text.Text) {
			text.Text = redactor.Redact(text.Text)
			res.Content[i] = text
		}
	}
	if res.StructuredContent == nil {
		return
	}
	data, err := json.Marshal(res.StructuredContent)
	if err != nil || !redactor.Contains(string(data)) {
		return
	}
	res.StructuredContent = json.RawMessage(redactor.RedactBytes(data))
}
