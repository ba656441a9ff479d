package halosim

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// attestationID returns the n-th attestation id: a version 4 shaped UUID derived from n, so
// that every pci/start gets a fresh id while runs stay reproducible (sandbox transcripts and
// tests can quote the ids). A simulator never issues the same id twice.
func attestationID(n int) string {
	var seed [8]byte
	binary.BigEndian.PutUint64(seed[:], uint64(n))
	sum := sha256.Sum256(append([]byte("halosim attestation "), seed[:]...))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
