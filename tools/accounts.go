package tools

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/pci-mcp/pci-mcp/providers/halo"
	"github.com/pci-mcp/pci-mcp/providers/qualys"
	"github.com/pci-mcp/pci-mcp/tools/guard"
)

// This file is the per-call choice of account. A provider may have several
// named accounts (merchants); each call acts as exactly one. The pipeline
// (buildTool) resolves the call's account before it decodes anything else
// and hands the handler that account's view of Deps, so handlers keep using
// d.Qualys and d.Halo and cannot reach another merchant by mistake.
//
// With one account for a provider its tools are exactly as they always
// were: no account argument, schemas unchanged. With two or more, each of
// its tools takes account (an enum of the names, defaulting to the default
// account), and every result names the account it came from.

// accountArgument is the argument that chooses the account.
const accountArgument = "account"

// Account is one named account of one provider, as NewServer serves it.
// Exactly one of Qualys and Halo is set.
type Account struct {
	// Name is a short slug (acme-us), unique per provider.
	Name   string
	Qualys *qualys.Client
	Halo   *halo.Client
	// Default marks the account a call uses when it names none; with no
	// account marked, the provider's first is the default.
	Default bool
	// Credentials names where the account's credentials come from, for the
	// sentence a rejected call shows: "ACME_US_QUALYS_PASSWORD". Empty
	// means the single-account variables.
	Credentials string
}

// toolset is the provider the account belongs to.
func (a Account) toolset() Toolset {
	if a.Halo != nil {
		return ToolsetHalo
	}
	return ToolsetQualys
}

// accountChoice is one provider's accounts, each with its own view of Deps
// built once at start-up: choosing an account per call allocates nothing.
type accountChoice struct {
	toolset  Toolset
	names    []string // in configuration order
	fallback string   // the default account's name
	views    map[string]*Deps
}

// several reports whether calls choose among accounts.
func (c *accountChoice) several() bool { return c != nil && len(c.names) > 1 }

// newAccountChoices builds each provider's accounts and their views of
// base. The views share everything but the provider client, the account's
// name and credentials, and the memory of attestations started through it.
func newAccountChoices(base *Deps, accounts []Account, store guard.Store) (map[Toolset]*accountChoice, error) {
	attestations := NewAttestationMemory(store, attestationMemoryTTL)
	out := map[Toolset]*accountChoice{}
	marked := map[Toolset]string{}
	for _, a := range accounts {
		if (a.Qualys == nil) == (a.Halo == nil) {
			return nil, fmt.Errorf("account %q: exactly one of Qualys and Halo must be set", a.Name)
		}
		ts := a.toolset()
		c := out[ts]
		if c == nil {
			c = &accountChoice{toolset: ts, views: map[string]*Deps{}}
			out[ts] = c
		}
		if a.Name == "" || c.views[a.Name] != nil {
			return nil, fmt.Errorf("%s account %q: names must be set and unique", ts.provider(), a.Name)
		}
		if a.Default {
			if other := marked[ts]; other != "" {
				return nil, fmt.Errorf("%s accounts %q and %q are both marked default", ts.provider(), other, a.Name)
			}
			marked[ts] = a.Name
		}
		view := *base
		view.accounts = nil
		view.accountName, view.credentials = a.Name, a.Credentials
		switch ts {
		case ToolsetQualys:
			view.Qualys = a.Qualys
		case ToolsetHalo:
			view.Halo = a.Halo
			view.Attestations = attestations.forAccount(a.Name)
		}
		c.names = append(c.names, a.Name)
		c.views[a.Name] = &view
	}
	for ts, c := range out {
		c.fallback = cmp.Or(marked[ts], c.names[0])
		for _, view := range c.views {
			view.stampAccount = c.several()
		}
	}
	return out, nil
}

// forCall picks the call's view of Deps for toolset ts and returns the
// arguments without account, for the tool's own decoding. A bad account is
// an *ArgumentError naming the accounts there are.
func (d *Deps) forCall(ts Toolset, raw json.RawMessage) (*Deps, json.RawMessage, error) {
	c := d.accounts[ts]
	if c == nil {
		// Deps built by hand (tests) act as themselves.
		return d, raw, nil
	}
	if !c.several() {
		return c.views[c.fallback], raw, nil
	}
	name, rest, err := takeAccount(raw)
	if err != nil {
		return nil, nil, err
	}
	if name == nil {
		return c.views[c.fallback], rest, nil
	}
	view := c.views[*name]
	if view == nil {
		return nil, nil, argError(accountArgument, "%q is not a %s account of this server; the accounts are %s (default %s)",
			*name, ts.provider(), strings.Join(c.names, ", "), c.fallback)
	}
	return view, rest, nil
}

// takeAccount removes account from the arguments. Arguments that are not a
// JSON object are returned as they are, for the decoder's own error.
func takeAccount(raw json.RawMessage) (*string, json.RawMessage, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, raw, nil
	}
	var args map[string]json.RawMessage
	if json.Unmarshal(trimmed, &args) != nil {
		return nil, raw, nil
	}
	value, ok := args[accountArgument]
	if !ok {
		return nil, raw, nil
	}
	var name string
	if err := json.Unmarshal(value, &name); err != nil {
		return nil, nil, argError(accountArgument, "must be a string (an account name), not %s", bytes.TrimSpace(value))
	}
	delete(args, accountArgument)
	rest, err := json.Marshal(args)
	if err != nil {
		return nil, nil, err
	}
	return &name, rest, nil
}

// accountProperty is the schema of the account argument.
func (c *accountChoice) accountProperty() []byte {
	prop, _ := json.Marshal(struct {
		Type        string   `json:"type"`
		Enum        []string `json:"enum"`
		Default     string   `json:"default"`
		Description string   `json:"description"`
	}{"string", c.names, c.fallback, "Which " + c.toolset.provider() + " account (merchant) to act on."})
	return prop
}

// resultAccountProperty declares the account every result names.
var resultAccountProperty = []byte(`{"type":"string","description":"The account this came from."}`)

// withAccount returns t as served when its provider has several accounts:
// account first among the input's properties, and declared in the output.
func (c *accountChoice) withAccount(t Tool) Tool {
	if !c.several() {
		return t
	}
	t.InputSchema = prependProperty(t.InputSchema, accountArgument, c.accountProperty())
	t.OutputSchema = prependProperty(t.OutputSchema, accountArgument, resultAccountProperty)
	return t
}

// propertiesPrefix is how every reflected schema starts (schemaFor).
const propertiesPrefix = `{"properties":`

// prependProperty adds a property in front of a schema's properties,
// keeping the rest of the schema byte for byte.
func prependProperty(schema json.RawMessage, name string, prop []byte) json.RawMessage {
	if !bytes.HasPrefix(schema, []byte(propertiesPrefix+"{")) {
		panic(fmt.Sprintf("tools: schema does not start with %s: %.40s", propertiesPrefix, schema))
	}
	return slices.Concat([]byte(propertiesPrefix), prependMember(schema[len(propertiesPrefix):], name, prop))
}

// nameAccount makes a result name the account it came from, when the
// provider has several: first in the structured result, and at the start
// of any sentence.
func (d *Deps) nameAccount(res *mcp.CallToolResult) *mcp.CallToolResult {
	if !d.stampAccount || res == nil {
		return res
	}
	stamped := -1
	if data, ok := res.StructuredContent.(json.RawMessage); ok && bytes.HasPrefix(data, []byte("{")) {
		withAccount := json.RawMessage(d.withAccountMember(data))
		res.StructuredContent = withAccount
		for i, content := range res.Content {
			if text, ok := content.(mcp.TextContent); ok && text.Text == string(data) {
				text.Text = string(withAccount)
				res.Content[i], stamped = text, i
			}
		}
	}
	for i, content := range res.Content {
		if text, ok := content.(mcp.TextContent); ok && i != stamped {
			text.Text = "Account " + d.accountName + ": " + text.Text
			res.Content[i] = text
			break
		}
	}
	return res
}

// withAccountMember puts "account": the view's account in front of the
// members of the JSON object data, as results and resources of a provider
// with several accounts show it.
func (d *Deps) withAccountMember(data []byte) []byte {
	name, _ := json.Marshal(d.accountName)
	return prependMember(data, accountArgument, name)
}

// prependMember puts "name": value in front of the members of the JSON
// object that text starts with; text may go on past the object.
func prependMember(text []byte, name string, value []byte) []byte {
	key, _ := json.Marshal(name)
	out := slices.Concat([]byte("{"), key, []byte(":"), value)
	if rest := bytes.TrimSpace(text[1:]); len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
	}
	return append(out, text[1:]...)
}

// DefaultAccountName names the account of Options.Qualys and Options.Halo,
// as it names the one the single-account environment variables make.
const DefaultAccountName = "default"

// accountsGuide is the instructions' part about accounts: their names, and
// that the person decides which merchant is meant. It is empty when every
// served provider has a single account called "default": nothing to choose.
func accountsGuide(served map[Toolset]bool, accounts map[Toolset]*accountChoice) string {
	var lists []string
	choosing := false
	for _, ts := range Toolsets {
		c := accounts[ts]
		if !served[ts] || c == nil {
			continue
		}
		choosing = choosing || c.several()
		names := slices.Clone(c.names)
		for i, name := range names {
			if name == c.fallback && c.several() {
				names[i] += " (default)"
			}
		}
		lists = append(lists, fmt.Sprintf("%s: %s", ts.provider(), strings.Join(names, ", ")))
	}
	if !choosing && !slices.ContainsFunc(lists, func(l string) bool { return !strings.HasSuffix(l, ": "+DefaultAccountName) }) {
		return ""
	}
	text := " Accounts (merchants) served — " + strings.Join(lists, "; ") + "."
	if choosing {
		text += " Tools of a provider with several accounts take account; every result names its account. " +
			"When it is not clear which merchant the person means, ask them before calling; never guess."
	}
	return text
}

// accountDigest binds an arguments digest to the account the call acts
// on: what a person confirms or approves is the arguments and the
// merchant, so an approval or token for one account matches no other.
// Without a named account (Deps built by hand) it is the digest itself.
func accountDigest(account, digest string) string {
	if account == "" {
		return digest
	}
	sum := sha256.Sum256([]byte(account + "\x00" + digest))
	return hex.EncodeToString(sum[:16])
}
