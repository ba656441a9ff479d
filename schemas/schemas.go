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

// Lookup returns the snapshot of a tool's input and output schemas, and
// whether both exist.
func Lookup(tool string) (input, output []byte, ok bool) {
	input, err1 := files.ReadFile(tool + ".input.json")
	output, err2 := files.ReadFile(tool + ".output.json")
	if err1 != nil || err2 != nil {
		return nil, nil, false
	}
	return input, output, true
}
