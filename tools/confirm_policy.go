package tools

import (
	"fmt"
	"strings"
)

// ConfirmPolicy says how a destructive tool's calls are confirmed
// (--confirm, and --confirm-attest for halo_pci_attest).
type ConfirmPolicy string

// The confirmation policies.
const (
	// ConfirmAuto asks through the client when it can show a form, else
	// issues a confirmation token (the default).
	ConfirmAuto ConfirmPolicy = "auto"
	// ConfirmToken always issues a token, for clients that decline forms
	// without showing them.
	ConfirmToken ConfirmPolicy = "token"
	// ConfirmElicitation accepts only a form the client shows: a client
	// without form elicitation is refused.
	ConfirmElicitation ConfirmPolicy = "elicitation"
	// ConfirmApproval needs an enrolled approver's TOTP code or passkey on
	// the approval page, which the model never sees.
	ConfirmApproval ConfirmPolicy = "approval"
	// ConfirmDeny leaves the tools out of the catalog.
	ConfirmDeny ConfirmPolicy = "deny"
)

// confirmPolicies lists every policy, in the order help shows them.
var confirmPolicies = []ConfirmPolicy{ConfirmAuto, ConfirmToken, ConfirmElicitation, ConfirmApproval, ConfirmDeny}

// ParseConfirmPolicy reads a policy name; the error lists the valid ones.
func ParseConfirmPolicy(s string) (ConfirmPolicy, error) {
	for _, p := range confirmPolicies {
		if strings.EqualFold(strings.TrimSpace(s), string(p)) {
			return p, nil
		}
	}
	names := make([]string, len(confirmPolicies))
	for i, p := range confirmPolicies {
		names[i] = string(p)
	}
	return "", fmt.Errorf("%q is not a confirmation policy: use %s", s, strings.Join(names, ", "))
}

// attestTool is the one tool --confirm-attest governs.
const attestTool = "halo_pci_attest"

// ConfirmPolicies are the policies in force: Default for every destructive
// tool, Attest for halo_pci_attest (empty: Default; both empty: auto).
type ConfirmPolicies struct {
	Default ConfirmPolicy
	Attest  ConfirmPolicy
}

// For is the policy for one tool.
func (p ConfirmPolicies) For(tool string) ConfirmPolicy {
	if tool == attestTool && p.Attest != "" {
		return p.Attest
	}
	if p.Default == "" {
		return ConfirmAuto
	}
	return p.Default
}

// Uses reports whether any served destructive tool is under policy want.
func (p ConfirmPolicies) Uses(want ConfirmPolicy, served []Tool) bool {
	for _, t := range served {
		if t.Destructive() && p.For(t.Name) == want {
			return true
		}
	}
	return false
}

// withoutDenied drops the destructive tools whose policy is deny: they are
// not offered at all, rather than offered and always refused.
func (p ConfirmPolicies) withoutDenied(selected []Tool) []Tool {
	out := selected[:0:0]
	for _, t := range selected {
		if t.Destructive() && p.For(t.Name) == ConfirmDeny {
			continue
		}
		out = append(out, t)
	}
	return out
}
