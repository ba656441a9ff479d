package tools

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/pci-mcp/pci-mcp/providers/qualys"
)

// hostsInput is the argument of the host tools. Lists are capped at 1,000
// entries: enough for any merchant's external footprint in one call, few
// enough that one call cannot build a request Qualys would refuse for size.
type hostsInput struct {
	Hosts []string `json:"hosts" jsonschema:"minItems=1,maxItems=1000,maxLength=100" jsonschema_description:"IPv4/IPv6 addresses in any form, ranges first-last (one family) or CIDR blocks."`

	parsed []qualys.Host
}

func (in *hostsInput) check() error {
	hosts, err := qualys.ParseHosts(in.Hosts)
	if err != nil {
		return listError("hosts", err)
	}
	in.parsed = hosts
	return nil
}

func (in *hostsInput) auditTargets() []string { return hostStrings(in.parsed) }

// canonical orders hosts by value, so the same set in another order or
// spelling is the same request.
func (in *hostsInput) canonical() any {
	keys := make([]string, len(in.parsed))
	for i, h := range in.parsed {
		keys[i] = h.First.String() + "-" + h.Last.String()
	}
	slices.Sort(keys)
	return keys
}

// virtualHostInput is one virtual host as a tool takes it.
type virtualHostInput struct {
	FQDN string `json:"fqdn" jsonschema:"maxLength=253" jsonschema_description:"Host name, e.g. shop.example.com."`
	Port int    `json:"port" jsonschema:"minimum=1,maximum=65535"`
	IP   string `json:"ip" jsonschema:"maxLength=64" jsonschema_description:"IPv4/IPv6 address it is served on."`
	Path string `json:"path,omitempty" jsonschema:"maxLength=1024" jsonschema_description:"URL path starting with /."`
}

// virtualHostsInput is the argument of the virtual-host tools.
type virtualHostsInput struct {
	VirtualHosts []virtualHostInput `json:"virtual_hosts" jsonschema:"minItems=1,maxItems=1000"`

	parsed []qualys.VirtualHost
}

func (in *virtualHostsInput) check() error {
	specs := make([]qualys.VirtualHostSpec, len(in.VirtualHosts))
	for i, v := range in.VirtualHosts {
		specs[i] = qualys.VirtualHostSpec{FQDN: v.FQDN, Port: v.Port, IP: v.IP, Path: v.Path}
	}
	hosts, err := qualys.ParseVirtualHosts(specs)
	if err != nil {
		return listError("virtual_hosts", err)
	}
	in.parsed = hosts
	return nil
}

func (in *virtualHostsInput) auditTargets() []string {
	out := make([]string, len(in.parsed))
	for i, v := range in.parsed {
		out[i] = v.String()
	}
	return out
}

func (in *virtualHostsInput) canonical() any {
	keys := make([]string, len(in.parsed))
	for i, v := range in.parsed {
		keys[i] = strings.ToLower(v.FQDN) + ":" + strconv.Itoa(v.Port) + ":" + v.IP.String() + v.Path
	}
	slices.Sort(keys)
	return keys
}

// assetsOutput is Qualys's answer to an asset change, with what was sent.
type assetsOutput struct {
	// Message is Qualys's own answer, e.g. "2 IP added successfully".
	Message string `json:"message"`
	// Assets are the entries sent, in order, as Qualys received them.
	Assets []string `json:"assets"`
}

func qualysAddHosts() Tool {
	return newTool(spec{
		name:    "qualys_add_hosts",
		toolset: ToolsetQualys,
		title:   "Add hosts (Qualys)",
		description: "Add hosts to the PCI scope; web sites by name: qualys_add_virtual_hosts. " +
			"Hosts must allow Qualys's scanners (64.39.96.0/20, 139.87.112.0/23).",
		annotations:  addHints,
		outcomeCheck: "read qualys_compliance_summary to see whether the hosts are in scope",
	}, func(ctx context.Context, d *Deps, in *hostsInput) (*assetsOutput, error) {
		res, err := d.Qualys.AddHosts(ctx, in.parsed)
		if err != nil {
			return nil, err
		}
		return &assetsOutput{Message: res.Message, Assets: hostStrings(in.parsed)}, nil
	})
}

func qualysAddVirtualHosts() Tool {
	return newTool(spec{
		name:         "qualys_add_virtual_hosts",
		toolset:      ToolsetQualys,
		title:        "Add virtual hosts (Qualys)",
		description:  "Add web sites to the PCI scope, scanned by name; plain addresses: qualys_add_hosts.",
		annotations:  addHints,
		outcomeCheck: "read qualys_compliance_summary to see whether the virtual hosts are in scope",
	}, func(ctx context.Context, d *Deps, in *virtualHostsInput) (*assetsOutput, error) {
		res, err := d.Qualys.AddVirtualHosts(ctx, in.parsed)
		if err != nil {
			return nil, err
		}
		return &assetsOutput{Message: res.Message, Assets: in.auditTargets()}, nil
	})
}

func hostStrings(hosts []qualys.Host) []string {
	out := make([]string, len(hosts))
	for i, h := range hosts {
		out[i] = h.String()
	}
	return out
}

// removeHostsInput is hostsInput plus the confirmation token.
type removeHostsInput struct {
	hostsInput
	confirmationInput

	// scope is what the read of the account before asking found.
	scope scopeCheck
}

// removeVirtualHostsInput is virtualHostsInput plus the confirmation token.
type removeVirtualHostsInput struct {
	virtualHostsInput
	confirmationInput

	scope scopeCheck
}

// removalNotice is the consequence a person must weigh before removing
// assets from scope.
const removalNotice = "Removed assets drop out of PCI scope: the quarterly ASV scan no longer covers them, " +
	"and a passing report will not show them. Remove only assets that truly left the cardholder-data environment."

func qualysRemoveHosts() Tool {
	return newGuardedTool(spec{
		name:         "qualys_remove_hosts",
		toolset:      ToolsetQualys,
		title:        "Remove hosts (Qualys)",
		description:  "Remove hosts from the PCI scope. " + confirmedFirst,
		annotations:  destructiveHints,
		outcomeCheck: "read qualys_compliance_summary to see which hosts are still in scope",
	}, guardSpec[removeHostsInput, *Preview]{
		validate: func(ctx context.Context, d *Deps, in *removeHostsInput) error {
			in.scope = checkScope(ctx, d, hostStrings(in.parsed), func(s *qualysScope, i int) bool { return s.holdsHost(in.parsed[i]) })
			return in.scope.refusal("hosts", d.upstreamUser(ToolsetQualys))
		},
		preview: func(_ context.Context, d *Deps, in *removeHostsInput) *Preview {
			items := make([]string, len(in.parsed))
			ranges := false
			for i, h := range in.parsed {
				items[i] = hostItem(h)
				ranges = ranges || h.IsRange()
			}
			action := "remove " + plural(len(in.parsed), "host", "hosts") + " from PCI scope"
			if ranges {
				action = "remove " + plural(len(in.parsed), "entry", "entries") + " holding " + addressCount(in.parsed) + " from PCI scope"
			}
			return &Preview{
				Provider: qualys.ProviderName, User: d.upstreamUser(ToolsetQualys), Action: action,
				Items: items, NotInScope: in.scope.notInScope, ScopeUnchecked: in.scope.unchecked, Notice: removalNotice,
			}
		},
	}, func(ctx context.Context, d *Deps, in *removeHostsInput) (*assetsOutput, error) {
		res, err := d.Qualys.RemoveHosts(ctx, in.parsed)
		if err != nil {
			return nil, err
		}
		return &assetsOutput{Message: res.Message, Assets: hostStrings(in.parsed)}, nil
	})
}

func qualysRemoveVirtualHosts() Tool {
	return newGuardedTool(spec{
		name:         "qualys_remove_virtual_hosts",
		toolset:      ToolsetQualys,
		title:        "Remove virtual hosts (Qualys)",
		description:  "Remove web sites from the PCI scope. " + confirmedFirst,
		annotations:  destructiveHints,
		outcomeCheck: "read qualys_compliance_summary to see which virtual hosts are still in scope",
	}, guardSpec[removeVirtualHostsInput, *Preview]{
		validate: func(ctx context.Context, d *Deps, in *removeVirtualHostsInput) error {
			in.scope = checkScope(ctx, d, in.auditTargets(), func(s *qualysScope, i int) bool { return s.holdsVirtualHost(in.parsed[i]) })
			return in.scope.refusal("virtual_hosts", d.upstreamUser(ToolsetQualys))
		},
		preview: func(_ context.Context, d *Deps, in *removeVirtualHostsInput) *Preview {
			return &Preview{
				Provider: qualys.ProviderName, User: d.upstreamUser(ToolsetQualys),
				Action: "remove " + plural(len(in.parsed), "virtual host", "virtual hosts") + " from PCI scope",
				Items:  in.auditTargets(), NotInScope: in.scope.notInScope, ScopeUnchecked: in.scope.unchecked, Notice: removalNotice,
			}
		},
	}, func(ctx context.Context, d *Deps, in *removeVirtualHostsInput) (*assetsOutput, error) {
		res, err := d.Qualys.RemoveVirtualHosts(ctx, in.parsed)
		if err != nil {
			return nil, err
		}
		return &assetsOutput{Message: res.Message, Assets: in.auditTargets()}, nil
	})
}
