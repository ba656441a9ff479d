package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pci-mcp/pci-mcp/cmd/pci-mcp/internal/accounts"
	"github.com/pci-mcp/pci-mcp/providers/halo"
	"github.com/pci-mcp/pci-mcp/providers/qualys"
	"github.com/pci-mcp/pci-mcp/providers/upstream"
	"github.com/pci-mcp/pci-mcp/tools"
)

const accountsSynopsis = `pci-mcp accounts — list the accounts pci-mcp would serve.

Lists every configured account (PCI_MCP_ACCOUNTS_FILE's, then the one the
single-account variables make, named default; narrowed by --accounts): its
name, provider, API URL and where each of its secrets comes from. A secret
itself is never printed.

With --check, pci-mcp makes one harmless read per account (Qualys: list one
scan; Halo: user/me.json) and says which work. Exit status: 0 all listed (or
all work), 1 an account's check failed, 2 a configuration error.

Examples:
  pci-mcp accounts
  PCI_MCP_ACCOUNTS_FILE=accounts.json pci-mcp accounts --check
  pci-mcp accounts --sandbox --check`

// newAccountsCommand is `pci-mcp accounts`.
func newAccountsCommand(c *cli) *cobra.Command {
	var check bool
	cmd := &cobra.Command{
		Use:                   "accounts [--check]",
		Short:                 "list the configured accounts (--check: try each one)",
		Long:                  accountsSynopsis,
		Annotations:           map[string]string{servesAnnotation: "true"},
		DisableFlagsInUseLine: true,
		Args:                  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.config(cmd)
			if err != nil {
				return err
			}
			if cfg.sandbox.enabled {
				sb, err := startSandbox(cfg)
				if err != nil {
					return err
				}
				defer sb.Close()
			}
			all := cfg.accounts.All()
			if len(all) == 0 {
				return usageError("no account is configured: set %s and %s for Qualys PCI, or %s for Halo Security, or name accounts in %s",
					envQualysUsername, envQualysPassword, envHaloAPIKey, envAccountsFile)
			}
			if !check {
				return listAccounts(c.stdout, all)
			}
			return checkAccounts(cmd.Context(), c.stdout, cfg, all)
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "make one harmless read per account and say which work")
	return cmd
}

// listAccounts prints one line per account.
func listAccounts(w io.Writer, all []accounts.Account) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPROVIDER\tDEFAULT\tURL\tSECRETS FROM")
	for _, a := range all {
		def := ""
		if a.Default {
			def = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.Name, a.Provider, def, accountURL(a), secretSources(a))
	}
	return tw.Flush()
}

// accountURL is the API base URL an account calls.
func accountURL(a accounts.Account) string {
	if a.URL.Value != "" {
		return a.URL.Value
	}
	if a.Provider == accounts.Halo {
		return halo.DefaultBaseURL + " (default)"
	}
	return qualys.DefaultBaseURL + " (default)"
}

// secretSources says where each credential comes from, never what it is.
func secretSources(a accounts.Account) string {
	from := func(s accounts.Setting) string {
		if s.Origin.Kind == accounts.OriginSandbox {
			return "built into the sandbox"
		}
		return "from " + s.Origin.String()
	}
	switch a.Provider {
	case accounts.Qualys:
		user := "username " + from(a.Username)
		if a.Username.Origin.Kind == accounts.OriginInline {
			// A user name is not a secret: the file spells it out.
			user = fmt.Sprintf("username %q", a.Username.Value)
		}
		return user + ", password " + from(a.Password)
	case accounts.Halo:
		return "api key " + from(a.APIKey)
	}
	return ""
}

// checkAccounts tries every account with one harmless read, prints which
// work and fails with status 1 if any does not.
func checkAccounts(ctx context.Context, w io.Writer, cfg *config, all []accounts.Account) error {
	var secrets []string
	for _, a := range all {
		secrets = append(secrets, upstream.BasicAuthSecrets(a.Username.Value, a.Password.Value)...)
		secrets = append(secrets, a.APIKey.Value)
	}
	redactor := upstream.NewRedactor(secrets...)
	settings := upstream.Settings{Timeout: cfg.upstream.timeout, Concurrency: 1, MaxAttempts: 1, Redactor: redactor}
	failed := 0
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, a := range all {
		result := "ok"
		if err := checkAccount(ctx, a, settings); err != nil {
			failed++
			result = "FAILED: " + redactor.Redact(err.Error())
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", a.Name, a.Provider, result)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if failed > 0 {
		return &exitError{code: exitToolError, msg: fmt.Sprintf("%d of %d accounts failed their check", failed, len(all))}
	}
	return nil
}

// checkAccount makes the account's one harmless read.
func checkAccount(ctx context.Context, a accounts.Account, settings upstream.Settings) error {
	ta, err := newAccountClient(a, "pci-mcp/"+currentVersion(), settings)
	if err != nil {
		return err
	}
	switch {
	case ta.Qualys != nil:
		_, err = ta.Qualys.ListScans(ctx, qualys.ListOptions{Limit: 1})
	case ta.Halo != nil:
		_, err = ta.Halo.User(ctx)
	}
	if ue, ok := upstream.AsError(err); ok && ue.Unauthorized() {
		return fmt.Errorf("%s rejected the credentials (HTTP %d): check %s", providerName(ta), ue.StatusCode, a.CredentialSources())
	}
	if err != nil {
		return fmt.Errorf("%s", strings.TrimSpace(err.Error()))
	}
	return nil
}

func providerName(a tools.Account) string {
	if a.Halo != nil {
		return halo.ProviderName
	}
	return qualys.ProviderName
}
