package qualyssim

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// responseAPIVersion is the envelope version every documented response carries.
const responseAPIVersion = "LATEST - V1"

// envelope is the documented success wrapper: data is a message string for
// writes and an object for reads.
type envelope struct {
	ResponseAPIVersion string `json:"responseApiVersion"`
	Data               any    `json:"data"`
}

// jsonField is one member of a jsonObject.
type jsonField struct {
	name  string
	value any
}

// jsonObject marshals as a JSON object whose member names are chosen at run
// time, in order. It exists so that guessed member names can live in one
// constant block (guesses.go) instead of being spread over struct tags.
type jsonObject []jsonField

// MarshalJSON writes the members in order.
func (o jsonObject) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		name, err := marshal(f.name)
		if err != nil {
			return nil, err
		}
		value, err := marshal(f.value)
		if err != nil {
			return nil, err
		}
		buf.Write(name)
		buf.WriteByte(':')
		buf.Write(value)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// marshal encodes v as compact JSON without HTML escaping, so that titles such
// as "Apache <2.4.58" read on the wire as they do in the vendor's console.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// writeJSON sends v with the given status as application/json.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := marshal(v)
	if err != nil {
		// Only a programming error in this package can get here; say so plainly.
		status = http.StatusInternalServerError
		body, _ = marshal(errorBody(status, "The simulator could not encode its response: "+err.Error()))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeData sends a documented success envelope around data.
func writeData(w http.ResponseWriter, data any) {
	writeJSON(w, http.StatusOK, envelope{ResponseAPIVersion: responseAPIVersion, Data: data})
}

// listPage is the documented list shape: totalCount, fetchRange and one list
// whose name differs per endpoint.
type listPage struct {
	totalCount int
	fetchRange string
	listName   string
	items      any
}

// MarshalJSON writes the three members in the documented order.
func (p listPage) MarshalJSON() ([]byte, error) {
	return jsonObject{
		{"totalCount", p.totalCount},
		{"fetchRange", p.fetchRange},
		{p.listName, p.items},
	}.MarshalJSON()
}
