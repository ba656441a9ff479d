package oauth

import (
	"encoding/json"
	"net/http"

	"github.com/pci-mcp/pci-mcp/tools/guard"
)

// ToolScopes says which scope each tool needs; a tool not in it is not
// served.
type ToolScopes map[string]string

// Allows reports whether id may see and call tool.
func (s ToolScopes) Allows(id guard.Identity, tool string) bool {
	scope, ok := s[tool]
	return ok && id.HasScope(scope)
}

// RequireScopes refuses, with 403 insufficient_scope, a tools/call of a
// tool the request's token has no scope for — before mcp-go sees it, so
// the refusal is an HTTP answer a client can act on (ask for the scope),
// not a "tool not found". body returns the request body read before.
func (v *Verifier) RequireScopes(scopes ToolScopes, body func(*http.Request) []byte, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := guard.IdentityFrom(r.Context())
		if !ok || r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		for _, tool := range calledTools(body(r)) {
			scope, known := scopes[tool]
			if known && !id.HasScope(scope) {
				v.InsufficientScope(w, r, scope, tool)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// calledTools lists the tools a JSON-RPC message (or batch) calls.
func calledTools(body []byte) []string {
	type call struct {
		Method string `json:"method"`
		Params struct {
			Name string `json:"name"`
		} `json:"params"`
	}
	var calls []call
	if err := json.Unmarshal(body, &calls); err != nil {
		var one call
		if json.Unmarshal(body, &one) != nil {
			return nil
		}
		calls = []call{one}
	}
	var out []string
	for _, c := range calls {
		if c.Method == "tools/call" {
			out = append(out, c.Params.Name)
		}
	}
	return out
}
