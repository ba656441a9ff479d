// Package approval is the confirmation route only a person can complete:
// a destructive call waits, as a pending approval in a guard.Store, until an
// enrolled approver approves it with a current TOTP code or a passkey, on a
// page (or a JSON API) the model never sees. This package holds the
// approvers file, the pending approvals and their state changes, both
// factors, the page, the API and the chat-ops webhook. The tools package
// asks it for an approval and redeems it; it knows nothing about MCP.
package approval

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
)

// EnvApproversFile names the approvers file.
const EnvApproversFile = "PCI_MCP_APPROVERS_FILE"

// Approver is a person who may approve destructive calls. The file holds
// their secrets (TOTP key, passkey public keys); nothing else ever does.
type Approver struct {
	Name  string `json:"name"`
	Title string `json:"title,omitempty"`
	// TOTPSecret is the base32 RFC 6238 key; empty without an authenticator.
	TOTPSecret string    `json:"totp_secret,omitempty"`
	TOTPAdded  time.Time `json:"totp_added,omitzero"`
	// Passkeys are the WebAuthn credentials the person registered.
	Passkeys []webauthn.Credential `json:"passkeys,omitempty"`
	// UserHandle is the WebAuthn user id: random, stable for the approver.
	UserHandle []byte    `json:"user_handle,omitempty"`
	Added      time.Time `json:"added"`
	// Subject is the person's identity-provider subject (the OAuth sub), so
	// four eyes can tell them apart from whoever asked for a call.
	Subject string `json:"subject,omitempty"`
}

// Factors lists the approver's factors: totp, passkey.
func (a *Approver) Factors() []string {
	var f []string
	if a.TOTPSecret != "" {
		f = append(f, FactorTOTP)
	}
	if len(a.Passkeys) > 0 {
		f = append(f, FactorPasskey)
	}
	return f
}

// Enrolment is a one-time passkey enrolment link waiting to be used.
type Enrolment struct {
	// TokenHash is the SHA-256 of the link's token: the file never holds
	// the token itself.
	TokenHash string    `json:"token_hash"`
	Name      string    `json:"name"`
	Title     string    `json:"title,omitempty"`
	Expires   time.Time `json:"expires"`
}

// approversDoc is the file's JSON.
type approversDoc struct {
	Approvers  []Approver  `json:"approvers"`
	Enrolments []Enrolment `json:"enrolments,omitempty"`
}

// Approvers is the approvers file. It is read again on every use, so an
// approver added or removed with the CLI counts at once in a running
// server; each change is a read-modify-write under a lock, written to a
// temporary file and renamed, so a reader never sees half a file.
type Approvers struct {
	path string
	mu   sync.Mutex
}

// DefaultApproversPath is $XDG_CONFIG_HOME/pci-mcp/approvers.json, else
// ~/.config/pci-mcp/approvers.json.
func DefaultApproversPath(getenv func(string) string) (string, error) {
	if p := getenv(EnvApproversFile); p != "" {
		return p, nil
	}
	if x := getenv("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "pci-mcp", "approvers.json"), nil
	}
	home := getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", fmt.Errorf("%s is not set and there is no home directory: %w", EnvApproversFile, err)
		}
	}
	return filepath.Join(home, ".config", "pci-mcp", "approvers.json"), nil
}

// OpenApprovers returns the approvers file at path, checking it if it
// exists: a symlink, or a file readable by group or others, is refused (the
// file holds authenticator secrets). A missing file is an empty list.
func OpenApprovers(path string) (*Approvers, error) {
	a := &Approvers{path: path}
	if _, err := a.read(); err != nil {
		return nil, err
	}
	return a, nil
}

// Path is where the file lives.
func (a *Approvers) Path() string { return a.path }

// ErrUnsafeFile is wrapped by the refusal of a symlink or a file others
// can read.
var ErrUnsafeFile = errors.New("unsafe approvers file")

func (a *Approvers) read() (approversDoc, error) {
	var doc approversDoc
	info, err := os.Lstat(a.path)
	if errors.Is(err, fs.ErrNotExist) {
		return doc, nil
	}
	if err != nil {
		return doc, fmt.Errorf("approvers file %s: %w", a.path, err)
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		return doc, fmt.Errorf("%w: %s is a symlink; it must be a regular file (it holds authenticator secrets)", ErrUnsafeFile, a.path)
	}
	if !info.Mode().IsRegular() {
		return doc, fmt.Errorf("%w: %s is not a regular file", ErrUnsafeFile, a.path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return doc, fmt.Errorf("%w: %s is readable or writable by group or others (mode %04o); run chmod 600 %s", ErrUnsafeFile, a.path, perm, a.path)
	}
	data, err := os.ReadFile(a.path)
	if err != nil {
		return doc, fmt.Errorf("approvers file %s: %w", a.path, err)
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return doc, nil
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return doc, fmt.Errorf("approvers file %s is not valid JSON: %v", a.path, err)
	}
	return doc, nil
}

func (a *Approvers) write(doc approversDoc) error {
	if err := os.MkdirAll(filepath.Dir(a.path), 0o700); err != nil {
		return fmt.Errorf("creating the directory of %s: %w", a.path, err)
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(a.path), ".approvers-*.json")
	if err != nil {
		return fmt.Errorf("writing %s: %w", a.path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", a.path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), a.path)
}

// update applies change to the file under the lock. The lock covers this
// process; the CLI and a server editing at the same instant is the one race
// left, and the rename keeps even that from corrupting the file.
func (a *Approvers) update(change func(*approversDoc) error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	doc, err := a.read()
	if err != nil {
		return err
	}
	if err := change(&doc); err != nil {
		return err
	}
	return a.write(doc)
}

// List returns every approver.
func (a *Approvers) List() ([]Approver, error) {
	doc, err := a.read()
	return doc.Approvers, err
}

// Find returns the approver whose name matches (case and surrounding
// spaces ignored).
func (a *Approvers) Find(name string) (*Approver, error) {
	doc, err := a.read()
	if err != nil {
		return nil, err
	}
	for i := range doc.Approvers {
		if SameName(doc.Approvers[i].Name, name) {
			return &doc.Approvers[i], nil
		}
	}
	return nil, nil
}

// SameName compares two people's names as the approval route does: case
// and surrounding spaces ignored.
func SameName(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// Enrolled reports whether at least one approver has a factor.
func (a *Approvers) Enrolled() (bool, error) {
	list, err := a.List()
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(list, func(ap Approver) bool { return len(ap.Factors()) > 0 }), nil
}

// validName checks an approver's name: printable, not empty, not too long.
func validName(name string) error {
	name = strings.TrimSpace(name)
	if name == "" {
		return errors.New("the approver's name is empty")
	}
	if len(name) > 200 {
		return errors.New("the approver's name is longer than 200 bytes")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return fmt.Errorf("the approver's name contains the control character U+%04X", r)
		}
	}
	return nil
}

// upsert edits the approver named name, creating it if absent.
func (doc *approversDoc) upsert(name, title string, now time.Time, edit func(*Approver)) {
	for i := range doc.Approvers {
		if SameName(doc.Approvers[i].Name, name) {
			if title != "" {
				doc.Approvers[i].Title = title
			}
			edit(&doc.Approvers[i])
			return
		}
	}
	ap := Approver{Name: strings.TrimSpace(name), Title: title, Added: now.UTC()}
	edit(&ap)
	doc.Approvers = append(doc.Approvers, ap)
}

// SetTOTP stores the approver's TOTP key, creating the approver if needed
// (an approver may have both factors).
func (a *Approvers) SetTOTP(name, title, secret string, now time.Time) error {
	if err := validName(name); err != nil {
		return err
	}
	return a.update(func(doc *approversDoc) error {
		doc.upsert(name, title, now, func(ap *Approver) {
			ap.TOTPSecret, ap.TOTPAdded = secret, now.UTC()
		})
		return nil
	})
}

// SetSubject records the approver's identity-provider subject (--subject),
// creating the approver if needed (a passkey registered later joins it).
func (a *Approvers) SetSubject(name, subject string, now time.Time) error {
	if err := validName(name); err != nil {
		return err
	}
	return a.update(func(doc *approversDoc) error {
		doc.upsert(name, "", now, func(ap *Approver) { ap.Subject = strings.TrimSpace(subject) })
		return nil
	})
}

// Remove deletes the approver; it reports false when there was none.
func (a *Approvers) Remove(name string) (bool, error) {
	found := false
	err := a.update(func(doc *approversDoc) error {
		doc.Approvers = slices.DeleteFunc(doc.Approvers, func(ap Approver) bool {
			if SameName(ap.Name, name) {
				found = true
				return true
			}
			return false
		})
		return nil
	})
	return found, err
}
