package tools

import (
	"fmt"
	"slices"
	"strings"
)

// Policy narrows the catalog: which toolsets, which tools, and whether only
// read-only tools are served.
type Policy struct {
	// ReadOnly serves only tools whose readOnlyHint is true.
	ReadOnly bool
	// Toolsets lists the toolsets to serve; empty means every configured one.
	Toolsets []Toolset
	// Tools, when not empty, serves only these tools.
	Tools []string
	// ExcludeTools removes these tools.
	ExcludeTools []string
}

// Select applies the policy to the catalog in one pass. configured says
// which toolsets have credentials. Unknown names and toolsets asked for but
// not configured are errors that list the valid choices.
func Select(catalog []Tool, configured map[Toolset]bool, p Policy) ([]Tool, error) {
	names := make([]string, len(catalog))
	for i, t := range catalog {
		names[i] = t.Name
	}
	for _, ts := range p.Toolsets {
		if !slices.Contains(Toolsets, ts) {
			return nil, fmt.Errorf("unknown toolset %q; valid toolsets: %s", ts, joinToolsets(Toolsets))
		}
		if !configured[ts] {
			return nil, fmt.Errorf("toolset %q is selected but not configured: %s", ts, credentialsFor(ts))
		}
	}
	for _, list := range [][]string{p.Tools, p.ExcludeTools} {
		for _, name := range list {
			if !slices.Contains(names, name) {
				return nil, fmt.Errorf("unknown tool %q; valid tools: %s", name, strings.Join(names, ", "))
			}
		}
	}

	var out []Tool
	for _, t := range catalog {
		switch {
		case !configured[t.Toolset]:
		case len(p.Toolsets) > 0 && !slices.Contains(p.Toolsets, t.Toolset):
		case len(p.Tools) > 0 && !slices.Contains(p.Tools, t.Name):
		case slices.Contains(p.ExcludeTools, t.Name):
		case p.ReadOnly && !t.ReadOnly():
		default:
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, errNoTools(p)
	}
	return out, nil
}

// credentialsFor names the settings a toolset needs.
func credentialsFor(ts Toolset) string {
	switch ts {
	case ToolsetQualys:
		return "set QUALYS_USERNAME and QUALYS_PASSWORD"
	case ToolsetHalo:
		return "set HALO_API_KEY"
	}
	return "configure its credentials"
}

func joinToolsets(sets []Toolset) string {
	parts := make([]string, len(sets))
	for i, s := range sets {
		parts[i] = string(s)
	}
	return strings.Join(parts, ", ")
}
