package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/spf13/cobra"
)

const callSynopsis = `pci-mcp call — call one tool, as an assistant would, and print its result.

ARGS is the tool's arguments as a JSON object, @FILE to read them from a
file, or - to read them from stdin; the default is {}. The call goes through
the real MCP path: an MCP client inside this process talks to the same
server ` + "`pci-mcp`" + ` serves (so it needs credentials, or --sandbox), or, with
--url, to a pci-mcp already serving Streamable HTTP. The serving flags
below apply to the in-process server, except --transport and --addr, which
call ignores.

The text of the result is printed on stdout (--json prints the whole
CallToolResult); logs go to stderr. With --url, PCI_MCP_AUTH_TOKEN, when
set, is sent as the bearer token the server asks for.

Destructive tools (qualys_remove_hosts, qualys_remove_virtual_hosts,
halo_pci_attest, halo_acknowledge_host) ask for confirmation: on a
terminal, pci-mcp shows the preview of exactly what will be sent and asks
y/N (and, for an attestation, asks you to type your name to sign).
Without a terminal the call is refused and nothing is sent, unless --yes
is given: --yes is your own confirmation, as the operator, that you have
read what the call will do and agree to it; for an attestation it signs
with the attest_person_name in ARGS. The preview is printed on stderr.

Exit status: 0 the tool succeeded (a confirmation you declined is not an
error: it says "cancelled"); 1 the tool returned an error (its text is
printed on stdout all the same), or the server could not be reached; 2 a
usage or configuration error (unknown tool, bad ARGS, no credentials, or a
destructive tool without a terminal and without --yes).

With several accounts for the tool's provider, --account NAME chooses the
merchant (the same as "account" in ARGS); without it, the default account.

Examples:
  pci-mcp call --sandbox qualys_compliance_summary
  pci-mcp call --sandbox --account sandbox-eu qualys_compliance_summary
  pci-mcp call --sandbox qualys_add_hosts '{"hosts":["2001:db8::10"]}'
  echo '{"scan_id":10987}' | pci-mcp call --sandbox --json qualys_get_scan -
  echo '{"limit":5}' > args.json
  pci-mcp call --url http://127.0.0.1:8080/mcp qualys_list_scans @args.json`

// Settings of `call` besides the serving flags.
const (
	envCallURL = "PCI_MCP_URL"
	// envCallAuthToken is sent as a bearer token to the server --url names,
	// which checks it under the same name.
	envCallAuthToken = "PCI_MCP_AUTH_TOKEN"
)

// callOptions are the flags only `call` has.
type callOptions struct {
	json     bool
	yes      bool
	url      string
	logLevel slog.Level
	// account is --account: the account argument, as a flag.
	account string
}

// newCallCommand is `pci-mcp call`. It builds the same server serving does,
// from the same (persistent) serving flags, so they go before or after
// "call". --transport and --addr are accepted and ignored: call listens
// nowhere and reaches the in-process server directly (or, with --url, a
// running one); checkListen's rules for them apply to serving only, and
// PCI_MCP_AUTH_TOKEN is what call sends as a client.
func newCallCommand(c *cli) *cobra.Command {
	var opts callOptions
	cmd := &cobra.Command{
		Use:         "call TOOL [ARGS]",
		Short:       "call one tool and print its result (pci-mcp call --help)",
		Long:        callSynopsis,
		Annotations: map[string]string{servesAnnotation: "true"},
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) < 1 {
				return usageError("call needs a tool name; see pci-mcp call --help, and pci-mcp tools for the list")
			}
			if len(args) > 2 {
				return usageError("unexpected argument %q: ARGS must be one JSON object (quote it), @FILE or -", args[2])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := c.config(cmd)
			if err != nil {
				return err
			}
			cfg.logLevel = opts.logLevel
			spec := "{}"
			if len(args) == 2 {
				spec = args[1]
			}
			return c.call(cmd.Context(), cfg, opts, args[0], spec)
		},
	}
	fs := cmd.Flags()
	// A command's output should be its result: only warnings (among them
	// the sandbox notice) and errors are logged unless asked. This
	// --log-level stands in for the serving one under call.
	opts.logLevel = slog.LevelWarn
	fs.Var((*levelValue)(&opts.logLevel), "log-level", "debug, info, warn or error")
	bindEnv(fs, "log-level", "PCI_MCP_LOG_LEVEL")
	fs.BoolVar(&opts.json, "json", false, "print the whole CallToolResult as JSON instead of its text")
	fs.BoolVar(&opts.yes, "yes", false, "confirm a destructive call without being asked: your own confirmation, as the operator, of what it will send (needed without a terminal)")
	fs.StringVar(&opts.url, "url", "", "call a pci-mcp already serving Streamable HTTP at this URL (e.g. http://127.0.0.1:8080/mcp) instead of one in this process; the serving flags then do not apply")
	bindEnv(fs, "url", envCallURL)
	fs.StringVar(&opts.account, "account", "", "the account (merchant) to call the tool as: its account argument, for a provider with several accounts")
	return cmd
}

// call runs one tool call and prints its result.
func (c *cli) call(ctx context.Context, cfg *config, opts callOptions, name, spec string) error {
	arguments, err := readArguments(spec, c.stdin)
	if err != nil {
		return err
	}

	confirmer := &confirmer{
		yes:         opts.yes,
		interactive: isTerminalReader(c.stdin),
		in:          c.stdin,
		out:         c.stderr,
		personName:  stringArgument(arguments, "attest_person_name"),
	}
	client, closeClient, err := connect(ctx, cfg, opts, c.getenv, confirmer, c.stderr)
	if err != nil {
		return err
	}
	defer closeClient()

	tool, err := checkToolServed(ctx, client, name)
	if err != nil {
		return err
	}
	if err := chooseAccount(tool, arguments, opts.account); err != nil {
		return err
	}
	var req mcp.CallToolRequest
	req.Params.Name = name
	req.Params.Arguments = arguments
	res, err := client.CallTool(ctx, req)
	if confirmer.refused {
		// Whatever the protocol made of the refusal (an error result, or a
		// call abandoned by the client), the story is the same.
		return usageError("%s needs a person's confirmation, and nothing was sent: stdin is not a terminal, so nobody can be asked. "+
			"Run it on a terminal to see the preview and answer, or add --yes to confirm it yourself as the operator.", name)
	}
	if err != nil {
		return fmt.Errorf("calling %s: %w", name, err)
	}
	if err := printResult(c.stdout, res, opts.json, isTerminal(c.stdout)); err != nil {
		return err
	}
	if res.IsError {
		return &exitError{code: exitToolError}
	}
	return nil
}

// connect starts an MCP client: against the server newApp builds, in this
// process, or against the running server --url names. The returned func
// closes the client and whatever was built for it.
func connect(ctx context.Context, cfg *config, opts callOptions, getenv func(string) string, confirmer *confirmer, stderr io.Writer, extra ...client.ClientOption) (*client.Client, func(), error) {
	clientOpts := append([]client.ClientOption{client.WithElicitationHandler(confirmer)}, extra...)
	var c *client.Client
	cleanup := func() {}
	if opts.url != "" {
		if cfg.sandbox.enabled {
			return nil, nil, usageError("--sandbox and --url do not go together: --url calls a server that is already running; start that one with --sandbox")
		}
		var httpOpts []transport.StreamableHTTPCOption
		if token := getenv(envCallAuthToken); token != "" {
			httpOpts = append(httpOpts, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
		}
		t, err := transport.NewStreamableHTTP(opts.url, httpOpts...)
		if err != nil {
			return nil, nil, usageError("--url %q: %v", opts.url, err)
		}
		c = client.NewClient(t, clientOpts...)
	} else {
		// This server's only client is the terminal: its answers are the
		// operator's, and the audit trail says so.
		own := *cfg
		own.operatorAnswers = true
		a, err := newApp(&own, stderr)
		if err != nil {
			return nil, nil, err
		}
		cleanup = func() { _ = a.Close() }
		if c, err = client.NewInProcessClientWithOptions(a.server, clientOpts...); err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("starting the in-process client: %w", err)
		}
	}
	closeAll := func() {
		_ = c.Close()
		cleanup()
	}
	if err := c.Start(ctx); err != nil {
		closeAll()
		return nil, nil, fmt.Errorf("connecting to %s: %w", serverName(opts), err)
	}
	var init mcp.InitializeRequest
	init.Params.ClientInfo = mcp.Implementation{Name: "pci-mcp-call", Version: currentVersion()}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	if _, err := c.Initialize(ctx, init); err != nil {
		closeAll()
		return nil, nil, fmt.Errorf("connecting to %s: %w", serverName(opts), err)
	}
	return c, closeAll, nil
}

func serverName(opts callOptions) string {
	if opts.url != "" {
		return opts.url
	}
	return "the in-process server"
}

// checkToolServed turns a call to a tool the server does not offer into a
// usage error that lists the ones it does.
func checkToolServed(ctx context.Context, c *client.Client, name string) (mcp.Tool, error) {
	list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		return mcp.Tool{}, fmt.Errorf("listing tools: %w", err)
	}
	served := make([]string, len(list.Tools))
	for i, t := range list.Tools {
		served[i] = t.Name
		if t.Name == name {
			return t, nil
		}
	}
	return mcp.Tool{}, usageError("unknown tool %q: this server serves %s (pci-mcp tools lists the whole catalog; --read-only, --toolsets, --tools and --exclude-tools narrow it)",
		name, strings.Join(served, ", "))
}

// readArguments reads ARGS: a JSON object, @FILE, or - for stdin. Numbers
// keep their exact digits.
func readArguments(spec string, stdin io.Reader) (map[string]any, error) {
	source, data := "ARGS", []byte(spec)
	switch {
	case spec == "-":
		source = "ARGS from stdin"
		var err error
		if data, err = io.ReadAll(stdin); err != nil {
			return nil, usageError("reading ARGS from stdin: %v", err)
		}
	case strings.HasPrefix(spec, "@"):
		path := strings.TrimPrefix(spec, "@")
		source = "ARGS in " + path
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, usageError("reading ARGS: %v", err)
		}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, usageError("%s are empty: give a JSON object, e.g. {}", source)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var value any
	if err := dec.Decode(&value); err != nil {
		return nil, usageError("%s are not valid JSON: %s", source, describeJSONError(data, err))
	}
	if dec.More() {
		return nil, usageError("%s hold more than one JSON value: give one object", source)
	}
	obj, ok := value.(map[string]any)
	if !ok {
		return nil, usageError("%s must be a JSON object such as {\"scan_id\": 10987}, not %s", source, jsonKind(value))
	}
	return obj, nil
}

// describeJSONError says where JSON went wrong, by line and column.
func describeJSONError(data []byte, err error) string {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		line, col := position(data, syntax.Offset)
		return fmt.Sprintf("%v (line %d, column %d)", err, line, col)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "the JSON ends too soon (a missing } or \"?)"
	}
	return err.Error()
}

func position(data []byte, offset int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < offset-1 && i < int64(len(data)); i++ {
		if data[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}

func stringArgument(args map[string]any, key string) string {
	s, _ := args[key].(string)
	return s
}

// printResult prints the text of a result, or the whole result as JSON. On
// a terminal (pretty), a text that is JSON is indented for a person to read;
// otherwise it stays one line, for scripts and pipes.
func printResult(w io.Writer, res *mcp.CallToolResult, asJSON, pretty bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(res)
	}
	var texts []string
	for _, c := range res.Content {
		if t, ok := mcp.AsTextContent(c); ok {
			texts = append(texts, t.Text)
		}
	}
	if len(texts) == 0 && res.StructuredContent != nil {
		data, err := json.Marshal(res.StructuredContent)
		if err != nil {
			return fmt.Errorf("encoding the result: %w", err)
		}
		texts = append(texts, string(data))
	}
	if len(texts) == 0 {
		return nil
	}
	if pretty {
		for i, t := range texts {
			var indented bytes.Buffer
			if json.Valid([]byte(t)) && json.Indent(&indented, []byte(t), "", "  ") == nil {
				texts[i] = indented.String()
			}
		}
	}
	// Text is for a person: what an upstream put in it must not drive the
	// terminal.
	_, err := fmt.Fprintln(w, terminalSafe(strings.Join(texts, "\n\n")))
	return err
}

// chooseAccount applies --account to the arguments: it is the account
// argument, refused when ARGS names another, and when the tool has no
// account argument because its provider has one account here.
func chooseAccount(tool mcp.Tool, arguments map[string]any, account string) error {
	if account == "" {
		return nil
	}
	if given, ok := arguments["account"]; ok && given != account {
		return usageError("--account %s and ARGS' \"account\": %v disagree; give one", account, given)
	}
	prop, ok := tool.InputSchema.Properties["account"].(map[string]any)
	if !ok {
		return usageError("--account %s: %s has no account argument here: its provider has a single account, which every call uses", account, tool.Name)
	}
	if names, ok := prop["enum"].([]any); ok && !slices.Contains(names, any(account)) {
		listed := make([]string, len(names))
		for i, n := range names {
			listed[i] = fmt.Sprint(n)
		}
		return usageError("--account %s: not an account of this server for %s; the accounts are %s", account, tool.Name, strings.Join(listed, ", "))
	}
	arguments["account"] = account
	return nil
}
