// Package schemas holds the checked-in JSON Schema of every tool's input and
// output (NAME.input.json, NAME.output.json), generated from the tools'
// Go types by `make schemas` and embedded in the binary. pci-mcp serves
// these snapshots instead of reflecting the types at every start, which a
// client launching the server waits for; the drift tests in tools/ prove
// them equal to what the types generate.
package schemas

import "embed"

//go:embed *.json
var files embed.FS

// Lookup returns a tool's input and output schemas as compact JSON, byte
// for byte what the reflector generates, and whether both snapshots exist.
func Lookup(tool string) (input, output []byte, ok bool) {
	in, err1 := files.ReadFile(tool + ".input.json")
	out, err2 := files.ReadFile(tool + ".output.json")
	if err1 != nil || err2 != nil {
		return nil, nil, false
	}
	return compact(in), compact(out), true
}

// compact removes the indentation `make schemas` writes for review: every
// space, tab and line break outside a string. On valid JSON this is what
// encoding/json's Compact does, without its validation, which costs several
// times more and which the drift tests do once instead.
func compact(data []byte) []byte {
	out := make([]byte, 0, len(data))
	inString, escaped := false, false
	for _, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		case c == '"':
			inString = true
		}
		out = append(out, c)
	}
	return out
}
