package halosim

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Acknowledgement types ack/host-add.json takes [doc].
var ackTypes = []string{"global", "discovery", "cookie", "script", "form", "cert", "download", "link", "traffic"}

const ackGlobal = "global"

// Acknowledgement answers: the three messages are Halo's [doc]; their HTTP
// status (400) and code (0) are guessed like other validation errors.
const (
	msgHostRequired        = "host required"
	msgAckTypeNotValid     = "type not valid"
	msgAlreadyAcknowledged = "Host Already Acknowledged"
	msgNothingDeleted      = "nothing deleted"
)

// hostAck is one acknowledged host and type.
type hostAck struct {
	host, ackType, comment, createdBy string
	created                           time.Time
}

// awkHost is an acknowledged host as ack/host-list shows it. The docs'
// sample shows type as a number (1000) without saying what it encodes, so
// the simulator answers the name it was given [guess].
type awkHost struct {
	Host        string `json:"host"`
	Comment     string `json:"comment"`
	CreatedDate string `json:"created_date"`
	Type        string `json:"type"`
	CreatedBy   string `json:"created_by"`
}

type awkHostItem struct {
	Host awkHost `json:"awk_host"`
}

type successAnswer struct {
	Success int `json:"success"`
}

// acknowledged reports whether host has an acknowledgement of ackType.
func (a *account) acknowledged(host, ackType string) bool {
	return slices.ContainsFunc(a.acks, func(k hostAck) bool { return strings.EqualFold(k.host, host) && k.ackType == ackType })
}

// ackHostList answers ack/host-list.json in the order acknowledgements were made.
func (s *Simulator) ackHostList(r *http.Request, _ []byte, _ time.Time) response {
	p, bad := parseListParams(r.URL.Query())
	if bad != nil {
		return *bad
	}
	items := make([]awkHostItem, len(s.account.acks))
	for i, k := range s.account.acks {
		items[i] = awkHostItem{Host: awkHost{Host: k.host, Comment: k.comment, CreatedDate: k.created.UTC().Format(dateLayout), Type: k.ackType, CreatedBy: k.createdBy}}
	}
	return ok(page(items, p, len(s.account.targets)))
}

// ackParams reads host and type, answering 400 when host is missing or
// type is not one of ackTypes (or missing, unless optional).
func ackParams(r *http.Request, typeOptional bool) (host, ackType string, bad *response) {
	q := r.URL.Query()
	host, ackType = strings.TrimSpace(q.Get("host")), strings.TrimSpace(q.Get("type"))
	switch {
	case host == "":
		b := badRequest("%s", msgHostRequired)
		return "", "", &b
	case !slices.Contains(ackTypes, ackType) && !(typeOptional && ackType == ""):
		b := badRequest("%s", msgAckTypeNotValid)
		return "", "", &b
	}
	return host, ackType, nil
}

// ackHostAdd answers ack/host-add.json: a GET that changes state [doc].
func (s *Simulator) ackHostAdd(r *http.Request, _ []byte, now time.Time) response {
	host, ackType, bad := ackParams(r, false)
	if bad != nil {
		return *bad
	}
	if s.account.acknowledged(host, ackType) {
		return badRequest("%s", msgAlreadyAcknowledged)
	}
	comment := r.URL.Query().Get("comment")
	u := s.account.user
	s.account.acks = append(s.account.acks, hostAck{host: host, ackType: ackType, comment: comment,
		createdBy: u.firstName + " " + u.lastName, created: now})
	return ok(successAnswer{Success: 1})
}

// ackHostDelete answers ack/host-delete.json: without a type it removes
// every acknowledgement of the host [guess: type is optional in the docs].
func (s *Simulator) ackHostDelete(r *http.Request, _ []byte, _ time.Time) response {
	host, ackType, bad := ackParams(r, true)
	if bad != nil {
		return *bad
	}
	before := len(s.account.acks)
	s.account.acks = slices.DeleteFunc(s.account.acks, func(k hostAck) bool {
		return strings.EqualFold(k.host, host) && (ackType == "" || k.ackType == ackType)
	})
	if len(s.account.acks) == before {
		return badRequest("%s", msgNothingDeleted)
	}
	return ok(successAnswer{Success: 1})
}
