package halosim

import (
	"fmt"
	"net/http"
)

// response is what a handler answers: an HTTP status and a value to encode as the JSON body.
// Handlers return it instead of writing, so the simulator encodes every answer in one place
// while it still holds the lock that protects the state the value was built from.
type response struct {
	status int
	body   any
}

// apiError is Halo's error body.
type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// ok answers 200 with body.
func ok(body any) response { return response{status: http.StatusOK, body: body} }

// fail answers an error with the given HTTP status, Halo code and message.
func fail(status, code int, message string) response {
	return response{status: status, body: apiError{Code: code, Message: message}}
}

// badRequest answers 400 with code 0, Halo's shape for validation errors.
func badRequest(format string, args ...any) response {
	return fail(http.StatusBadRequest, codeValidation, fmt.Sprintf(format, args...))
}

// listRequest echoes a list request the way Halo does in the "request" member of list
// answers: the account's target count, the sort code as a string (as in the seed sample) and
// the start offset when it is not 0 [doc]. What else Halo echoes is unknown.
type listRequest struct {
	TargetCount int    `json:"target_count"`
	Sort        string `json:"sort"`
	Start       int    `json:"start,omitempty"`
}

// pagination is the "pagination" member of list answers.
type pagination struct {
	Total int `json:"total"`
	Start int `json:"start"`
	Limit int `json:"limit"`
}

// listAnswer is the envelope of every list call.
type listAnswer[T any] struct {
	Request    listRequest `json:"request"`
	Pagination pagination  `json:"pagination"`
	List       []T         `json:"list"`
}
