package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pci-mcp/pci-mcp/providers/halo"
	"github.com/pci-mcp/pci-mcp/tools/guard"
)

// attestationMemoryTTL is how long a start is remembered: long enough to
// cover a start on one day and the attestation on the next.
const attestationMemoryTTL = 24 * time.Hour

// attestationKeyPrefix names remembered starts in the guard's store.
const attestationKeyPrefix = "attestation:start:"

// AttestationMemory remembers the Halo attestations started through this
// deployment, by id, so that halo_pci_attest can check its answers against
// the questions and notes that start asked, and refuse before anyone is
// asked when the start listed blockers. It keeps them in a guard.Store: in
// this process's memory, or shared by replicas. Each start expires after a
// TTL. An id it has not seen (the start was made elsewhere, or before a
// restart with a memory store) simply cannot be checked: Halo still does,
// and the preview says so.
type AttestationMemory struct {
	store guard.Store
	// prefix names this memory's starts in the store: one account's starts
	// are never recalled for another.
	prefix string
	ttl    time.Duration
	now    func() time.Time
}

// RememberedStart is what the memory keeps of one start.
type RememberedStart struct {
	Start *halo.Attestation `json:"start"`
	// Hosts names the blocking targets by id, as the start looked them up;
	// an id missing here could not be looked up.
	Hosts map[int64]string `json:"hosts,omitempty"`
	// At is when the start was made.
	At time.Time `json:"at"`
	// Attested is set once an attestation with this id succeeded: Halo's
	// ids are single use.
	Attested bool `json:"attested,omitempty"`
}

// NewAttestationMemory returns a memory keeping each start in store for
// ttl.
func NewAttestationMemory(store guard.Store, ttl time.Duration) *AttestationMemory {
	return &AttestationMemory{store: store, prefix: attestationKeyPrefix, ttl: ttl, now: time.Now}
}

// forAccount is the memory of the starts made through one account.
func (m *AttestationMemory) forAccount(name string) *AttestationMemory {
	scoped := *m
	scoped.prefix = attestationKeyPrefix + name + ":"
	return &scoped
}

// attestationKey normalises an id: UUIDs compare without regard to case.
func attestationKey(id string) string { return strings.ToLower(strings.TrimSpace(id)) }

// errMemoryUnavailable wraps a store failure of the memory: the caller
// refuses rather than act on a check it could not make.
type errMemoryUnavailable struct{ err error }

func (e *errMemoryUnavailable) Error() string {
	return fmt.Sprintf("the attestations this server started could not be read, because the guard's store did not answer (%v)", e.err)
}

func (e *errMemoryUnavailable) Unwrap() error { return e.err }

// Remember keeps start under its id, with the hosts its blockers were
// looked up as.
func (m *AttestationMemory) Remember(ctx context.Context, start *halo.Attestation, hosts map[int64]string) error {
	key := attestationKey(string(start.ID))
	if m == nil || key == "" {
		return nil
	}
	return m.put(ctx, key, RememberedStart{Start: start, Hosts: hosts, At: m.now().UTC()})
}

func (m *AttestationMemory) put(ctx context.Context, key string, r RememberedStart) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := m.store.Put(ctx, m.prefix+key, data, r.At.Add(m.ttl)); err != nil {
		return &errMemoryUnavailable{err}
	}
	return nil
}

// Recall returns the start remembered under id; nil, nil when it is not
// known (or expired). An error means the store did not answer.
func (m *AttestationMemory) Recall(ctx context.Context, id string) (*RememberedStart, error) {
	if m == nil {
		return nil, nil
	}
	data, err := m.store.Get(ctx, m.prefix+attestationKey(id))
	switch {
	case errors.Is(err, guard.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, &errMemoryUnavailable{err}
	}
	var r RememberedStart
	if err := json.Unmarshal(data, &r); err != nil || r.Start == nil {
		return nil, &errMemoryUnavailable{fmt.Errorf("the remembered start of %s is unreadable", id)}
	}
	// The store's expiry is the bound; this guards a store whose clock
	// differs from ours.
	if m.now().Sub(r.At) >= m.ttl {
		return nil, nil
	}
	return &r, nil
}

// MarkAttested records that an attestation with id succeeded, for the rest
// of the start's life: a second attestation with it is refused before
// anyone is asked.
func (m *AttestationMemory) MarkAttested(ctx context.Context, id string) error {
	r, err := m.Recall(ctx, id)
	if err != nil || r == nil {
		return err
	}
	r.Attested = true
	return m.put(ctx, attestationKey(id), *r)
}
