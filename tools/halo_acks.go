package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/pci-mcp/pci-mcp/providers/halo"
	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// Halo's refusals of acknowledgement calls [doc], recognised to say what
// they mean for the person.
const (
	haloMsgAlreadyAcknowledged = "host already acknowledged"
	haloMsgNothingDeleted      = "nothing deleted"
	haloMsgTypeNotValid        = "type not valid"
	haloMsgHostRequired        = "host required"
)

// ackOutcomeCheck tells a person how to see whether an acknowledgement
// change went through.
const ackOutcomeCheck = "list acknowledgements with halo_list_acknowledged_hosts to see whether it took effect"

func haloListAcknowledgedHosts() Tool {
	return newTool(spec{
		name:        "halo_list_acknowledged_hosts",
		toolset:     ToolsetHalo,
		title:       "List acknowledged hosts (Halo)",
		description: "List hosts whose findings were acknowledged as false positive or accepted risk: host, type, comment, who and when.",
		annotations: readHints,
	}, func(ctx context.Context, d *Deps, in *haloPageInput) (*halo.HostAckList, error) {
		return d.Halo.ListAcknowledgedHosts(ctx, in.options())
	})
}

// hostAckInput names a host and the kind of finding acknowledged on it.
type hostAckInput struct {
	Host string `json:"host" jsonschema:"maxLength=253"`
	Type string `json:"type" jsonschema:"enum=global,enum=discovery,enum=cookie,enum=script,enum=form,enum=cert,enum=download,enum=link,enum=traffic"`
}

func (in *hostAckInput) check() error {
	if strings.TrimSpace(in.Host) == "" {
		return argError("host", "must not be blank")
	}
	in.Host = strings.TrimSpace(in.Host)
	return nil
}

func (in *hostAckInput) auditTargets() []string { return []string{in.Host + " (" + in.Type + ")"} }

// acknowledgeHostInput is the argument of halo_acknowledge_host.
type acknowledgeHostInput struct {
	hostAckInput
	Comment string `json:"comment,omitempty" jsonschema:"maxLength=1000"`
	confirmationInput
}

// canonical leaves the confirmation token out of what the person confirms.
func (in *acknowledgeHostInput) canonical() any {
	return []string{strings.ToLower(in.Host), in.Type, in.Comment}
}

// ackNotice is the consequence of saying yes.
const ackNotice = "Acknowledged findings are hidden: they stop counting against PCI scope and no longer block an attestation. " +
	"Acknowledge only a confirmed false positive or a risk you can justify to your ASV; halo_remove_host_acknowledgement undoes it."

// ackResult is Halo's answer to an acknowledgement change, with what was sent.
type ackResult struct {
	Host    string `json:"host"`
	Type    string `json:"type"`
	Comment string `json:"comment,omitempty"`
}

func haloAcknowledgeHost() Tool {
	return newGuardedTool(spec{
		name:         "halo_acknowledge_host",
		toolset:      ToolsetHalo,
		title:        "Acknowledge findings (Halo)",
		description:  "Hide a host's findings of one type (global: all) from PCI: false positive or accepted risk. " + confirmedFirst,
		annotations:  destructiveHints,
		outcomeCheck: ackOutcomeCheck,
	}, guardSpec[acknowledgeHostInput, *Preview]{
		preview: func(_ context.Context, d *Deps, in *acknowledgeHostInput) *Preview {
			comment := in.Comment
			if comment == "" {
				comment = "(none)"
			}
			return &Preview{
				Provider: halo.ProviderName, Account: d.upstreamUser(ToolsetHalo),
				Action: "acknowledge " + in.Type + " findings on " + in.Host,
				Items:  []string{"host: " + in.Host, "type: " + in.Type, "comment: " + comment},
				Notice: ackNotice,
			}
		},
	}, func(ctx context.Context, d *Deps, in *acknowledgeHostInput) (*ackResult, error) {
		if err := d.Halo.AcknowledgeHost(ctx, in.Host, in.Type, in.Comment); err != nil {
			return nil, haloAckFailure(err, in.Host, in.Type)
		}
		return &ackResult{Host: in.Host, Type: in.Type, Comment: in.Comment}, nil
	})
}

func haloRemoveHostAcknowledgement() Tool {
	return newTool(spec{
		name:         "halo_remove_host_acknowledgement",
		toolset:      ToolsetHalo,
		title:        "Remove a host acknowledgement (Halo)",
		description:  "Make a host's acknowledged findings of one type count again for PCI.",
		annotations:  addHints,
		outcomeCheck: ackOutcomeCheck,
	}, func(ctx context.Context, d *Deps, in *hostAckInput) (*ackResult, error) {
		if err := d.Halo.RemoveHostAcknowledgement(ctx, in.Host, in.Type); err != nil {
			return nil, haloAckFailure(err, in.Host, in.Type)
		}
		return &ackResult{Host: in.Host, Type: in.Type}, nil
	})
}

// haloAckFailure turns Halo's documented refusals into what they mean and
// what to do; other failures pass through unchanged.
func haloAckFailure(err error, host, ackType string) error {
	ue, ok := upstream.AsError(err)
	if !ok {
		return err
	}
	subject := fmt.Sprintf("%s (%s)", host, ackType)
	switch strings.ToLower(strings.TrimSpace(ue.Message)) {
	case haloMsgAlreadyAcknowledged:
		return about(err, subject, fmt.Sprintf("%s findings on %s are already acknowledged, so nothing changed; halo_list_acknowledged_hosts shows the acknowledgement and its comment.", ackType, host))
	case haloMsgNothingDeleted:
		return about(err, subject, fmt.Sprintf("%s has no acknowledgement of type %s, so nothing changed; halo_list_acknowledged_hosts shows which acknowledgements exist.", host, ackType))
	case haloMsgTypeNotValid:
		return about(err, subject, fmt.Sprintf("Halo Security does not take type %q here; use one of %s.", ackType, strings.Join(halo.AckTypes, ", ")))
	case haloMsgHostRequired:
		return about(err, subject, "Halo Security needs the host: give it as Halo shows it (halo_list_targets).")
	}
	return err
}
