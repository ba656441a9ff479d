package tools

import (
	"cmp"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode"
)

// Every string argument of every tool reaches something a person reads: a
// preview, the confirmation question, the terminal prompt of `pci-mcp
// call`, an audit line. A control character (Unicode category Cc: ESC,
// carriage return, backspace, newline) or a format character (Cf: bidi
// overrides and isolates, zero-width characters) in one could move the
// cursor, hide text, reorder what is shown or draw a fake line of the
// preview. So decodeArguments refuses them in every string field, including
// fields added later, before anything else looks at the value.
//
// A field whose text may span lines carries the tag `text:"multiline"`: it
// may hold line breaks (\n, or \r\n), which previews render indented under
// their label, and nothing else of Cc or Cf.

// textTag is the struct tag that marks a multi-line field.
const textTag = "text"

// checkText walks in (a decoded tool input) and refuses every string
// holding a control or format character, naming the field and the
// character. It reports every offending field at once.
func checkText(in any) error {
	v := reflect.ValueOf(in)
	// A first walk that builds no paths keeps the common case, clean text,
	// free of allocations; only a refusal walks again to name the fields.
	if !walkText(v, nil, false, nil) {
		return nil
	}
	var errs argumentErrors
	walkText(v, []string{}, false, &errs)
	return errs.orNil()
}

// walkText reports whether v holds a forbidden character. With errs nil it
// stops at the first; otherwise it appends one error per field, named by
// path (the JSON path's segments so far).
func walkText(v reflect.Value, path []string, multiline bool, errs *argumentErrors) bool {
	found := false
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			found = walkText(v.Elem(), path, multiline, errs)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() && !f.Anonymous {
				// encoding/json decodes no unexported field but the
				// promoted fields of an embedded struct.
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			sub := path
			switch {
			case name == "-":
				continue
			case f.Anonymous && name == "":
				// An embedded struct's fields are the parent's in JSON.
			case errs != nil:
				sub = append(path[:len(path):len(path)], cmp.Or(name, f.Name))
			}
			if walkText(v.Field(i), sub, f.Tag.Get(textTag) == "multiline", errs) {
				found = true
				if errs == nil {
					return true
				}
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			sub := path
			if errs != nil {
				sub = append(path[:len(path):len(path)], "["+strconv.Itoa(i)+"]")
			}
			if walkText(v.Index(i), sub, multiline, errs) {
				found = true
				if errs == nil {
					return true
				}
			}
		}
	case reflect.String:
		r, bad := forbiddenRune(v.String(), multiline)
		if bad && errs != nil {
			*errs = append(*errs, argError(strings.ReplaceAll(strings.Join(path, "."), ".[", "["),
				"contains %s; %s", describeRune(r), allowedText(multiline)))
		}
		found = bad
	}
	return found
}

// forbiddenRune returns the first control or format character of s; a
// multi-line value may hold \n and a \r directly before one.
func forbiddenRune(s string, multiline bool) (rune, bool) {
	for i, r := range s {
		if !unicode.Is(unicode.Cc, r) && !unicode.Is(unicode.Cf, r) {
			continue
		}
		if multiline && (r == '\n' || r == '\r' && strings.HasPrefix(s[i+1:], "\n")) {
			continue
		}
		return r, true
	}
	return 0, false
}

// describeRune names a refused character as U+202E with its kind.
func describeRune(r rune) string {
	kind := "a control character"
	if unicode.Is(unicode.Cf, r) {
		kind = "a format character (bidi control or invisible character)"
	}
	return fmt.Sprintf("U+%04X, %s", r, kind)
}

func allowedText(multiline bool) string {
	if multiline {
		return "send plain text: line breaks are allowed here, other control and format characters are not"
	}
	return "send plain text on one line, without control or format characters"
}
