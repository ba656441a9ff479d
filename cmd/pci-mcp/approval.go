package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/spf13/pflag"

	"github.com/pci-mcp/pci-mcp/tools"
	"github.com/pci-mcp/pci-mcp/tools/guard"
	"github.com/pci-mcp/pci-mcp/tools/guard/approval"
)

// The approval route's settings and its page's place: with --transport
// http or sse the page shares the MCP listener under /approvals/; with
// stdio it gets a loopback listener of its own (PCI_MCP_APPROVAL_ADDR).

// Environment variables of the approval route.
const (
	envApprovalAddr    = "PCI_MCP_APPROVAL_ADDR"
	envApprovalURL     = "PCI_MCP_APPROVAL_URL"
	envApprovalWebhook = approval.EnvWebhook
	envApproversFile   = approval.EnvApproversFile
)

// approvalSettings configure the approval route.
type approvalSettings struct {
	// confirmAttest is --confirm-attest: halo_pci_attest's policy.
	confirmAttest string
	// approversFile is the approvers file's path (resolved from the
	// environment, $XDG_CONFIG_HOME or ~/.config).
	approversFile string
	// approversFileErr is why no path could be resolved (no HOME, no
	// XDG_CONFIG_HOME, no PCI_MCP_APPROVERS_FILE). It matters only when a
	// policy asks for approval: a client that launches pci-mcp with a bare
	// environment must still be able to start it.
	approversFileErr error
	addr             string
	baseURL          string
	webhook          string
}

// confirmUsage describes the policies once, for --confirm and --confirm-attest.
const confirmUsage = "auto (a form where the client can show one, else a token), token (always a token), elicitation (forms only), " +
	"approval (an enrolled approver's code or passkey on the approval page) or deny (the tools are not offered)"

func (c *config) approvalFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.approval.confirmAttest, "confirm-attest", "", "how halo_pci_attest is confirmed, as --confirm (default: --confirm's value)")
	bindEnv(fs, "confirm-attest", "PCI_MCP_CONFIRM_ATTEST")
}

// approvalEnv reads the approval route's environment-only settings.
func (c *config) approvalEnv(getenv func(string) string) error {
	c.approval.addr = orDefault(getenv(envApprovalAddr), "127.0.0.1:0")
	c.approval.baseURL = getenv(envApprovalURL)
	c.approval.webhook = getenv(envApprovalWebhook)
	c.approval.approversFile, c.approval.approversFileErr = approval.DefaultApproversPath(getenv)
	return nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// confirmPolicies are --confirm and --confirm-attest, checked.
func (c *config) confirmPolicies() (tools.ConfirmPolicies, error) {
	def, err := tools.ParseConfirmPolicy(c.confirm)
	if err != nil {
		return tools.ConfirmPolicies{}, usageError("--confirm: %v", err)
	}
	p := tools.ConfirmPolicies{Default: def}
	if c.approval.confirmAttest != "" {
		if p.Attest, err = tools.ParseConfirmPolicy(c.approval.confirmAttest); err != nil {
			return tools.ConfirmPolicies{}, usageError("--confirm-attest: %v", err)
		}
	}
	return p, nil
}

func (c *config) validateApproval() error {
	p, err := c.confirmPolicies()
	if err != nil {
		return err
	}
	if c.approval.baseURL != "" && !strings.HasPrefix(c.approval.baseURL, "http://") && !strings.HasPrefix(c.approval.baseURL, "https://") {
		return usageError("%s %q: must be an absolute http:// or https:// URL", envApprovalURL, c.approval.baseURL)
	}
	if p.Default == tools.ConfirmApproval || p.Attest == tools.ConfirmApproval {
		if _, _, err := net.SplitHostPort(c.approval.addr); err != nil {
			return usageError("%s %q: %v", envApprovalAddr, c.approval.addr, err)
		}
	}
	return nil
}

// usesApproval reports whether any policy is approval.
func usesApproval(p tools.ConfirmPolicies) bool {
	return p.Default == tools.ConfirmApproval || p.Attest == tools.ConfirmApproval
}

// newApprovals opens the approvers file and builds the approval service,
// when a policy asks for approval: an unsafe file, or no approver enrolled,
// stops the start with exit status 2.
func newApprovals(cfg *config, policies tools.ConfirmPolicies, store guard.Store, log *slog.Logger) (*approval.Service, error) {
	if !usesApproval(policies) {
		return nil, nil
	}
	if cfg.approval.approversFileErr != nil {
		return nil, usageError("%v", cfg.approval.approversFileErr)
	}
	file, err := approval.OpenApprovers(cfg.approval.approversFile)
	if err != nil {
		return nil, usageError("%s: %v", envApproversFile, err)
	}
	enrolled, err := file.Enrolled()
	if err != nil {
		return nil, usageError("%s: %v", envApproversFile, err)
	}
	if !enrolled {
		return nil, usageError("the confirmation policy is approval, but no approver is enrolled in %s: enrol one with `pci-mcp approvers add NAME`", file.Path())
	}
	svc, err := approval.New(approval.Options{
		Store: store, Approvers: file, TTL: cfg.confirmTTL, BaseURL: cfg.approval.baseURL,
		AuthToken: cfg.http.authToken, Webhook: cfg.approval.webhook, Logger: log, FourEyes: cfg.oauth.fourEyes,
	})
	if err != nil {
		return nil, usageError("%v", err)
	}
	return svc, nil
}

// linkBase is the base of approval links for a listener at addr: the
// configured PCI_MCP_APPROVAL_URL, else the listener itself. A loopback
// listener is named localhost, since passkeys cannot be bound to an IP
// address.
func (a *app) linkBase(addr net.Addr) string {
	if a.cfg.approval.baseURL != "" {
		return a.cfg.approval.baseURL
	}
	tcp, ok := addr.(*net.TCPAddr)
	if ok && tcp.IP.IsLoopback() {
		return fmt.Sprintf("http://localhost:%d", tcp.Port)
	}
	return "http://" + addr.String()
}

// approvalsOn tells the approval service where the page is served.
func (a *app) approvalsOn(addr net.Addr) {
	if a.approvals == nil || a.approvals.BaseURL() != "" {
		return
	}
	_ = a.approvals.SetBaseURL(a.linkBase(addr))
	a.log.Info("approval page", "url", a.approvals.BaseURL()+"/approvals/")
}

// withApprovalPage routes /approvals/ to the page and everything else to
// the MCP front door. The page does its own origin and token checks (its
// own origin is not an --allowed-origins entry), behind the same
// DNS-rebinding check.
func (a *app) withApprovalPage(mcp http.Handler) http.Handler {
	if a.approvals == nil {
		return mcp
	}
	mux := http.NewServeMux()
	mux.Handle("/approvals/", rejectRebinding(a.approvalHandler()))
	mux.Handle("/", mcp)
	return mux
}

// approvalHandler is the page and its API. In OAuth mode the JSON API, a
// machine's door like /mcp, needs an access token for this server (and its
// caller's subject is known); the page stays a person's, who proves who
// they are with their code or passkey.
func (a *app) approvalHandler() http.Handler {
	h := a.approvals.Handler()
	if a.oauth == nil {
		return h
	}
	api := a.oauth.Authenticate(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/approvals/api/") {
			api.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// serveApprovalPage serves the page on its own loopback listener, for
// stdio; it runs until the app closes.
func (a *app) serveApprovalPage() error {
	ln, err := net.Listen("tcp", a.cfg.approval.addr)
	if err != nil {
		return usageError("%s %s: %v", envApprovalAddr, a.cfg.approval.addr, err)
	}
	if a.cfg.http.authToken == "" && !isLoopbackAddr(ln.Addr()) {
		_ = ln.Close()
		return usageError("%s %s would serve the approval page to other machines, and %s is not set", envApprovalAddr, ln.Addr(), envAuthToken)
	}
	a.serveAside(ln, rejectRebinding(a.approvalHandler()), "the approval page")
	a.approvalsOn(ln.Addr())
	return nil
}

// closerFunc is a func as an io.Closer.
type closerFunc func() error

func (f closerFunc) Close() error { return f() }
