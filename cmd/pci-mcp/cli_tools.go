package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pci-mcp/pci-mcp/tools"
)

const toolsSynopsis = `pci-mcp tools — list the tool catalog.

Lists every tool pci-mcp offers, whatever is configured (no credentials
needed): name, toolset, annotations, one-line description and the
approximate token cost of its definition. The cost is estimated as the bytes
of the tool's JSON definition (as tools/list sends it) divided by 4, rounded
up; a model's tokenizer will differ somewhat.`

// toolListing is one tool as `pci-mcp tools` shows it.
type toolListing struct {
	Name        string    `json:"name"`
	Toolset     string    `json:"toolset"`
	Kind        string    `json:"kind"`
	Annotations toolHints `json:"annotations"`
	Summary     string    `json:"summary"`
	Tokens      int       `json:"approx_tokens"`
}

// toolHints are the four annotations, spelled out.
type toolHints struct {
	ReadOnly    bool `json:"readOnlyHint"`
	Destructive bool `json:"destructiveHint"`
	Idempotent  bool `json:"idempotentHint"`
	OpenWorld   bool `json:"openWorldHint"`
}

// catalogListing is the whole answer of `pci-mcp tools --json`.
type catalogListing struct {
	Tools       []toolListing `json:"tools"`
	TotalTokens int           `json:"total_approx_tokens"`
	TokenMethod string        `json:"token_method"`
}

const tokenMethod = "bytes of the tool's JSON definition / 4, rounded up"

// newToolsCommand is `pci-mcp tools`: the catalog, whatever is configured.
func newToolsCommand(c *cli) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "tools [--json]",
		Short: "list the tool catalog with each tool's token cost",
		Long:  toolsSynopsis,
		// Its one flag is in Use already.
		DisableFlagsInUseLine: true,
		Args:                  noArgs,
		RunE: func(*cobra.Command, []string) error {
			return printTools(c.stdout, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the catalog as JSON")
	return cmd
}

// printTools prints the catalog as a table, or as JSON.
func printTools(stdout io.Writer, asJSON bool) error {
	listing, err := listCatalog(tools.Catalog())
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(listing)
	}
	return printCatalog(stdout, listing)
}

// listCatalog describes each tool and estimates the tokens its definition
// costs a client's context.
func listCatalog(catalog []tools.Tool) (catalogListing, error) {
	out := catalogListing{TokenMethod: tokenMethod}
	for _, t := range catalog {
		def, err := json.Marshal(t.Definition())
		if err != nil {
			return out, fmt.Errorf("encoding the definition of %s: %w", t.Name, err)
		}
		l := toolListing{
			Name:    t.Name,
			Toolset: string(t.Toolset),
			Kind:    t.Kind(),
			Annotations: toolHints{
				ReadOnly: t.ReadOnly(), Destructive: t.Destructive(),
				Idempotent: t.Idempotent(), OpenWorld: t.OpenWorld(),
			},
			Summary: t.Summary(),
			Tokens:  (len(def) + 3) / 4,
		}
		out.Tools = append(out.Tools, l)
		out.TotalTokens += l.Tokens
	}
	return out, nil
}

// printCatalog writes the listing as a table a person reads.
func printCatalog(w io.Writer, l catalogListing) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TOOL\tTOOLSET\tKIND\tHINTS\tTOKENS\tDESCRIPTION")
	for _, t := range l.Tools {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", t.Name, t.Toolset, t.Kind, t.Annotations, t.Tokens, t.Summary)
	}
	fmt.Fprintf(tw, "total\t\t\t\t%d\t%d tools\n", l.TotalTokens, len(l.Tools))
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nTOKENS is approximate: %s.\nHINTS are the annotations that are true (readOnlyHint, destructiveHint, idempotentHint, openWorldHint).\n", tokenMethod)
	return err
}

// String lists the hints that are true, e.g. "readOnly,idempotent,openWorld".
func (h toolHints) String() string {
	var parts []string
	for _, p := range []struct {
		on   bool
		name string
	}{{h.ReadOnly, "readOnly"}, {h.Destructive, "destructive"}, {h.Idempotent, "idempotent"}, {h.OpenWorld, "openWorld"}} {
		if p.on {
			parts = append(parts, p.name)
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ",")
}
