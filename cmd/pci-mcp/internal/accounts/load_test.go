package accounts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixture is a temporary directory with an accounts file and secret files.
type fixture struct {
	t   *testing.T
	dir string
	env map[string]string
}

func newFixture(t *testing.T) *fixture {
	return &fixture{t: t, dir: t.TempDir(), env: map[string]string{}}
}

func (f *fixture) file(name, content string, mode os.FileMode) string {
	path := filepath.Join(f.dir, name)
	require.NoError(f.t, os.WriteFile(path, []byte(content), mode))
	require.NoError(f.t, os.Chmod(path, mode))
	return path
}

func (f *fixture) load(accountsJSON string, only ...string) (*Set, error) {
	path := ""
	if accountsJSON != "" {
		path = f.file("accounts.json", strings.ReplaceAll(accountsJSON, "$DIR", f.dir), 0o644)
	}
	return Load(Options{File: path, Only: only, Getenv: func(k string) string { return f.env[k] }})
}

func TestLoadTheIssuesExample(t *testing.T) {
	f := newFixture(t)
	f.env["ACME_US_QUALYS_PASSWORD"] = "us-secret"
	f.env["ACME_EU_QUALYS_USER"] = "acme_eu_pci"
	f.env["ACME_HALO_KEY"] = "halo-secret"
	f.file("acme-eu", "eu-secret\n", 0o600)
	set, err := f.load(`{"accounts": [
	  {"name": "acme-us", "provider": "qualys", "username": "acme_us_pci", "password_env": "ACME_US_QUALYS_PASSWORD"},
	  {"name": "acme-eu", "provider": "qualys", "url": "https://pci-api.qg2.apps.qualys.eu", "username_env": "ACME_EU_QUALYS_USER", "password_file": "$DIR/acme-eu"},
	  {"name": "acme", "provider": "halo", "api_key_env": "ACME_HALO_KEY"}
	]}`)
	require.NoError(t, err)

	q := set.Of(Qualys)
	require.Len(t, q, 2)
	assert.Equal(t, "acme-us", q[0].Name)
	assert.True(t, q[0].Default, "the first listed is the default")
	assert.Equal(t, Setting{"acme_us_pci", Origin{Kind: OriginInline}}, q[0].Username)
	assert.Equal(t, Setting{"us-secret", Origin{OriginEnv, "ACME_US_QUALYS_PASSWORD"}}, q[0].Password)
	assert.Equal(t, OriginDefault, q[0].URL.Origin.Kind)
	assert.Empty(t, q[0].URL.Value)
	assert.Equal(t, `username "acme_us_pci" in the accounts file and ACME_US_QUALYS_PASSWORD`, q[0].CredentialSources())

	assert.False(t, q[1].Default)
	assert.Equal(t, "https://pci-api.qg2.apps.qualys.eu", q[1].URL.Value)
	assert.Equal(t, Setting{"eu-secret", Origin{OriginFile, f.dir + "/acme-eu"}}, q[1].Password, "the file's trailing newline is not part of the secret")
	assert.Equal(t, "ACME_EU_QUALYS_USER and the file "+f.dir+"/acme-eu", q[1].CredentialSources())

	h := set.Of(Halo)
	require.Len(t, h, 1)
	assert.Equal(t, "halo-secret", h[0].APIKey.Value)
	assert.True(t, h[0].Default)
	assert.ElementsMatch(t, []string{"us-secret", "eu-secret", "halo-secret"}, set.Secrets())
}

func TestDefaultAndSelection(t *testing.T) {
	f := newFixture(t)
	f.env["P"] = "pw"
	f.env["QUALYS_USERNAME"], f.env["QUALYS_PASSWORD"] = "env-user", "env-pw"
	f.env["HALO_API_KEY"] = "env-key"
	file := `{"accounts": [
	  {"name": "acme-us", "provider": "qualys", "username": "u1", "password_env": "P"},
	  {"name": "acme-eu", "provider": "qualys", "username": "u2", "password_env": "P", "default": true},
	  {"name": "acme", "provider": "halo", "api_key_env": "P"}
	]}`
	set, err := f.load(file)
	require.NoError(t, err)
	assert.Equal(t, []string{"acme-us", "acme-eu", "default"}, set.Names(Qualys), "the file's accounts come first")
	assert.Equal(t, []string{"acme", "default"}, set.Names(Halo))
	defaults := func(s *Set, p Provider) (out []string) {
		for _, a := range s.Of(p) {
			if a.Default {
				out = append(out, a.Name)
			}
		}
		return out
	}
	assert.Equal(t, []string{"acme-eu"}, defaults(set, Qualys), `"default": true wins over the first listed`)
	assert.Equal(t, []string{"acme"}, defaults(set, Halo))
	env := set.Of(Qualys)[2]
	assert.Equal(t, Setting{"env-user", Origin{OriginEnv, "QUALYS_USERNAME"}}, env.Username)
	assert.Equal(t, "QUALYS_USERNAME and QUALYS_PASSWORD", env.CredentialSources())

	// --accounts keeps only the named ones; with the marked default gone,
	// the first one left is the default.
	set, err = f.load(file, "acme-us", "default")
	require.NoError(t, err)
	assert.Equal(t, []string{"acme-us", "default"}, set.Names(Qualys))
	assert.Equal(t, []string{"acme-us"}, defaults(set, Qualys))
	assert.Equal(t, []string{"default"}, set.Names(Halo), "a name selects that name of every provider")

	_, err = f.load(file, "acme-xx")
	require.EqualError(t, err, `--accounts: no account is named "acme-xx"; the accounts are: acme-us (qualys), acme-eu (qualys), acme (halo), default (qualys), default (halo)`)
}

func TestNoAccountsIsNotAnError(t *testing.T) {
	set, err := newFixture(t).load("")
	require.NoError(t, err)
	assert.Empty(t, set.All())
}

// TestFileErrors: every problem in the file fails with a message naming the
// account and the field.
func TestFileErrors(t *testing.T) {
	const qualysOK = `"provider": "qualys", "username": "u", "password_env": "SET"`
	tests := []struct {
		name, file, want string
		env              map[string]string
		secretMode       os.FileMode
		withEnvAcct      bool
	}{
		{name: "not JSON", file: `{"accounts": [`, want: `is not a JSON object: line 1: unexpected end of JSON input`},
		{name: "unknown top-level field", file: `{"accounts": [], "acounts": []}`, want: `acounts: is not a field of the accounts file; it holds only "accounts"`},
		{name: "no accounts", file: `{"accounts": []}`, want: `accounts: lists no account`},
		{name: "missing name", file: `{"accounts": [{"provider": "qualys"}]}`, want: `account "accounts[0]": name: is missing`},
		{name: "bad name", file: `{"accounts": [{"name": "Acme US", ` + qualysOK + `}]}`,
			want: `account "accounts[0]": name: "Acme US" ` + nameRule},
		{name: "long name", file: `{"accounts": [{"name": "` + strings.Repeat("a", 33) + `", ` + qualysOK + `}]}`,
			want: `account "accounts[0]": name: "` + strings.Repeat("a", 33) + `" ` + nameRule},
		{name: "unknown provider", file: `{"accounts": [{"name": "acme", "provider": "nessus"}]}`,
			want: `account "acme": provider: "nessus" is not a provider; use qualys or halo`},
		{name: "unknown field", file: `{"accounts": [{"name": "acme", ` + qualysOK + `, "passwrd_env": "X"}]}`,
			want: `account "acme": passwrd_env: is not a field of a qualys account`},
		{name: "another provider's field", file: `{"accounts": [{"name": "acme", ` + qualysOK + `, "api_key_env": "X"}]}`,
			want: `account "acme": api_key_env: is not a field of a qualys account`},
		{name: "inline secret", file: `{"accounts": [{"name": "acme", "provider": "halo", "api_key": "k-123"}]}`,
			want: `account "acme": api_key: a secret is never written in the accounts file: give api_key_env (an environment variable) or api_key_file (a file readable only by its owner)`},
		{name: "missing secret", file: `{"accounts": [{"name": "acme", "provider": "qualys", "username": "u"}]}`,
			want: `account "acme": password_env: is missing: give password_env (an environment variable) or password_file (a file readable only by its owner)`},
		{name: "missing user name", file: `{"accounts": [{"name": "acme", "provider": "qualys", "password_env": "SET"}]}`,
			want: `account "acme": username: is missing: give username, username_env or username_file`},
		{name: "unset variable", file: `{"accounts": [{"name": "acme", "provider": "qualys", "username": "u", "password_env": "ACME_PW"}]}`,
			want: `account "acme": password_env: the environment variable ACME_PW is not set`},
		{name: "two forms", file: `{"accounts": [{"name": "acme", ` + qualysOK + `, "password_file": "/x"}]}`,
			want: `account "acme": password_file: give only one of password_env, password_file`},
		{name: "secret file readable by others", secretMode: 0o644,
			file: `{"accounts": [{"name": "acme", "provider": "halo", "api_key_file": "$DIR/key"}]}`,
			want: `account "acme": api_key_file: $DIR/key is readable by group or others (mode 0644); a secret's file must be readable only by its owner: chmod 600 $DIR/key`},
		{name: "secret file readable by group", secretMode: 0o640,
			file: `{"accounts": [{"name": "acme", "provider": "halo", "api_key_file": "$DIR/key"}]}`,
			want: `account "acme": api_key_file: $DIR/key is readable by group or others (mode 0640)`},
		{name: "missing secret file",
			file: `{"accounts": [{"name": "acme", "provider": "halo", "api_key_file": "$DIR/nope"}]}`,
			want: `account "acme": api_key_file: cannot read $DIR/nope: no such file or directory`},
		{name: "duplicate name", file: `{"accounts": [{"name": "acme", ` + qualysOK + `}, {"name": "acme", ` + qualysOK + `}]}`,
			want: `account "acme": name: another qualys account has this name; names are unique per provider`},
		{name: "two defaults", file: `{"accounts": [{"name": "a", ` + qualysOK + `, "default": true}, {"name": "b", ` + qualysOK + `, "default": true}]}`,
			want: `account "b": default: a is already the default qualys account; only one may be`},
		{name: "default not a boolean", file: `{"accounts": [{"name": "a", ` + qualysOK + `, "default": "yes"}]}`,
			want: `account "a": default: must be true or false, not "yes"`},
		{name: "bad URL scheme", file: `{"accounts": [{"name": "a", ` + qualysOK + `, "url": "ftp://x"}]}`,
			want: `account "a": url: "ftp://x" must start with https://`},
		{name: "plain http beyond loopback", file: `{"accounts": [{"name": "a", ` + qualysOK + `, "url": "http://pci-api.example.com"}]}`,
			want: `account "a": url: "http://pci-api.example.com" would send the credentials unencrypted: use https:// (plain http:// only to a loopback address)`},
		{name: "URL without host", file: `{"accounts": [{"name": "a", ` + qualysOK + `, "url": "https://"}]}`,
			want: `account "a": url: "https://" has no host`},
		{name: "URL with credentials", file: `{"accounts": [{"name": "a", ` + qualysOK + `, "url": "https://u:p@x"}]}`,
			want: `account "a": url: the URL must not contain credentials`},
		{name: "URL by variable", env: map[string]string{"A_URL": "qualys.example"}, file: `{"accounts": [{"name": "a", ` + qualysOK + `, "url_env": "A_URL"}]}`,
			want: `account "a": url_env: "qualys.example" must start with https://`},
		{name: "clash with the environment's account", withEnvAcct: true,
			file: `{"accounts": [{"name": "default", ` + qualysOK + `}]}`,
			want: `account "default": name: the qualys environment variables make a qualys account named "default", and the accounts file has one too; rename the file's account`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.env["SET"] = "pw"
			for k, v := range tt.env {
				f.env[k] = v
			}
			if tt.withEnvAcct {
				f.env["QUALYS_USERNAME"], f.env["QUALYS_PASSWORD"] = "u", "p"
			}
			if tt.secretMode != 0 {
				f.file("key", "k", tt.secretMode)
			}
			_, err := f.load(tt.file)
			require.Error(t, err)
			want := "PCI_MCP_ACCOUNTS_FILE " + filepath.Join(f.dir, "accounts.json") + ": " + strings.ReplaceAll(tt.want, "$DIR", f.dir)
			assert.True(t, strings.HasPrefix(err.Error(), want), "got  %s\nwant %s", err, want)
		})
	}
}

func TestEnvironmentErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"user without password", map[string]string{"QUALYS_USERNAME": "u"}, `account "default": QUALYS_USERNAME/QUALYS_PASSWORD: set both, or neither`},
		{"bad Qualys URL", map[string]string{"QUALYS_USERNAME": "u", "QUALYS_PASSWORD": "p", "QUALYS_PCI_URL": "pci-api.qualys.com"},
			`account "default": QUALYS_PCI_URL: "pci-api.qualys.com" must start with https://`},
		{"plain http Halo URL", map[string]string{"HALO_API_KEY": "k", "HALO_API_URL": "http://api.example.com/api/v1"},
			`account "default": HALO_API_URL: "http://api.example.com/api/v1" would send the credentials unencrypted: use https:// (plain http:// only to a loopback address)`},
		{"bad Halo URL", map[string]string{"HALO_API_KEY": "k", "HALO_API_URL": "https://h/?x=1"},
			`account "default": HALO_API_URL: "https://h/?x=1" must be a base URL, without a query or fragment`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.env = tt.env
			_, err := f.load("")
			require.EqualError(t, err, tt.want)
		})
	}
}

func TestNewChecksAccountsGivenInCode(t *testing.T) {
	_, err := New([]Account{{Name: "x", Provider: "nessus"}}, nil)
	require.EqualError(t, err, `account "x": provider: "nessus" is not a provider; use qualys or halo`)
	_, err = New([]Account{{Name: "a", Provider: Halo}}, []string{"a", "b"})
	require.EqualError(t, err, `--accounts: no account is named "b"; the accounts are: a (halo)`)
}
