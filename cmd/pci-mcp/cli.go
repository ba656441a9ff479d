package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The command line is github.com/spf13/cobra: pci-mcp itself serves (the
// root command), and each subcommand is one constructor in a file of its
// own (cli_tools.go, cli_call.go, version.go, ...).
//
// To add a subcommand:
//  1. write cli_NAME.go with `func newNAMECommand(c *cli) *cobra.Command`,
//     setting Use ("NAME ARGS..."), Short (one line for the command list),
//     Long (its help), Args (cobraArgs or your own func returning a
//     usageError) and RunE; its own flags go on cmd.Flags(), each with an
//     environment variable if it has one (bindEnv);
//  2. add newNAMECommand to subcommands below.
//
// The serving flags are persistent flags of the root, so they are accepted
// before and after any subcommand's name (`pci-mcp --sandbox call X` is
// `pci-mcp call --sandbox X`). A subcommand that builds a server (as call
// does) reads them, with their environment variables applied and checked,
// through c.config(cmd). Errors: return usageError(...) for exit status 2,
// &exitError{code: exitToolError} for 1; any other error prints and exits 1.

// subcommands are pci-mcp's subcommands, in the order the help lists them.
var subcommands = []func(*cli) *cobra.Command{
	newToolsCommand,
	newCallCommand,
	newAccountsCommand,
	newApproversCommand,
	newApprovalsCommand,
	newApproveCommand,
	newDenyCommand,
	newVersionCommand,
}

// cli is one run of the program: its environment and streams, and the
// configuration the serving flags fill in.
type cli struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// program is how pci-mcp was invoked (args[0]), for hints that show a
	// command to run.
	program string
	// cfg is bound to the root's persistent (serving) flags.
	cfg *config
}

const rootLong = `pci-mcp — an MCP server for PCI DSS external scanning (Qualys PCI, Halo Security).

With no command, pci-mcp serves MCP: over stdio by default (a client such as
Claude Desktop starts it), or over HTTP with --transport http.

  pci-mcp [flags]            serve MCP (stdio by default)
  pci-mcp --sandbox          serve simulated accounts: try it with no credentials`

// execute runs the command line args (args[0] is the program) and returns
// what went wrong, if anything.
func execute(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := &cli{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr, program: args[0], cfg: &config{}}
	root := c.newRootCommand()
	root.SetArgs(append([]string{}, args[1:]...))
	return root.ExecuteContext(ctx)
}

// The help lists the subcommands in the order of subcommands. (Cobra's
// setting is a package variable: set once, before any run, so concurrent
// runs in tests only read it.)
func init() { cobra.EnableCommandSorting = false }

func (c *cli) newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:     "pci-mcp",
		Short:   "an MCP server for PCI DSS external scanning",
		Long:    rootLong,
		Version: currentVersion(),
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.config(cmd)
			if err != nil {
				return err
			}
			return c.serve(cmd.Context(), cfg)
		},
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: true},
	}
	root.SetIn(c.stdin)
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	// `pci-mcp --version` prints what `pci-mcp version` prints.
	root.SetVersionTemplate("pci-mcp {{.Version}}\n")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError("%v; see %s --help", err, cmd.CommandPath())
	})
	root.SetHelpFunc(writeHelp)
	root.SuggestionsMinimumDistance = 2
	c.cfg.serveFlags(root.PersistentFlags())
	// Cobra adds --version with -v when the flag is first looked up; its
	// usage line is ours.
	root.Flags().BoolP("version", "v", false, "print the version, as pci-mcp version does")
	for _, newCommand := range subcommands {
		root.AddCommand(newCommand(c))
	}
	return root
}

// config is the serving configuration: the serving flags as given, every
// flag not given filled from its environment variable, the environment-only
// settings read, and all of it checked.
func (c *cli) config(cmd *cobra.Command) (*config, error) {
	if err := applyEnv(cmd.Flags(), c.getenv); err != nil {
		return nil, err
	}
	if err := c.cfg.load(c.getenv); err != nil {
		return nil, err
	}
	return c.cfg, nil
}

// envAnnotation is the flag annotation naming a flag's environment variable.
const envAnnotation = "env"

// bindEnv names the environment variable that sets flag name when the
// command line does not.
func bindEnv(fs *pflag.FlagSet, name, envName string) {
	if err := fs.SetAnnotation(name, envAnnotation, []string{envName}); err != nil {
		panic(err) // a flag registered under another name: a programming error
	}
}

// envOf is the environment variable of f, or "".
func envOf(f *pflag.Flag) string {
	if v := f.Annotations[envAnnotation]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// applyEnv sets every flag of fs the command line did not give from its
// environment variable, when that is set.
func applyEnv(fs *pflag.FlagSet, getenv func(string) string) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		envName := envOf(f)
		if err != nil || f.Changed || envName == "" {
			return
		}
		value := getenv(envName)
		if value == "" {
			return
		}
		if setErr := fs.Set(f.Name, value); setErr != nil {
			err = usageError("%s=%q: %v", envName, value, setErr)
		}
	})
	return err
}

// noArgs refuses positional arguments, suggesting a command for a typo.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		return usageError("unexpected argument %q (did you mean %s?); see %s --help", args[0], strings.Join(s, " or "), cmd.CommandPath())
	}
	return usageError("unexpected argument %q; see %s --help", args[0], cmd.CommandPath())
}

// helpWidth is the width the flag tables are wrapped to.
const helpWidth = 100

// writeHelp prints a command's help on stdout: its text, its commands, its
// flags with their value types, defaults and environment variables, and
// (for commands that build a server) the environment-only settings.
func writeHelp(cmd *cobra.Command, _ []string) {
	w := cmd.OutOrStdout()
	long := cmd.Long
	if long == "" {
		long = cmd.Short
	}
	long = strings.TrimSpace(long)
	if cmd.HasParent() {
		// The title, then how to type it, then the rest.
		title, rest, _ := strings.Cut(long, "\n\n")
		fmt.Fprintf(w, "%s\n\nUsage:\n  %s\n", title, cmd.UseLine())
		if rest != "" {
			fmt.Fprintf(w, "\n%s\n", rest)
		}
	} else {
		fmt.Fprintln(w, long)
	}

	if cmd.HasAvailableSubCommands() {
		fmt.Fprintf(w, "\nCommands:\n")
		var rows [][2]string
		for _, sub := range cmd.Commands() {
			if sub.IsAvailableCommand() {
				rows = append(rows, [2]string{cmd.CommandPath() + " " + sub.Use, sub.Short})
			}
		}
		rows = append(rows, [2]string{cmd.CommandPath() + " help [COMMAND]", "help for a command (also --help or -h)"})
		writeColumns(w, rows)
	}

	local := cmd.LocalFlags()
	if local.HasAvailableFlags() {
		fmt.Fprintf(w, "\nFlags (each can also be set by the environment variable shown; a flag given wins):\n")
		writeFlags(w, local)
	}
	if usesServingFlags(cmd) {
		inherited := cmd.InheritedFlags()
		if inherited.HasAvailableFlags() {
			fmt.Fprintf(w, "\nServing flags (also accepted before %q):\n", cmd.Name())
			writeFlags(w, inherited)
		}
		fmt.Fprintf(w, "\nEnvironment only (never flags, so secrets stay out of process listings):\n")
		var rows [][2]string
		for _, e := range envOnly {
			rows = append(rows, [2]string{e.name, e.usage})
		}
		writeColumns(w, rows)
	}
}

// servesAnnotation marks a subcommand that builds a server from the serving
// flags, so its help lists them and the environment-only settings.
const servesAnnotation = "serves"

func usesServingFlags(cmd *cobra.Command) bool {
	return !cmd.HasParent() || cmd.Annotations[servesAnnotation] == "true"
}

// writeFlags prints one line per flag, as a user types it: name, value
// type, what it does, its default and its environment variable.
func writeFlags(w io.Writer, fs *pflag.FlagSet) {
	var rows [][2]string
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		left := "    --" + f.Name
		if f.Shorthand != "" {
			left = "-" + f.Shorthand + ", --" + f.Name
		}
		typ, usage := pflag.UnquoteUsage(f)
		if typ != "" {
			left += " " + typ
		}
		if def := shownDefault(f); def != "" {
			usage += " (default " + def + ")"
		}
		if env := envOf(f); env != "" {
			usage += " [$" + env + "]"
		}
		rows = append(rows, [2]string{left, usage})
	})
	writeColumns(w, rows)
}

// shownDefault is a flag's default as it would be typed, or "" when it is
// the zero value and goes without saying.
func shownDefault(f *pflag.Flag) string {
	switch f.DefValue {
	case "", "false", "0", "0s", "[]":
		return ""
	}
	switch f.Value.Type() {
	case "string":
		return fmt.Sprintf("%q", f.DefValue)
	case "duration":
		// 5m, not Go's 5m0s.
		d := f.DefValue
		if strings.HasSuffix(d, "m0s") {
			d = strings.TrimSuffix(d, "0s")
		}
		if strings.HasSuffix(d, "h0m") {
			d = strings.TrimSuffix(d, "0m")
		}
		return d
	}
	return f.DefValue
}

// writeColumns prints two columns, the second wrapped to helpWidth.
func writeColumns(w io.Writer, rows [][2]string) {
	width := 0
	for _, r := range rows {
		width = max(width, len(r[0]))
	}
	indent := strings.Repeat(" ", 2+width+2)
	for _, r := range rows {
		lines := wrap(r[1], max(helpWidth-len(indent), 30))
		fmt.Fprintf(w, "  %-*s  %s\n", width, r[0], lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(w, "%s%s\n", indent, l)
		}
	}
}

// wrap breaks text into lines of at most width bytes, at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return append(lines, line)
}
