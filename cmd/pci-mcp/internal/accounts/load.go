package accounts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
)

// The single-account environment variables: with them set, pci-mcp serves
// an account named "default" as it always has.
const (
	EnvQualysUsername = "QUALYS_USERNAME"
	EnvQualysPassword = "QUALYS_PASSWORD"
	EnvQualysURL      = "QUALYS_PCI_URL"
	EnvHaloAPIKey     = "HALO_API_KEY"
	EnvHaloURL        = "HALO_API_URL"
)

// Options say where Load finds the accounts.
type Options struct {
	// File is PCI_MCP_ACCOUNTS_FILE's path; empty means no file.
	File string
	// Only is --accounts / PCI_MCP_ACCOUNTS: serve only the accounts of
	// these names (of whichever provider); empty serves all.
	Only []string
	// Getenv reads the environment: the single-account variables and every
	// *_env reference.
	Getenv func(string) string
}

// Load reads the accounts file, adds the environment's account, checks the
// whole and applies the selection. No file and no environment account is
// an empty set, not an error: the caller says which settings to give.
func Load(o Options) (*Set, error) {
	var all []Account
	if o.File != "" {
		fromFile, err := readFile(o.File, o.Getenv)
		if err != nil {
			return nil, err
		}
		all = fromFile
	}
	fromEnv, err := envAccounts(o.Getenv)
	if err != nil {
		return nil, err
	}
	for _, a := range fromEnv {
		for _, b := range all {
			if b.Provider == a.Provider && b.Name == a.Name {
				return nil, &Error{File: o.File, Account: a.Name, Field: "name", Reason: fmt.Sprintf(
					"the %s environment variables make a %s account named %q, and the accounts file has one too; rename the file's account",
					a.Provider, a.Provider, EnvAccountName)}
			}
		}
	}
	set, err := New(append(all, fromEnv...), o.Only)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.File == "" && e.Field != "--accounts" {
			e.File = o.File
		}
		return nil, err
	}
	return set, nil
}

// New checks accounts given in code (the sandbox's, or Load's) and keeps
// those only names, in order: names are slugs, unique per provider, at most
// one default per provider (else the first is the default).
func New(accounts []Account, only []string) (*Set, error) {
	seen := map[Provider]map[string]bool{}
	defaults := map[Provider]string{}
	for _, a := range accounts {
		if !slices.Contains(Providers, a.Provider) {
			return nil, &Error{Account: a.Name, Field: "provider", Reason: fmt.Sprintf("%q is not a provider; use qualys or halo", a.Provider)}
		}
		if !validName(a.Name) {
			return nil, &Error{Account: a.Name, Field: "name", Reason: nameRule}
		}
		if seen[a.Provider] == nil {
			seen[a.Provider] = map[string]bool{}
		}
		if seen[a.Provider][a.Name] {
			return nil, &Error{Account: a.Name, Field: "name", Reason: fmt.Sprintf("another %s account has this name; names are unique per provider", a.Provider)}
		}
		seen[a.Provider][a.Name] = true
		if a.Default {
			if other, ok := defaults[a.Provider]; ok {
				return nil, &Error{Account: a.Name, Field: "default", Reason: fmt.Sprintf("%s is already the default %s account; only one may be", other, a.Provider)}
			}
			defaults[a.Provider] = a.Name
		}
	}
	var kept []Account
	for _, name := range only {
		found := false
		for _, a := range accounts {
			found = found || a.Name == name
		}
		if !found {
			return nil, &Error{Field: "--accounts", Reason: fmt.Sprintf("no account is named %q; the accounts are: %s", name, describeNames(accounts))}
		}
	}
	for _, a := range accounts {
		if len(only) == 0 || slices.Contains(only, a.Name) {
			kept = append(kept, a)
		}
	}
	if len(accounts) > 0 && len(kept) == 0 {
		return nil, &Error{Field: "--accounts", Reason: "selects no account"}
	}
	// The default of each provider: the one marked, if still served, else
	// the first served.
	for _, p := range Providers {
		first, marked := -1, -1
		for i := range kept {
			if kept[i].Provider != p {
				continue
			}
			if first < 0 {
				first = i
			}
			if kept[i].Default {
				marked = i
			}
		}
		if marked < 0 && first >= 0 {
			kept[first].Default = true
		}
	}
	return &Set{accounts: kept}, nil
}

const nameRule = "must be a short slug: lower-case letters, digits and hyphens, starting with a letter or digit, at most 32 characters"

func describeNames(accounts []Account) string {
	parts := make([]string, len(accounts))
	for i, a := range accounts {
		parts[i] = fmt.Sprintf("%s (%s)", a.Name, a.Provider)
	}
	return strings.Join(parts, ", ")
}

// envAccounts is the account each provider's single-account variables make.
func envAccounts(getenv func(string) string) ([]Account, error) {
	var out []Account
	user, password := getenv(EnvQualysUsername), getenv(EnvQualysPassword)
	if (user == "") != (password == "") {
		return nil, &Error{Account: EnvAccountName, Field: EnvQualysUsername + "/" + EnvQualysPassword, Reason: "set both, or neither"}
	}
	if user != "" {
		a := Account{
			Name: EnvAccountName, Provider: Qualys,
			Username: Setting{user, Origin{OriginEnv, EnvQualysUsername}},
			Password: Setting{password, Origin{OriginEnv, EnvQualysPassword}},
			URL:      envURL(getenv, EnvQualysURL),
		}
		if err := checkURL(a.URL.Value); err != nil {
			return nil, &Error{Account: a.Name, Field: EnvQualysURL, Reason: err.Error()}
		}
		out = append(out, a)
	}
	if key := getenv(EnvHaloAPIKey); key != "" {
		a := Account{
			Name: EnvAccountName, Provider: Halo,
			APIKey: Setting{key, Origin{OriginEnv, EnvHaloAPIKey}},
			URL:    envURL(getenv, EnvHaloURL),
		}
		if err := checkURL(a.URL.Value); err != nil {
			return nil, &Error{Account: a.Name, Field: EnvHaloURL, Reason: err.Error()}
		}
		out = append(out, a)
	}
	return out, nil
}

func envURL(getenv func(string) string, name string) Setting {
	if v := getenv(name); v != "" {
		return Setting{v, Origin{OriginEnv, name}}
	}
	return Setting{Origin: Origin{Kind: OriginDefault}}
}

// checkURL accepts an API base URL: absolute https (plain http only to a
// loopback address, as a local fake or simulator is served: the account's
// password or API key goes in every request), a host, no credentials,
// query or fragment. Empty means the provider's default.
func checkURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a URL: %v", raw, errors.Unwrap(err))
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("%q must start with https://", raw)
	case u.Host == "":
		return fmt.Errorf("%q has no host", raw)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return fmt.Errorf("%q would send the credentials unencrypted: use https:// (plain http:// only to a loopback address)", raw)
	case u.User != nil:
		return errors.New("the URL must not contain credentials; give them in their own fields")
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q must be a base URL, without a query or fragment", raw)
	}
	return nil
}

// The fields of an account in the file. A setting is given as one of
// field, field_env or field_file; a secret only by _env or _file.
type fieldRule struct {
	name     string
	secret   bool
	required bool
}

var (
	commonFields = []string{"name", "provider", "default"}
	urlField     = fieldRule{name: "url"}
	qualysFields = []fieldRule{urlField, {name: "username", required: true}, {name: "password", secret: true, required: true}}
	haloFields   = []fieldRule{urlField, {name: "api_key", secret: true, required: true}}
)

func fieldsOf(p Provider) []fieldRule {
	switch p {
	case Qualys:
		return qualysFields
	case Halo:
		return haloFields
	}
	return nil
}

// readFile parses and resolves the accounts file.
func readFile(path string, getenv func(string) string) ([]Account, error) {
	fail := func(field, format string, args ...any) error {
		return &Error{File: path, Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fail("", "cannot be read: %v", errors.Unwrap(err))
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fail("", "is not a JSON object: %s", jsonProblem(data, err))
	}
	for _, key := range sortedKeys(top) {
		if key != "accounts" {
			return nil, fail(key, `is not a field of the accounts file; it holds only "accounts"`)
		}
	}
	var entries []map[string]json.RawMessage
	if raw, ok := top["accounts"]; !ok {
		return nil, fail("accounts", "is missing")
	} else if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fail("accounts", "must be a list of account objects: %s", jsonProblem(raw, err))
	}
	if len(entries) == 0 {
		return nil, fail("accounts", "lists no account")
	}
	out := make([]Account, 0, len(entries))
	for i, entry := range entries {
		a, err := parseAccount(entry, i, getenv)
		if err != nil {
			err.File = path
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// parseAccount reads one entry of the file. Its errors name the account by
// its name when it has a usable one, else by its place in the list.
func parseAccount(entry map[string]json.RawMessage, index int, getenv func(string) string) (Account, *Error) {
	a := Account{}
	label := fmt.Sprintf("accounts[%d]", index)
	fail := func(field, format string, args ...any) (Account, *Error) {
		return Account{}, &Error{Account: label, Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	if raw, ok := entry["name"]; !ok {
		return fail("name", "is missing")
	} else if json.Unmarshal(raw, &a.Name) != nil || !validName(a.Name) {
		return fail("name", "%s %s", bytes.TrimSpace(raw), nameRule)
	}
	label = a.Name
	var provider string
	if raw, ok := entry["provider"]; !ok {
		return fail("provider", "is missing; use qualys or halo")
	} else if json.Unmarshal(raw, &provider) != nil || fieldsOf(Provider(provider)) == nil {
		return fail("provider", "%s is not a provider; use qualys or halo", bytes.TrimSpace(raw))
	}
	a.Provider = Provider(provider)
	if raw, ok := entry["default"]; ok && json.Unmarshal(raw, &a.Default) != nil {
		return fail("default", "must be true or false, not %s", bytes.TrimSpace(raw))
	}

	rules := fieldsOf(a.Provider)
	for _, key := range sortedKeys(entry) {
		if slices.Contains(commonFields, key) {
			continue
		}
		if !slices.ContainsFunc(rules, func(r fieldRule) bool { return key == r.name || key == r.name+"_env" || key == r.name+"_file" }) {
			return fail(key, "is not a field of a %s account", a.Provider)
		}
	}
	for _, rule := range rules {
		s, err := resolve(entry, rule, getenv)
		if err != nil {
			err.Account = label
			return Account{}, err
		}
		switch rule.name {
		case "url":
			if err := checkURL(s.Value); err != nil {
				return fail(fieldName(rule.name, s.Origin), "%v", err)
			}
			if s.Origin.Kind == "" {
				s.Origin.Kind = OriginDefault
			}
			a.URL = s
		case "username":
			a.Username = s
		case "password":
			a.Password = s
		case "api_key":
			a.APIKey = s
		}
	}
	return a, nil
}

// fieldName is the key a setting was given under.
func fieldName(name string, o Origin) string {
	switch o.Kind {
	case OriginEnv:
		return name + "_env"
	case OriginFile:
		return name + "_file"
	}
	return name
}

// validEnvName reports whether s can name an environment variable: a
// letter or underscore, then letters, digits and underscores.
func validEnvName(s string) bool {
	if s == "" || '0' <= s[0] && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// resolve reads one setting from whichever of its three forms is given.
func resolve(entry map[string]json.RawMessage, rule fieldRule, getenv func(string) string) (Setting, *Error) {
	fail := func(field, format string, args ...any) (Setting, *Error) {
		return Setting{}, &Error{Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	var given []string
	for _, key := range []string{rule.name, rule.name + "_env", rule.name + "_file"} {
		if _, ok := entry[key]; ok {
			given = append(given, key)
		}
	}
	switch {
	case len(given) > 1:
		return fail(given[1], "give only one of %s", strings.Join(given, ", "))
	case len(given) == 0 && rule.required:
		if rule.secret {
			return fail(rule.name+"_env", "is missing: give %s_env (an environment variable) or %s_file (a file readable only by its owner)", rule.name, rule.name)
		}
		return fail(rule.name, "is missing: give %s, %s_env or %s_file", rule.name, rule.name, rule.name)
	case len(given) == 0:
		return Setting{}, nil
	}
	key := given[0]
	var value string
	if err := json.Unmarshal(entry[key], &value); err != nil || value == "" {
		return fail(key, "must be a non-empty string")
	}
	switch key {
	case rule.name:
		if rule.secret {
			return fail(key, "a secret is never written in the accounts file: give %s_env (an environment variable) or %s_file (a file readable only by its owner)", rule.name, rule.name)
		}
		return Setting{value, Origin{Kind: OriginInline}}, nil
	case rule.name + "_env":
		if !validEnvName(value) {
			return fail(key, "%q is not an environment variable name", value)
		}
		v := getenv(value)
		if v == "" {
			return fail(key, "the environment variable %s is not set", value)
		}
		return Setting{v, Origin{OriginEnv, value}}, nil
	}
	v, err := readSettingFile(value, rule.secret)
	if err != nil {
		return fail(key, "%v", err)
	}
	return Setting{v, Origin{OriginFile, value}}, nil
}

// readSettingFile reads a setting's file: its contents without the
// trailing newline. A secret's file must be readable by its owner only.
func readSettingFile(path string, secret bool) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %v", path, errors.Unwrap(err))
	}
	if !info.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); secret && perm&0o044 != 0 {
		return "", fmt.Errorf("%s is readable by group or others (mode %04o); a secret's file must be readable only by its owner: chmod 600 %s", path, perm, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %v", path, errors.Unwrap(err))
	}
	v := strings.TrimRight(string(data), "\r\n")
	if strings.TrimSpace(v) == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return v, nil
}

// jsonProblem says where the JSON went wrong, by line.
func jsonProblem(data []byte, err error) string {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		line := 1 + bytes.Count(data[:min(int(syntax.Offset), len(data))], []byte("\n"))
		return fmt.Sprintf("line %d: %v", line, syntax)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Sprintf("found %s", typ.Value)
	}
	return err.Error()
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// isLoopback reports whether host names this machine: localhost or a
// loopback address.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
