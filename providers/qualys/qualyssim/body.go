package qualyssim

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
)

// decodeBody decodes a JSON object request body into v, a pointer to a
// struct with json tags, strictly: members must be spelled exactly as
// documented (encoding/json alone would accept "targetIPs" for "targetIps"),
// have the documented type, and nothing may follow the object. The real
// service's leniency is unknown; being strict makes a client's typo fail
// loudly in tests instead of launching the wrong scan.
func decodeBody(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	var members map[string]json.RawMessage
	if err := dec.Decode(&members); err != nil {
		var wrongType *json.UnmarshalTypeError
		if errors.As(err, &wrongType) {
			return badRequest("The request body must be a JSON object (got %s).", wrongType.Value)
		}
		return badRequest("The request body is not valid JSON: %v.", err)
	}
	if dec.More() {
		return badRequest("The request body holds more than one JSON value.")
	}
	known := memberNames(v)
	var unknown []string
	for name := range members {
		if !slices.Contains(known, name) {
			unknown = append(unknown, `"`+name+`"`)
		}
	}
	if unknown != nil {
		slices.Sort(unknown)
		return badRequest("The request body has unknown members %s; the known ones are %s.", strings.Join(unknown, ", "), strings.Join(known, ", "))
	}
	if err := json.Unmarshal(body, v); err != nil {
		var wrongType *json.UnmarshalTypeError
		if errors.As(err, &wrongType) {
			return badRequest("The request body member %q must be a JSON %s (got %s).", wrongType.Field, wrongType.Type, wrongType.Value)
		}
		return badRequest("The request body could not be decoded: %v.", err)
	}
	return nil
}

// memberNames lists the JSON member names of the struct v points to.
func memberNames(v any) []string {
	var names []string
	t := reflect.TypeOf(v).Elem()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		names = append(names, name)
	}
	return names
}
