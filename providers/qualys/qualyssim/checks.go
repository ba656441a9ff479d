package qualyssim

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
)

// maxBodyBytes bounds a request body; the documented bodies are tiny.
const maxBodyBytes = 1 << 20

// apiError is a failure answered with the error body of guesses.go.
type apiError struct {
	status  int
	message string
	allow   string // the Allow header of a 405
}

// Error returns the message sent to the client.
func (e *apiError) Error() string { return e.message }

// badRequest is a 400 whose message is formatted like fmt.Sprintf.
func badRequest(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, message: fmt.Sprintf(format, args...)}
}

// notFound is a 404 for an unknown record.
func notFound(format string, args ...any) *apiError {
	return &apiError{status: http.StatusNotFound, message: fmt.Sprintf(format, args...)}
}

// writeError sends err as the error body; errors that are not *apiError are
// the simulator's own bugs and answer 500.
func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{status: http.StatusInternalServerError, message: "The simulator failed: " + err.Error()}
	}
	switch ae.status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Basic realm="Qualys PCI"`)
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", ae.allow)
	}
	writeJSON(w, ae.status, errorBody(ae.status, ae.message))
}

// ServeHTTP records the request, then checks it in the order a gateway would:
// credentials (401), path and method (404, 405), required headers (400), body
// media type (415); only then does the operation run.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))

	s.mu.Lock()
	defer s.mu.Unlock()
	s.record(r, body)

	data, err := s.serve(r, body, readErr)
	if err != nil {
		writeError(w, err)
		return
	}
	writeData(w, data)
}

// serve runs the checks and the operation with s.mu held.
func (s *Simulator) serve(r *http.Request, body []byte, readErr error) (any, error) {
	if readErr != nil {
		var tooBig *http.MaxBytesError
		if errors.As(readErr, &tooBig) {
			return nil, &apiError{status: http.StatusRequestEntityTooLarge, message: fmt.Sprintf("The request body is larger than %d bytes.", maxBodyBytes)}
		}
		return nil, badRequest("The request body could not be read: %v.", readErr)
	}
	if !s.authorized(r) {
		return nil, &apiError{status: http.StatusUnauthorized, message: "Authentication failed: send the PCI merchant account's username and password with HTTP Basic auth."}
	}
	rt, id, err := findRoute(r.Method, r.URL.Path)
	if err != nil {
		return nil, err
	}
	if v := r.Header.Get("apiVersion"); v != "V1" {
		return nil, badRequest("The apiVersion header must be V1, got %q.", v)
	}
	if r.Header.Get("X-Requested-With") == "" {
		return nil, badRequest("The X-Requested-With header is required; any non-empty value will do.")
	}
	if len(body) > 0 {
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			return nil, &apiError{status: http.StatusUnsupportedMediaType, message: fmt.Sprintf("The request body must be sent as Content-Type: application/json, got %q.", r.Header.Get("Content-Type"))}
		}
	}
	if rt.needBody && len(body) == 0 {
		return nil, badRequest("%s %s needs a JSON request body.", rt.method, r.URL.Path)
	}
	query, qerr := url.ParseQuery(r.URL.RawQuery)
	if qerr != nil {
		return nil, badRequest("The query string is malformed: %v.", qerr)
	}
	return rt.handle(s, call{body: body, query: query, id: id, now: s.opts.Now()})
}

// authorized reports whether r carries the configured Basic-auth credentials.
func (s *Simulator) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	userOK := subtle.ConstantTimeCompare([]byte(user), []byte(s.opts.Username)) == 1
	passOK := subtle.ConstantTimeCompare([]byte(pass), []byte(s.opts.Password)) == 1
	return ok && userOK && passOK
}
