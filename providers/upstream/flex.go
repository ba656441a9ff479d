package upstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
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
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
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
		var v string
		if err := json.Unmarshal(data, &v); err != nil {
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
