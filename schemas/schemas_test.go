package schemas

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"testing"
)

// TestCompactIsEncodingJSONCompact: on every snapshot, and on strings that
// hold what looks like whitespace or quotes, compact gives exactly what
// encoding/json's Compact gives.
func TestCompactIsEncodingJSONCompact(t *testing.T) {
	inputs := [][]byte{
		[]byte("{\n  \"a b\": \"x \\\" y\\\\\",\n  \"c\": [ 1, 2 ],\t\"d\": \"line\\nbreak  kept\"\r\n}\n"),
		[]byte(`{ "p": "^\\d{1,18}$", "q": "\\\\", "r": "\\\" x\\", "s": "", "t" : [ "", " ", "\"", "\\" ] }`),
		[]byte(`[ true , false , null , -1.5e+3 , { } , [ ] ]`),
	}
	names, err := fs.Glob(files, "*.json")
	if err != nil || len(names) == 0 {
		t.Fatalf("no snapshots embedded: %v", err)
	}
	for _, name := range names {
		data, err := files.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, data)
	}
	for _, in := range inputs {
		var want bytes.Buffer
		if err := json.Compact(&want, in); err != nil {
			t.Fatalf("%.40q: %v", in, err)
		}
		if got := compact(in); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("compact(%.60q) = %.200s, want %.200s", in, got, want.Bytes())
		}
	}
}

func BenchmarkLookupEveryTool(b *testing.B) {
	names, err := fs.Glob(files, "*.input.json")
	if err != nil || len(names) == 0 {
		b.Fatalf("no snapshots embedded: %v", err)
	}
	for b.Loop() {
		for _, name := range names {
			if _, _, ok := Lookup(name[:len(name)-len(".input.json")]); !ok {
				b.Fatal(name)
			}
		}
	}
}
