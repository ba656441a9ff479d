package tools

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzToolArguments feeds arbitrary bytes to every tool's argument decoding
// and checks it never panics, that every refusal is an argument error a
// person can read (field named, no raw Go error text), and that accepted
// arguments are valid JSON objects. Seeds: testdata/fuzz/tool_arguments.
func FuzzToolArguments(f *testing.F) {
	catalog := Catalog()
	for _, seed := range readSeeds(f, "tool_arguments") {
		for i := range catalog {
			f.Add(uint8(i), []byte(seed))
		}
	}
	f.Fuzz(func(t *testing.T, index uint8, raw []byte) {
		i := int(index) % len(catalog)
		err := catalog[i].decode(raw)
		if err == nil {
			var obj map[string]any
			if json.Unmarshal(raw, &obj) != nil && len(strings.TrimSpace(string(raw))) > 0 && strings.TrimSpace(string(raw)) != "null" {
				t.Fatalf("%s accepted %q, which is not a JSON object", catalog[i].Name, raw)
			}
			return
		}
		var argErr *ArgumentError
		var argErrs argumentErrors
		if !errors.As(err, &argErr) && !errors.As(err, &argErrs) {
			t.Fatalf("%s refused %q with %T %v, not an argument error", catalog[i].Name, raw, err, err)
		}
		if strings.Contains(err.Error(), "json: ") {
			t.Fatalf("%s leaks a raw decoder error: %v", catalog[i].Name, err)
		}
	})
}

// readSeeds reads every file of testdata/fuzz/<name> as one seed.
func readSeeds(f *testing.F, name string) []string {
	dir := filepath.Join("..", "testdata", "fuzz", name)
	entries, err := os.ReadDir(dir)
	if err != nil {
		f.Fatalf("seed corpus %s: %v", dir, err)
	}
	var seeds []string
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, string(data))
	}
	return seeds
}
