package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	qrcode "github.com/skip2/go-qrcode"
	"github.com/spf13/cobra"

	"github.com/pci-mcp/pci-mcp/tools/guard/approval"
)

const approversLong = `pci-mcp approvers — the people who may approve destructive calls.

With --confirm approval (or --confirm-attest approval), a removal or an
attestation runs only once an approver approves it on the approval page, the
JSON API or with pci-mcp approve, by a current code from their authenticator
app (TOTP) or by a passkey. Approvers live in PCI_MCP_APPROVERS_FILE (default
$XDG_CONFIG_HOME/pci-mcp/approvers.json, else ~/.config/pci-mcp/approvers.json),
readable by its owner only.`

// newApproversCommand is `pci-mcp approvers add|list|remove`.
func newApproversCommand(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "approvers",
		Short: "enrol, list and remove the people who approve destructive calls",
		Long:  approversLong,
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageError("%s needs a command: add, list or remove; see %s --help", cmd.CommandPath(), cmd.CommandPath())
		},
	}
	cmd.AddCommand(newApproversAddCommand(c), newApproversListCommand(c), newApproversRemoveCommand(c))
	return cmd
}

// approversFile opens the approvers file the environment names.
func (c *cli) approversFile() (*approval.Approvers, error) {
	path, err := approval.DefaultApproversPath(c.getenv)
	if err != nil {
		return nil, usageError("%v", err)
	}
	file, err := approval.OpenApprovers(path)
	if err != nil {
		return nil, usageError("%s: %v", envApproversFile, err)
	}
	return file, nil
}

func newApproversAddCommand(c *cli) *cobra.Command {
	var title, url, subject string
	var passkey, noVerify bool
	cmd := &cobra.Command{
		Use:   "add NAME [--title TITLE] [--subject SUB] [--passkey] [--no-verify]",
		Short: "enrol an approver with an authenticator app (TOTP), or send them a passkey enrolment link",
		Long: `pci-mcp approvers add NAME enrols NAME with an authenticator app: it prints the
otpauth:// URI and its QR code, then asks for one current code to prove the
enrolment worked (--no-verify skips that, for scripts). With --passkey it
prints a one-time link (valid 10 minutes) to the approval page instead,
where NAME registers a passkey. An approver may have both. --subject SUB
records NAME's subject at the identity provider (the OAuth sub), so that
PCI_MCP_APPROVAL_FOUR_EYES can tell NAME apart from whoever asked for a call.`,
		DisableFlagsInUseLine: true,
		Args:                  exactArgs(1, "NAME"),
		RunE: func(_ *cobra.Command, args []string) error {
			file, err := c.approversFile()
			if err != nil {
				return err
			}
			name := strings.TrimSpace(args[0])
			enrol := func() error { return c.addTOTP(file, name, title, noVerify) }
			if passkey {
				enrol = func() error { return c.addPasskeyEnrolment(file, name, title, url) }
			}
			if err := enrol(); err != nil {
				return err
			}
			if subject == "" {
				return nil
			}
			// Only once enrolled: a failed enrolment saves nothing.
			if err := file.SetSubject(name, subject, time.Now()); err != nil {
				return usageError("--subject: %v", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&title, "title", "", "the approver's title, e.g. \"IT Director\"")
	cmd.Flags().StringVar(&subject, "subject", "", "the approver's subject at the identity provider (OAuth sub), for four eyes")
	cmd.Flags().BoolVar(&passkey, "passkey", false, "print a one-time passkey enrolment link instead")
	cmd.Flags().BoolVar(&noVerify, "no-verify", false, "do not ask for a code to check the enrolment (scripts)")
	cmd.Flags().StringVar(&url, "url", "", "base URL of the approval page for the link (default $"+envApprovalURL+")")
	return cmd
}

func (c *cli) addTOTP(file *approval.Approvers, name, title string, noVerify bool) error {
	secret, uri, err := approval.NewTOTPKey(name)
	if err != nil {
		return err
	}
	qr, err := qrcode.New(uri, qrcode.Medium)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Add this to %s's authenticator app (scan the code, or enter the URI):\n\n%s\n%s\n", terminalSafe(name), qr.ToSmallString(false), uri)
	if !noVerify {
		code, err := c.ask("Enter the current 6-digit code from the app: ")
		if err != nil {
			return err
		}
		if !approval.CheckTOTP(secret, code, time.Now()) {
			return usageError("that code does not match: nothing was saved; run pci-mcp approvers add %s again", name)
		}
	}
	if err := file.SetTOTP(name, title, secret, time.Now()); err != nil {
		return usageError("%v", err)
	}
	fmt.Fprintf(c.stdout, "Enrolled %s (authenticator app) in %s.\n", terminalSafe(name), file.Path())
	return nil
}

func (c *cli) addPasskeyEnrolment(file *approval.Approvers, name, title, url string) error {
	token, err := file.AddEnrolment(name, title, time.Now())
	if err != nil {
		return usageError("%v", err)
	}
	path := "/approvals/enrol/" + token
	base := strings.TrimRight(orDefault(url, c.getenv(envApprovalURL)), "/")
	if base == "" {
		fmt.Fprintf(c.stdout, "Open this path on the running server's approval page (its address is in the server's log, \"approval page\"), within 10 minutes, once:\n%s\n", path)
		return nil
	}
	fmt.Fprintf(c.stdout, "Send %s this one-time link (valid 10 minutes) to register a passkey:\n%s%s\n", terminalSafe(name), base, path)
	return nil
}

// ask prompts on stderr and reads one line from stdin.
func (c *cli) ask(prompt string) (string, error) {
	fmt.Fprint(c.stderr, prompt)
	line, err := bufio.NewReader(c.stdin).ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return "", usageError("no answer on standard input")
	}
	return strings.TrimSpace(line), nil
}

func newApproversListCommand(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "list the approvers: names, titles, factors and enrolment dates (never a secret)",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			file, err := c.approversFile()
			if err != nil {
				return err
			}
			list, err := file.List()
			if err != nil {
				return usageError("%v", err)
			}
			if len(list) == 0 {
				fmt.Fprintf(c.stdout, "No approver is enrolled in %s; enrol one with pci-mcp approvers add NAME.\n", file.Path())
				return nil
			}
			w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tTITLE\tFACTORS\tADDED")
			for _, ap := range list {
				factors := strings.Join(ap.Factors(), ", ")
				if len(ap.Passkeys) > 1 {
					factors += fmt.Sprintf(" (%d passkeys)", len(ap.Passkeys))
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", terminalSafe(ap.Name), terminalSafe(ap.Title), factors, ap.Added.Format("2006-01-02"))
			}
			return w.Flush()
		},
	}
}

func newApproversRemoveCommand(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "remove an approver and all their factors",
		Args:  exactArgs(1, "NAME"),
		RunE: func(_ *cobra.Command, args []string) error {
			file, err := c.approversFile()
			if err != nil {
				return err
			}
			found, err := file.Remove(args[0])
			if err != nil {
				return usageError("%v", err)
			}
			if !found {
				return usageError("no approver is named %q in %s", args[0], file.Path())
			}
			fmt.Fprintf(c.stdout, "Removed %s.\n", terminalSafe(args[0]))
			return nil
		},
	}
}

// exactArgs requires n arguments, named in the refusal.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError("%s takes %s; see %s --help", cmd.CommandPath(), names, cmd.CommandPath())
		}
		return nil
	}
}
