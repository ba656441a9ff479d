package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	validator "github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/pci-mcp/pci-mcp/providers/qualys"
)

// ArgumentError is one rejected argument: where it is ("hosts[2]",
// "virtual_hosts[0].fqdn") and why.
type ArgumentError struct {
	Field  string
	Reason string
}

func (e *ArgumentError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

// argumentErrors is every problem found in one call's arguments, reported
// together so the assistant can fix them in one go.
type argumentErrors []*ArgumentError

func (e argumentErrors) Error() string {
	parts := make([]string, len(e))
	for i, a := range e {
		parts[i] = a.Error()
	}
	return strings.Join(parts, "; ")
}

func argError(field, format string, args ...any) *ArgumentError {
	return &ArgumentError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// checker is implemented by tool inputs that need more than the schema can
// say (addresses, host names, cross-field rules). check applies defaults,
// validates, and keeps what it parsed for the handler.
type checker interface {
	check() error
}

// decodeArguments turns a call's raw arguments into In, in four steps: the
// bytes must be valid UTF-8 JSON, the value must satisfy the tool's input
// schema (types, bounds, enums, required and unknown fields), no string may
// hold a control or format character (checkText), and In's own check must
// pass. Nothing is sent upstream unless all three do.
func decodeArguments[In any](schema *validator.Schema, raw json.RawMessage) (*In, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		raw = []byte("{}")
	}
	if !utf8.Valid(raw) {
		return nil, &ArgumentError{Field: invalidUTF8Path(raw, ""), Reason: "contains invalid UTF-8; send text as UTF-8"}
	}
	value, err := validator.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, &ArgumentError{Reason: "arguments are not valid JSON: " + err.Error()}
	}
	if _, ok := value.(map[string]any); !ok {
		return nil, &ArgumentError{Reason: "arguments must be a JSON object"}
	}
	if err := schema.Validate(value); err != nil {
		return nil, schemaErrors(err)
	}
	in := new(In)
	if err := json.Unmarshal(raw, in); err != nil {
		return nil, &ArgumentError{Reason: "arguments do not match the tool's schema: " + err.Error()}
	}
	if err := checkText(in); err != nil {
		return nil, err
	}
	if c, ok := any(in).(checker); ok {
		if err := c.check(); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// schemaErrors renders the validator's error tree as one ArgumentError per
// failed leaf, named by the argument's path.
func schemaErrors(err error) error {
	var verr *validator.ValidationError
	if !errors.As(err, &verr) {
		return &ArgumentError{Reason: err.Error()}
	}
	var out argumentErrors
	var walk func(*validator.ValidationError)
	walk = func(e *validator.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		out = append(out, leafError(e))
	}
	walk(verr)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	if len(out) == 1 {
		return out[0]
	}
	return out
}

func leafError(e *validator.ValidationError) *ArgumentError {
	field := fieldPath(e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		missing := k.Missing[0]
		return argError(joinPath(field, missing), "is required")
	case *kind.AdditionalProperties:
		return argError(joinPath(field, k.Properties[0]), "is not an argument of this tool")
	case *kind.Type:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = withArticle(w)
		}
		return argError(field, "must be %s, not %s", strings.Join(want, " or "), withArticle(k.Got))
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = fmt.Sprintf("%v", w)
		}
		return argError(field, "must be one of %s, not %v", strings.Join(want, ", "), k.Got)
	case *kind.MinLength:
		if k.Want == 1 {
			return argError(field, "must not be empty")
		}
		return argError(field, "must be at least %d characters long", k.Want)
	case *kind.MaxLength:
		return argError(field, "is %d characters long; the limit is %d", k.Got, k.Want)
	case *kind.MinItems:
		if k.Want == 1 {
			return argError(field, "must not be empty")
		}
		return argError(field, "must have at least %d entries", k.Want)
	case *kind.MaxItems:
		return argError(field, "has %d entries; the limit is %d per call", k.Got, k.Want)
	case *kind.Minimum:
		return argError(field, "must be at least %s, not %s", ratString(k.Want), ratString(k.Got))
	case *kind.Maximum:
		return argError(field, "must be at most %s, not %s", ratString(k.Want), ratString(k.Got))
	case *kind.Pattern:
		switch k.Want {
		case digitsPattern:
			return argError(field, "%q is not an id: give a whole number, as a number or a string of digits", k.Got)
		case positiveDigitsPattern:
			return argError(field, "%q is not an id: give a whole number of at least 1, as a number or a string of digits", k.Got)
		}
		return argError(field, "%q does not have the expected form", k.Got)
	case *kind.UniqueItems:
		return argError(field, "has duplicate entries")
	}
	return argError(field, "does not match the schema (%s)", strings.Join(e.ErrorKind.KeywordPath(), "/"))
}

func ratString(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func withArticle(typ string) string {
	switch typ {
	case "integer", "object", "array":
		return "an " + typ
	case "null":
		return "null"
	}
	return "a " + typ
}

// fieldPath renders a JSON location as hosts[2] or virtual_hosts[0].fqdn.
func fieldPath(location []string) string {
	var b strings.Builder
	for _, seg := range location {
		if _, err := strconv.Atoi(seg); err == nil {
			b.WriteString("[" + seg + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	return b.String()
}

func joinPath(parent, child string) string {
	if parent == "" {
		return child
	}
	return parent + "." + child
}

// invalidUTF8Path finds the argument holding invalid UTF-8, so the error
// names it; it falls back to the enclosing path.
func invalidUTF8Path(raw json.RawMessage, path string) string {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) == nil {
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !utf8.Valid(obj[k]) {
				return invalidUTF8Path(obj[k], joinPath(path, k))
			}
		}
		return path
	}
	var arr []json.RawMessage
	if json.Unmarshal(raw, &arr) == nil {
		for i, item := range arr {
			if !utf8.Valid(item) {
				return invalidUTF8Path(item, path+"["+strconv.Itoa(i)+"]")
			}
		}
	}
	return path
}

// listError names the bad entry of a list argument, e.g. hosts[2] or
// virtual_hosts[1].port, from a provider's *qualys.ListError.
func listError(field string, err error) error {
	var le *qualys.ListError
	if errors.As(err, &le) {
		path := field + "[" + strconv.Itoa(le.Index) + "]"
		if le.Field != "" {
			path += "." + le.Field
		}
		return argError(path, "%q %s", le.Value, le.Reason)
	}
	return argError(field, "%s", err.Error())
}
