package halosim

// Error texts in one place. The Halo documents give only the three marked [seed]; every other
// text, and the error code paired with it, is a guess to keep easy to change when the real
// wording is known.
const (
	msgNoTargetsInScope    = "no targets in pci scope"   // [seed] pci/start, code 0, HTTP 400
	msgAttestationNotFound = "pci attestation not found" // [seed] pci/attest, code 0, HTTP 404
	msgReportNotFound      = "Report Not Found"          // [seed] pci/report-get, code 0, HTTP 404

	msgInvalidAPIKey        = "invalid api key"                                   // [guess] code 401
	msgTargetNotFound       = "target not found"                                  // [guess] code 404
	msgScanNotFound         = "scan not found"                                    // [guess] code 404
	msgUnknownEndpoint      = "endpoint not found"                                // [guess] code 404
	msgMethodNotAllowed     = "method not allowed"                                // [guess] code 405
	msgUnsupportedMediaType = "content type must be application/json"             // [guess] code 415
	msgBodyTooLarge         = "request body is larger than 1 MiB"                 // [guess] code 413
	msgInvalidJSON          = "request body must be a JSON object"                // [guess] code 0
	msgTypeNotValid         = "type not valid: use current, recent, prior or all" // [guess] code 0

	// The formats below build the sentences of 400 answers; all are guesses. %s is a
	// parameter or field name unless said otherwise.
	fmtParamRequired    = "%s required"
	fmtParamNotValid    = "%s not valid: must be a whole number"
	fmtParamRange       = "%s not valid: must be between %d and %d"
	fmtParamNotNegative = "%s not valid: must be a whole number of 0 or more"
	fmtFieldNotString   = "%s must be a string"
	fmtMissingFields    = "missing required fields: %s" // %s: comma-separated field names
	fmtBadArray         = "%s must be a JSON array of objects"
	fmtBadItemField     = "%s[%d].%s not valid" // array name, index, field name
	fmtUnknownQuestion  = "question %d is not part of this attestation"
	fmtBadAnswer        = `question %d answer %q not valid: answer "yes" or "no"`
	fmtUnanswered       = "questions not answered: %s" // %s: question ids
	fmtUnknownNote      = "no note for target_id %d and issue_id %d in this attestation"
	fmtBadSecure        = `note for target_id %d and issue_id %d: secure must be "1" or "0"`
	fmtNoResponse       = "note for target_id %d and issue_id %d: response required"
	fmtUncoveredNotes   = "notes not answered: %s"                  // %s: "note <id> (target_id <t>, issue_id <i>)" list
	fmtBlockers         = "cannot attest while blockers remain: %s" // %s: the blockers, joined with "; "
	fmtRequireScan      = "targets needing a scan: %s"              // %s: "7 (api.example.com)" list
	fmtHasVuln          = "targets with vulnerabilities to resolve: %s"
)

// Error codes. Halo puts 0 in "code" for validation errors and 404 for some not-found
// answers, so "code" is not always the HTTP status [doc][seed].
const (
	codeValidation = 0
	codeNotFound   = 404
)
