package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
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

// The forms an integer id takes as a string: at most 18 digits, so every
// one fits an int64.
const (
	digitsPattern         = `^\d{1,18}$`
	positiveDigitsPattern = `^[1-9]\d{0,17}$`
)
