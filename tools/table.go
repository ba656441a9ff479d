package tools

import (
	"fmt"
	"strings"
)

// ToolTable renders the catalog as the Markdown table the README carries.
func ToolTable(catalog []Tool) string {
	var b strings.Builder
	b.WriteString("| tool | toolset | kind | what it does |\n|---|---|---|---|\n")
	for _, t := range catalog {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", t.Name, t.Toolset, t.Kind(), strings.ReplaceAll(t.Summary(), "|", "\\|"))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// Kind describes a tool's effect in one word: read, write or destructive.
func (t Tool) Kind() string {
	switch {
	case t.ReadOnly():
		return "read"
	case t.Destructive():
		return "destructive (confirmed)"
	}
	return "write"
}
