package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pci-mcp/pci-mcp/tools/guard/approval"
)

// `pci-mcp approvals`, `approve ID` and `deny ID` speak to a running
// server's approval API (GET /approvals/api/pending, POST
// /approvals/api/{id}/approve|deny) with the bearer PCI_MCP_AUTH_TOKEN when
// set. The decision takes the approver's name and current code, as the page
// does: the terminal is one more place a person approves, never a shortcut.

// approvalAPI is a running server's approval API.
type approvalAPI struct {
	base  string
	token string
	http  *http.Client
}

// approvalAPIOf is the API at --url, else PCI_MCP_APPROVAL_URL, else the
// HTTP listener PCI_MCP_ADDR names (localhost:8080 by default).
func (c *cli) approvalAPIOf(flagURL string) (*approvalAPI, error) {
	base := orDefault(flagURL, c.getenv(envApprovalURL))
	if base == "" {
		addr := orDefault(c.getenv(envAddr), "127.0.0.1:8080")
		base = "http://" + strings.Replace(addr, "127.0.0.1", "localhost", 1)
	}
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageError("--url %q: must be the server's base URL, e.g. http://localhost:8080", base)
	}
	return &approvalAPI{base: u.String(), token: c.getenv(envAuthToken), http: &http.Client{Timeout: 30 * time.Second}}, nil
}

// do sends one API request and decodes the answer into out; a refusal
// comes back as the server's words.
func (a *approvalAPI) do(method, path string, body, out any) (int, error) {
	var r io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, a.base+"/approvals/api/"+path, r)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("the approval API at %s did not answer: is pci-mcp running there with --confirm approval? (%v)", a.base, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if resp.StatusCode != http.StatusOK {
		var refusal struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(data, &refusal)
		if refusal.Error == "" {
			refusal.Error = http.StatusText(resp.StatusCode)
		}
		return resp.StatusCode, fmt.Errorf("%s (HTTP %d)", refusal.Error, resp.StatusCode)
	}
	return resp.StatusCode, json.Unmarshal(data, out)
}

func newApprovalsCommand(c *cli) *cobra.Command {
	var base string
	cmd := &cobra.Command{
		Use:                   "approvals [--url BASE]",
		Short:                 "list the approvals waiting for a person (from a running server)",
		DisableFlagsInUseLine: true,
		Args:                  noArgs,
		RunE: func(*cobra.Command, []string) error {
			api, err := c.approvalAPIOf(base)
			if err != nil {
				return err
			}
			var list struct {
				Pending []approval.APIApproval `json:"pending"`
			}
			if _, err := api.do(http.MethodGet, "pending", nil, &list); err != nil {
				return err
			}
			if len(list.Pending) == 0 {
				fmt.Fprintln(c.stdout, "No approval is pending.")
				return nil
			}
			w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tTOOL\tACCOUNT\tEXPIRES\tLINK")
			for _, a := range list.Pending {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", a.ID, a.Tool, terminalSafe(a.Account), a.ExpiresAt.UTC().Format(time.RFC3339), a.ApprovalURL)
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&base, "url", "", "the server's base URL (default $"+envApprovalURL+", else http://$"+envAddr+")")
	return cmd
}

func newApproveCommand(c *cli) *cobra.Command { return newDecisionCommand(c, true) }

func newDenyCommand(c *cli) *cobra.Command { return newDecisionCommand(c, false) }

// newDecisionCommand is `pci-mcp approve ID` or `pci-mcp deny ID`: the
// preview on the terminal, then the approver's name and code.
func newDecisionCommand(c *cli, approve bool) *cobra.Command {
	verb, short := "approve", "show a pending approval's preview and approve it with your name and authenticator code"
	if !approve {
		verb, short = "deny", "deny a pending approval with your name and authenticator code"
	}
	var base string
	cmd := &cobra.Command{
		Use:                   verb + " ID [--url BASE]",
		Short:                 short,
		DisableFlagsInUseLine: true,
		Args:                  exactArgs(1, "an approval id (apr_...)"),
		RunE: func(_ *cobra.Command, args []string) error {
			api, err := c.approvalAPIOf(base)
			if err != nil {
				return err
			}
			id := url.PathEscape(args[0])
			var view approval.APIApproval
			if _, err := api.do(http.MethodGet, id, nil, &view); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s (%s), requested %s, valid until %s:\n\n%s\n\n", view.Tool, view.ID,
				view.CreatedAt.UTC().Format(time.RFC3339), view.ExpiresAt.UTC().Format(time.RFC3339), terminalSafe(view.PreviewText))
			if view.State != approval.StatePending {
				return usageError("the approval is %s; nothing more can be decided", view.State)
			}
			if view.Signer != "" && approve {
				fmt.Fprintf(c.stdout, "Only %s, who signs this statement, may approve it.\n", terminalSafe(view.Signer))
			}
			answers := &lineReader{r: c.stdin}
			fmt.Fprint(c.stderr, "Your name: ")
			name := answers.next()
			fmt.Fprint(c.stderr, "Current authenticator code: ")
			code := answers.next()
			var out map[string]string
			if _, err := api.do(http.MethodPost, id+"/"+verb, approval.DecisionRequest{Approver: name, Code: code}, &out); err != nil {
				return &exitError{code: exitToolError, msg: verb + ": " + err.Error()}
			}
			fmt.Fprintf(c.stdout, "%s by %s.\n", strings.ToUpper(out["status"][:1])+out["status"][1:], terminalSafe(out["approver"]))
			return nil
		},
	}
	cmd.Flags().StringVar(&base, "url", "", "the server's base URL (default $"+envApprovalURL+", else http://$"+envAddr+")")
	return cmd
}

// lineReader reads answers line by line from one buffered stdin.
type lineReader struct {
	r   io.Reader
	buf []byte
}

func (l *lineReader) next() string {
	for {
		if i := bytes.IndexByte(l.buf, '\n'); i >= 0 {
			line := string(l.buf[:i])
			l.buf = l.buf[i+1:]
			return strings.TrimSpace(line)
		}
		chunk := make([]byte, 256)
		n, err := l.r.Read(chunk)
		l.buf = append(l.buf, chunk[:n]...)
		if err != nil {
			line := string(l.buf)
			l.buf = nil
			return strings.TrimSpace(line)
		}
	}
}
