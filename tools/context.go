package tools

import "encoding/json"

// ModelVisibleAverageMax is the context budget of the catalog: what a model
// reads of tools/list, on average per tool, in bytes (ModelVisible). A tool
// over it is paid for by tools under it. TestToolsListBudget holds the
// catalog to it, and `make bench` reports it.
const ModelVisibleAverageMax = 600

// ModelVisible returns what a model reads of one tools/list entry, as it
// crosses the wire: its name, title, description, input schema and
// annotations. Hosts give the output schema to validation, not to the
// model, so it is left out; everything else is kept as it is.
func ModelVisible(tool json.RawMessage) (json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(tool, &fields); err != nil {
		return nil, err
	}
	delete(fields, "outputSchema")
	return json.Marshal(fields)
}
