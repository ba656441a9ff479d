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

// TestBool: every spelling of yes and no an upstream uses decodes to the
// same boolean, which encodes as a JSON boolean; anything else fails.
func TestBool(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{`true`, true}, {`false`, false}, {`1`, true}, {`0`, false},
		{`"1"`, true}, {`"0"`, false}, {`"true"`, true}, {`"False"`, false}, {`"yes"`, true}, {`" no "`, false}, {`""`, false},
	} {
		var b Bool
		if err := json.Unmarshal([]byte(tt.in), &b); err != nil || bool(b) != tt.want {
			t.Errorf("Bool from %s = %v, %v; want %v", tt.in, b, err, tt.want)
		}
		out, _ := json.Marshal(b)
		if string(out) != map[bool]string{true: "true", false: "false"}[tt.want] {
			t.Errorf("Bool from %s encodes as %s", tt.in, out)
		}
	}
	for _, bad := range []string{`2`, `"maybe"`, `[]`, `{}`} {
		var b Bool
		if err := json.Unmarshal([]byte(bad), &b); err == nil {
			t.Errorf("Bool from %s: no error", bad)
		}
	}
}
