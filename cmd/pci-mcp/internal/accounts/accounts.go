// Package accounts loads the named provider accounts pci-mcp serves: those
// of PCI_MCP_ACCOUNTS_FILE, then the one the single-account environment
// variables make (named "default"), narrowed by --accounts. It resolves
// every secret from its reference (an environment variable or an
// owner-only file) and rejects anything doubtful before start-up goes on,
// naming the account and the field.
package accounts

import (
	"fmt"
	"slices"
	"strings"
)

// Provider is the upstream an account belongs to; its values are the
// toolset names.
type Provider string

// The providers accounts can be for.
const (
	Qualys Provider = "qualys"
	Halo   Provider = "halo"
)

// Providers lists every provider, in the catalog's order.
var Providers = []Provider{Qualys, Halo}

// EnvAccountName names the account the single-account environment
// variables make.
const EnvAccountName = "default"

// validName reports whether name is an account name: a short slug of at
// most 32 lower-case letters, digits and hyphens, not starting with a
// hyphen, so it reads well in previews and audit lines and is safe in an
// enum. (A regular expression for it costs every start-up its compilation.)
func validName(name string) bool {
	if name == "" || len(name) > 32 || name[0] == '-' {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Origin says where a setting's value comes from.
type Origin struct {
	// Kind is "inline" (written in the accounts file), "env" (an environment
	// variable) or "file" (a file's contents).
	Kind string
	// Ref is the variable's name or the file's path; empty for inline.
	Ref string
}

// The kinds of Origin.
const (
	OriginInline = "inline"
	OriginEnv    = "env"
	OriginFile   = "file"
	// OriginDefault is a URL left out: the provider's usual base URL.
	OriginDefault = "default"
	// OriginSandbox is a simulated account's built-in setting.
	OriginSandbox = "sandbox"
)

// String says where the value comes from, for `pci-mcp accounts`.
func (o Origin) String() string {
	switch o.Kind {
	case OriginEnv:
		return "$" + o.Ref
	case OriginFile:
		return "file " + o.Ref
	}
	return o.Kind
}

// Setting is one resolved value and where it came from.
type Setting struct {
	Value  string
	Origin Origin
}

// Account is one named account of one provider, with its secrets resolved.
type Account struct {
	Name     string
	Provider Provider
	// URL is the API base URL; empty means the provider's default.
	URL Setting
	// Username and Password are a Qualys account's HTTP Basic credentials.
	Username Setting
	Password Setting
	// APIKey is a Halo account's key.
	APIKey Setting
	// Default marks the account a call uses when it names none.
	Default bool
}

// Secrets are the account's secret values, for the redactor.
func (a Account) Secrets() []string {
	var out []string
	for _, s := range []Setting{a.Password, a.APIKey} {
		if s.Value != "" {
			out = append(out, s.Value)
		}
	}
	return out
}

// CredentialSources names, for a person fixing rejected credentials, where
// this account's credentials come from: "ACME_US_QUALYS_PASSWORD", or
// "QUALYS_USERNAME and QUALYS_PASSWORD", or "the file /run/secrets/acme-eu".
// An inline user name is named by the account's field in the accounts file.
func (a Account) CredentialSources() string {
	var parts []string
	add := func(field string, s Setting) {
		switch s.Origin.Kind {
		case OriginEnv:
			parts = append(parts, s.Origin.Ref)
		case OriginFile:
			parts = append(parts, "the file "+s.Origin.Ref)
		case OriginInline:
			parts = append(parts, fmt.Sprintf("%s %q in the accounts file", field, s.Value))
		}
	}
	switch a.Provider {
	case Qualys:
		add("username", a.Username)
		add("password", a.Password)
	case Halo:
		add("api_key", a.APIKey)
	}
	return strings.Join(parts, " and ")
}

// Set is the accounts pci-mcp serves, in configuration order: the file's
// accounts first, then the environment's.
type Set struct {
	accounts []Account
}

// All returns every account, in configuration order; a nil Set has none.
func (s *Set) All() []Account {
	if s == nil {
		return nil
	}
	return slices.Clone(s.accounts)
}

// Of returns the provider's accounts, in configuration order.
func (s *Set) Of(p Provider) []Account {
	var out []Account
	for _, a := range s.All() {
		if a.Provider == p {
			out = append(out, a)
		}
	}
	return out
}

// Secrets are every account's secret values.
func (s *Set) Secrets() []string {
	var out []string
	for _, a := range s.All() {
		out = append(out, a.Secrets()...)
	}
	return out
}

// Names lists the provider's account names, in configuration order.
func (s *Set) Names(p Provider) []string {
	var out []string
	for _, a := range s.Of(p) {
		out = append(out, a.Name)
	}
	return out
}

// Error is one problem with the accounts: which account, which field, why.
type Error struct {
	// File is the accounts file, or empty for the environment's account or
	// the selection.
	File    string
	Account string
	Field   string
	Reason  string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		fmt.Fprintf(&b, "PCI_MCP_ACCOUNTS_FILE %s: ", e.File)
	}
	if e.Account != "" {
		fmt.Fprintf(&b, "account %q: ", e.Account)
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}
