package tools

import (
	"context"

	"github.com/pci-mcp/pci-mcp/providers/halo"
)

// haloListEventsInput filters and pages the event list.
type haloListEventsInput struct {
	Key      string    `json:"key,omitempty" jsonschema:"pattern=^[a-z0-9-]{1\\,64}$" jsonschema_description:"e.g. pci-report-expire-today"`
	Subject  string    `json:"subject,omitempty" jsonschema:"maxLength=100" jsonschema_description:"e.g. PCI Report Approved"`
	TargetID numericID `json:"target_id,omitempty" jsonschema:"minimum=1"`
	haloPageInput
}

func haloListEvents() Tool {
	return newTool(spec{
		name:        "halo_list_events",
		toolset:     ToolsetHalo,
		title:       "List events (Halo)",
		description: "List events: PCI Report Approved, Rejected, Expires Soon/Today, Has Expired; Scan Started, Failed, Complete.",
		annotations: readHints,
	}, func(ctx context.Context, d *Deps, in *haloListEventsInput) (*halo.EventList, error) {
		return d.Halo.ListEvents(ctx, halo.EventFilter{Key: in.Key, Subject: in.Subject, TargetID: int64(in.TargetID)}, in.options())
	})
}

// haloEventIDInput names one event; Halo's event ids are strings [doc].
type haloEventIDInput struct {
	EventID textID `json:"event_id" jsonschema:"pattern=^[\\w-]{1\\,128}$" jsonschema_description:"From halo_list_events."`
}

func haloGetEvent() Tool {
	return newTool(spec{
		name:        "halo_get_event",
		toolset:     ToolsetHalo,
		title:       "Get an event (Halo)",
		description: "Read one event: subject, key, date, target and its link in Halo's console.",
		annotations: readHints,
	}, func(ctx context.Context, d *Deps, in *haloEventIDInput) (*halo.Event, error) {
		id := string(in.EventID)
		res, err := d.Halo.GetEvent(ctx, id)
		if err != nil {
			return nil, about(err, "event "+id, "List events with halo_list_events to find valid ids.")
		}
		return res, nil
	})
}
