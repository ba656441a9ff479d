package upstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Int is an integer in an upstream answer that is sometimes sent as a JSON
// string ("10988") and sometimes as a number. Decoding tolerates both, and
// null, so one odd field never fails a whole answer.
type Int int64

// UnmarshalJSON accepts 123, "123", "" and null.
func (i *Int) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, []byte("null")) {
		return nil
	}
	if len(data) > 0 && data[0] == '"' {
		s, err := unquote(data)
		if err != nil {
			return err
		}
		if s == "" {
			*i = 0
			return nil
		}
		data = []byte(s)
	}
	n, err := strconv.ParseInt(string(data), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(data), 64)
		if ferr != nil || f != float64(int64(f)) {
			return fmt.Errorf("not an integer: %s", data)
		}
		n = int64(f)
	}
	*i = Int(n)
	return nil
}

// String is a text field in an upstream answer that is sometimes sent as a
// number or boolean. Decoding keeps its JSON text.
type String string

// UnmarshalJSON accepts a string, a number, a boolean or null.
func (s *String) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	switch {
	case bytes.Equal(data, []byte("null")):
		return nil
	case len(data) > 0 && data[0] == '"':
		v, err := unquote(data)
		if err != nil {
			return err
		}
		*s = String(v)
		return nil
	case len(data) > 0 && (data[0] == '{' || data[0] == '['):
		return fmt.Errorf("expected text, got %s", data[:1])
	}
	*s = String(data)
	return nil
}

// unquote decodes a JSON string token. Most upstream strings have no escapes
// and are valid UTF-8, so their text is simply the bytes between the quotes;
// only the others take a second json.Unmarshal, which allocates a decoder
// each time and was a third of an upstream call's allocations (BENCHMARKS.md).
func unquote(data []byte) (string, error) {
	if len(data) >= 2 && data[0] == '"' && data[len(data)-1] == '"' {
		inner := data[1 : len(data)-1]
		plain := utf8.Valid(inner)
		for _, c := range inner {
			if c < ' ' || c == '"' || c == '\\' {
				plain = false
				break
			}
		}
		if plain {
			return string(inner), nil
		}
	}
	var s string
	err := json.Unmarshal(data, &s)
	return s, err
}

// Bool is a yes/no field in an upstream answer that may come as a JSON
// boolean, as 1 or 0, or as a string of either ("1", "true", "yes"). It
// encodes as a JSON boolean, so a consumer sees one type whatever the
// upstream sent. Use *Bool where the field may be missing, so absent is not
// read as false.
type Bool bool

// UnmarshalJSON accepts true/false, 1/0 and the strings "1"/"0",
// "true"/"false", "yes"/"no" (any case). An empty string is false, the
// cautious reading, so one odd field does not fail a whole answer; anything
// else is an error.
func (b *Bool) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	text := string(data)
	if len(data) > 0 && data[0] == '"' {
		s, err := unquote(data)
		if err != nil {
			return err
		}
		text = strings.ToLower(strings.TrimSpace(s))
	}
	switch text {
	case "true", "1", "yes":
		*b = true
	case "false", "0", "no", "":
		*b = false
	default:
		return fmt.Errorf("not a yes/no value: %s", data)
	}
	return nil
}
