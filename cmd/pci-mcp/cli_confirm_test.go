package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConfirmerEscapesWhatItPrints: a question from a server (a remote one
// with --url) cannot move the cursor, clear the screen, hide or reorder
// text at the terminal: every control and format character but the line
// break, and every byte that is not UTF-8, is shown visibly instead.
func TestConfirmerEscapesWhatItPrints(t *testing.T) {
	hostile := "Qualys — Remove 1 host\n  1. 203.0.113.5\x1b[2J\x1b[H\rSafe: nothing will change\u202e\u200b\x07\u009b\x9b\xff\n\ttabbed \uFFFD"
	question := mcp.ElicitationRequest{Params: mcp.ElicitationParams{
		Mode: mcp.ElicitationModeForm, Message: hostile,
		RequestedSchema: map[string]any{"type": "object", "required": []string{"confirm"}},
	}}
	for _, conf := range []*confirmer{{yes: true}, {interactive: true, in: strings.NewReader("n\n")}} {
		var shown bytes.Buffer
		conf.out = &shown
		_, err := conf.Elicit(context.Background(), question)
		require.NoError(t, err)
		out := shown.String()
		for _, b := range []string{"\x1b", "\r", "\a", "\t", "\u202e", "\u200b", "\u009b", "\x9b", "\xff"} {
			assert.NotContains(t, out, b, "%q reaches the terminal", b)
		}
		assert.Contains(t, out, `203.0.113.5\x1b[2J\x1b[H\x0dSafe: nothing will change\u202e\u200b\x07\u009b\x9b\xff`)
		assert.Contains(t, out, "\n  1. 203.0.113.5", "line breaks stay")
		assert.Contains(t, out, `\x09tabbed `+"\uFFFD", "a real U+FFFD is printable")
	}
}
