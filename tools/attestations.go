package tools

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pci-mcp/pci-mcp/providers/halo"
)

// Bounds of the attestation memory: far more starts than one person works
// through in a day, and long enough to cover a start on one day and the
// attestation on the next.
const (
	attestationMemorySize = 1000
	attestationMemoryTTL  = 24 * time.Hour
)

// AttestationMemory remembers the Halo attestations this process has
// started, by id, so that halo_pci_attest can check its answers against the
// questions and notes that start asked before anything is sent. It is
// bounded in size and age, and safe for concurrent use. A process that has
// not seen an id (restarted, or the start was made elsewhere) simply cannot
// check against it: Halo still does.
type AttestationMemory struct {
	mu      sync.Mutex
	entries map[string]rememberedAttestation
	size    int
	ttl     time.Duration
	now     func() time.Time
}

type rememberedAttestation struct {
	start *halo.Attestation
	at    time.Time
}

// NewAttestationMemory returns a memory of at most size attestations, each
// kept for ttl.
func NewAttestationMemory(size int, ttl time.Duration) *AttestationMemory {
	return &AttestationMemory{entries: map[string]rememberedAttestation{}, size: size, ttl: ttl, now: time.Now}
}

// attestationKey normalises an id: UUIDs compare without regard to case.
func attestationKey(id string) string { return strings.ToLower(strings.TrimSpace(id)) }

// Remember keeps a copy of start under its id, evicting expired entries and,
// when still full, the oldest.
func (m *AttestationMemory) Remember(start *halo.Attestation) {
	key := attestationKey(string(start.ID))
	if m == nil || key == "" {
		return
	}
	kept := *start
	kept.Questions = slices.Clone(start.Questions)
	kept.Notes = slices.Clone(start.Notes)
	kept.TargetIDsRequireScan = slices.Clone(start.TargetIDsRequireScan)
	kept.TargetIDsHasVuln = slices.Clone(start.TargetIDsHasVuln)

	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if _, replacing := m.entries[key]; !replacing && len(m.entries) >= m.size {
		m.evict(now)
	}
	m.entries[key] = rememberedAttestation{start: &kept, at: now}
}

// evict drops expired entries and, if that frees nothing, the oldest one.
// Starts are rare, so a scan of at most size entries is cheap.
func (m *AttestationMemory) evict(now time.Time) {
	oldestKey, oldest := "", time.Time{}
	for key, e := range m.entries {
		if now.Sub(e.at) >= m.ttl {
			delete(m.entries, key)
			continue
		}
		if oldestKey == "" || e.at.Before(oldest) {
			oldestKey, oldest = key, e.at
		}
	}
	if len(m.entries) >= m.size && oldestKey != "" {
		delete(m.entries, oldestKey)
	}
}

// Recall returns the start remembered under id, if it is known and not
// expired. The caller must not modify it.
func (m *AttestationMemory) Recall(id string) (*halo.Attestation, bool) {
	if m == nil {
		return nil, false
	}
	key := attestationKey(id)
	m.mu.Lock()
	defer m.mu.Unlock()
	e, found := m.entries[key]
	if !found {
		return nil, false
	}
	if m.now().Sub(e.at) >= m.ttl {
		delete(m.entries, key)
		return nil, false
	}
	return e.start, true
}

// Forget drops id, e.g. once an attestation with it has succeeded: Halo's
// ids are single use.
func (m *AttestationMemory) Forget(id string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.entries, attestationKey(id))
}
