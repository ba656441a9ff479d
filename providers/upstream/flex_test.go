package upstream

import (
	"encoding/json"
	"testing"
)

// unquote must decode exactly as encoding/json does, fast path or not.
var unquoteSeeds = []string{
	`""`, `"plain"`, `"May 26, 2025 at 06:49 AM GMT"`, `"Zürich ✓"`, `"tab\there"`, `"quote \" inside"`,
	`"back\\slash"`, `"\u00e9t\u00e9"`, `"\ud83d\ude00"`, "\"bad \xff utf-8\"", "\"raw \x01 control\"",
	`"unterminated`, `"`, `"a"b"`, `x"`, `"trailing space" `,
}

func FuzzUnquote(f *testing.F) {
	for _, s := range unquoteSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want string
		wantErr := json.Unmarshal(data, &want)
		got, err := unquote(data)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("unquote(%q): error %v, encoding/json: %v", data, err, wantErr)
		}
		if err == nil && got != want {
			t.Fatalf("unquote(%q) = %q, encoding/json: %q", data, got, want)
		}
	})
}
