package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"

	"github.com/invopop/jsonschema"
)

// Ids as models send them. A model that read an id in one tool's answer
// passes it to the next in whatever JSON type it remembers: Halo's scan id
// "48290" comes back as 48290, Qualys's scan 10987 as "10987". Input ids
// therefore take both spellings, and their schemas say so: an integer id is
// `"type":["integer","string"]` with a pattern of digits for the string, a
// string id is `"type":["string","integer"]`. Outputs keep one type per
// concept, the upstream's.

// numericID is an integer id (a Qualys scan or detection, a Halo target,
// report, question or issue) that also accepts a string of digits.
type numericID int64

// UnmarshalJSON accepts 10987 and "10987". The schema has already checked
// the form; this keeps the type safe to decode on its own too.
func (id *numericID) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		data = []byte(s)
	}
	n, err := strconv.ParseInt(string(data), 10, 64)
	if err != nil {
		return errors.New("an id must be an integer or a string of digits")
	}
	*id = numericID(n)
	return nil
}

// textID is a string id (a Halo scan id, an event id) that also accepts a
// JSON number, taken as its digits.
type textID string

// UnmarshalJSON accepts "sc48290" and 48290.
func (id *textID) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*id = textID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(data, &n); err != nil {
		return errors.New("an id must be a string or an integer")
	}
	if _, err := n.Int64(); err != nil {
		return errors.New("an id must be a string or an integer")
	}
	*id = textID(n.String())
	return nil
}

// idKind marks, while a schema is reflected, the properties that are ids;
// spellIDs then writes their two accepted types.
const idKind = "x-pci-mcp-id"

// The forms an integer id takes as a string: at most 18 digits, so every
// one fits an int64.
const (
	digitsPattern         = `^\d{1,18}$`
	positiveDigitsPattern = `^[1-9]\d{0,17}$`
)

// idSchema is what the reflector starts an id property with: the field's
// own tags (minimum, maxLength, pattern, description) are added to it.
func idSchema(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeFor[numericID]():
		return &jsonschema.Schema{Type: "integer", Extras: map[string]any{idKind: "integer"}}
	case reflect.TypeFor[textID]():
		return &jsonschema.Schema{Type: "string", Extras: map[string]any{idKind: "string"}}
	}
	return nil
}

// spellIDs rewrites every id property under s to accept both spellings:
// an integer id also takes a string of digits (at least 1 when its minimum
// is 1), a string id also takes an integer, read as its digits.
func spellIDs(s *jsonschema.Schema) {
	if s == nil {
		return
	}
	switch s.Extras[idKind] {
	case "integer":
		delete(s.Extras, idKind)
		s.Type = ""
		s.Extras["type"] = []string{"integer", "string"}
		s.Extras["pattern"] = digitsPattern
		if s.Minimum == "1" {
			s.Extras["pattern"] = positiveDigitsPattern
		}
	case "string":
		delete(s.Extras, idKind)
		s.Type = ""
		s.Extras["type"] = []string{"string", "integer"}
	}
	if len(s.Extras) == 0 {
		s.Extras = nil
	}
	if s.Properties != nil {
		for pair := s.Properties.Oldest(); pair != nil; pair = pair.Next() {
			spellIDs(pair.Value)
		}
	}
	spellIDs(s.Items)
}
