package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"
)

// confirmer is the elicitation handler of `pci-mcp call`: the person at the
// terminal answers the server's confirmation question for a destructive
// tool. The server's guard decides what the answer allows; confirmer only
// asks and reports.
type confirmer struct {
	// yes is the operator's confirmation given in advance (--yes).
	yes bool
	// interactive says whether someone can be asked: stdin is a terminal.
	interactive bool
	// in is where answers are read from, out where the question is shown.
	in  io.Reader
	out io.Writer
	// personName signs an attestation under --yes: the attest_person_name
	// of the call's arguments.
	personName string

	mu      sync.Mutex
	reader  *bufio.Reader
	refused bool // a question came and nobody could answer it
}

// errNoTerminal is the answer when nobody can be asked.
var errNoTerminal = errors.New("pci-mcp call cannot ask for confirmation: stdin is not a terminal and --yes was not given")

// Elicit answers one confirmation question.
func (c *confirmer) Elicit(ctx context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if req.Params.Mode != "" && req.Params.Mode != mcp.ElicitationModeForm {
		return nil, fmt.Errorf("pci-mcp call answers form questions only, not %q", req.Params.Mode)
	}
	required := requiredFields(req.Params.RequestedSchema)
	for _, f := range required {
		if f != "confirm" && f != "signature" {
			return nil, fmt.Errorf("pci-mcp call cannot answer a question that asks for %q", f)
		}
	}
	wantsSignature := slices.Contains(required, "signature")

	switch {
	case c.yes:
		content := map[string]any{"confirm": true}
		if wantsSignature {
			if c.personName == "" {
				return nil, errors.New("--yes cannot sign: the arguments have no attest_person_name")
			}
			content["signature"] = c.personName
		}
		fmt.Fprintf(c.out, "%s\n\nConfirmed with --yes.\n", terminalSafe(strings.TrimSpace(req.Params.Message)))
		return accept(content), nil
	case !c.interactive:
		c.refused = true
		return nil, errNoTerminal
	}

	fmt.Fprintf(c.out, "\n%s\n\nProceed? [y/N] ", terminalSafe(strings.TrimSpace(req.Params.Message)))
	answer, err := c.readLine(ctx)
	if err != nil {
		return nil, err
	}
	if a := strings.ToLower(answer); a != "y" && a != "yes" {
		return c.decline(), nil
	}
	content := map[string]any{"confirm": true}
	if wantsSignature {
		fmt.Fprint(c.out, "Type your full name to sign: ")
		name, err := c.readLine(ctx)
		if err != nil {
			return nil, err
		}
		if name == "" {
			return c.decline(), nil
		}
		content["signature"] = name
	}
	return accept(content), nil
}

func (c *confirmer) decline() *mcp.ElicitationResult {
	fmt.Fprintln(c.out, "Not confirmed; nothing will be sent.")
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionDecline}}
}

// readLine reads one answer without its line ending; the end of the input
// (Ctrl-D) is an empty answer, which means no. Ctrl-C (ctx ending) stops
// the wait: a read from a terminal cannot be interrupted, so it is left to
// finish on its own while the command exits.
func (c *confirmer) readLine(ctx context.Context) (string, error) {
	if c.reader == nil {
		c.reader = bufio.NewReader(c.in)
	}
	type answer struct {
		line string
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		line, err := c.reader.ReadString('\n')
		got <- answer{line, err}
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(c.out)
		return "", fmt.Errorf("no answer: %w", ctx.Err())
	case a := <-got:
		if a.err != nil && !errors.Is(a.err, io.EOF) {
			return "", fmt.Errorf("reading the answer: %w", a.err)
		}
		return strings.TrimSpace(a.line), nil
	}
}

func accept(content map[string]any) *mcp.ElicitationResult {
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{
		Action: mcp.ElicitationResponseActionAccept, Content: content,
	}}
}

// requiredFields reads the required properties of a question's schema,
// whatever Go type the transport decoded it into.
func requiredFields(schema any) []string {
	data, err := json.Marshal(schema)
	if err != nil {
		return nil
	}
	var s struct {
		Required []string `json:"required"`
	}
	_ = json.Unmarshal(data, &s)
	return s.Required
}

// terminalSafe makes text safe to print on a terminal: the question comes
// from the server (a remote one with --url), and a control or format
// character in it could move the cursor, clear the screen, hide or reorder
// text just before the y/N prompt. Every such character but the line break,
// and every byte that is not UTF-8, is written out visibly instead, as
// \x1b or \u202e.
func terminalSafe(text string) string {
	var b strings.Builder
	for i, r := range text {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(text[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, text[i])
		case r == '\n':
			b.WriteRune(r)
		case r < 0x80 && unicode.Is(unicode.Cc, r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isTerminalReader reports whether r is a terminal, so a person can answer.
// A terminal is a character device; /dev/null is one too, and is the usual
// stdin of a job nobody watches, so it does not count.
func isTerminalReader(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok || !isTerminal(f) {
		return false
	}
	info, err := f.Stat()
	if err != nil {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err == nil && !os.SameFile(info, null)
}
