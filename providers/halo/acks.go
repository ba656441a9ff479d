package halo

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// AckTypes are the kinds of finding a host acknowledgement can cover, as
// ack/host-add.json takes them [doc]: global covers everything on the host.
var AckTypes = []string{"global", "discovery", "cookie", "script", "form", "cert", "download", "link", "traffic"}

// HostAck is a host whose findings of one type the account accepted as a
// risk or a false positive. Halo lists it as "awk_host" [doc]; its type is
// a number in the docs' sample (1000) where host-add takes a name, so it is
// kept as Halo sends it.
type HostAck struct {
	Host        upstream.String `json:"host"`
	Type        upstream.String `json:"type"`
	Comment     upstream.String `json:"comment,omitempty"`
	CreatedDate upstream.String `json:"created_date,omitempty"`
	CreatedBy   upstream.String `json:"created_by,omitempty"`
}

// HostAckList is a page of acknowledged hosts.
type HostAckList struct {
	Pagination Pagination `json:"pagination"`
	Hosts      []HostAck  `json:"hosts"`
}

// ListAcknowledgedHosts lists the acknowledged hosts (GET ack/host-list.json).
func (c *Client) ListAcknowledgedHosts(ctx context.Context, opts ListOptions) (*HostAckList, error) {
	var answer listAnswer[struct {
		Host HostAck `json:"awk_host"`
	}]
	if err := c.get(ctx, "ack/host-list.json", opts.query(), &answer); err != nil {
		return nil, err
	}
	out := &HostAckList{Pagination: answer.Pagination, Hosts: make([]HostAck, len(answer.List))}
	for i, item := range answer.List {
		out.Hosts[i] = item.Host
	}
	return out, nil
}

// AcknowledgeHost hides the host's findings of one type (GET
// ack/host-add.json; needs the security_acknowledge_add permission). It
// changes state although it is a GET, so it is sent as a write: never
// retried once it may have arrived. Halo refuses a repeat with "Host
// Already Acknowledged" and a bad type with "type not valid" [doc].
func (c *Client) AcknowledgeHost(ctx context.Context, host, ackType, comment string) error {
	if strings.TrimSpace(host) == "" || ackType == "" {
		return errors.New("halo: acknowledging a host needs the host and a type")
	}
	q := url.Values{"host": {host}, "type": {ackType}}
	if comment != "" {
		q.Set("comment", comment)
	}
	return c.write(ctx, "ack/host-add.json", q)
}

// RemoveHostAcknowledgement makes the host's findings of one type count
// again (GET ack/host-delete.json; needs security_acknowledge_delete), sent
// as a write. Halo answers "nothing deleted" when there was no such
// acknowledgement [doc].
func (c *Client) RemoveHostAcknowledgement(ctx context.Context, host, ackType string) error {
	if strings.TrimSpace(host) == "" {
		return errors.New("halo: removing an acknowledgement needs the host")
	}
	q := url.Values{"host": {host}}
	if ackType != "" {
		q.Set("type", ackType)
	}
	return c.write(ctx, "ack/host-delete.json", q)
}
