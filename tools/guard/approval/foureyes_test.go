package approval

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/tools/guard"
)

func as(subject string) context.Context {
	return guard.WithIdentity(context.Background(), guard.Identity{Subject: subject})
}

// requestAs records an approval asked for by subject.
func (f *fixture) requestAs(t *testing.T, subject string) Approval {
	t.Helper()
	a, err := f.svc.Request(as(subject), Request{Tool: "qualys_remove_hosts", Provider: "Qualys PCI", Digest: "d1", PreviewText: "Remove 1 host"})
	require.NoError(t, err)
	assert.Equal(t, subject, a.RequestedBy)
	return a
}

// Four eyes: the approver enrolled with the requester's subject, or an API
// caller who is the requester, cannot approve; another person can.
func TestFourEyes(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.FourEyes = true })
	require.NoError(t, f.svc.Approvers().SetSubject("Alice Example", "sub-alice", time.Now()))
	require.NoError(t, f.svc.Approvers().SetSubject("Bob Example", "sub-bob", time.Now()))

	a := f.requestAs(t, "sub-alice")
	_, err := f.svc.Decide(as("sub-carol"), a.ID, "Alice Example", f.code(t, "Alice Example"), true)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Alice Example asked for this call and cannot also approve it")
	_, err = f.svc.Decide(as("sub-alice"), a.ID, "Bob Example", f.code(t, "Bob Example"), true)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "another person than the one who asked")
	got, err := f.svc.Decide(as("sub-bob"), a.ID, "Bob Example", f.code(t, "Bob Example"), true)
	require.NoError(t, err)
	assert.Equal(t, StateApproved, got.State)

	// Only the requester redeems it.
	_, err = f.svc.Redeem(as("sub-bob"), a.ID, a.Tool, a.Digest)
	assert.ErrorIs(t, err, ErrOtherPerson)
	_, err = f.svc.Redeem(as("sub-alice"), a.ID, a.Tool, a.Digest)
	assert.NoError(t, err)
}

func TestFourEyesNeedsSubjects(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.FourEyes = true })
	a := f.requestAs(t, "sub-alice")
	_, err := f.svc.Decide(as("sub-bob"), a.ID, "Bob Example", f.code(t, "Bob Example"), true)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "enrolled without an identity subject")

	anonymous := f.request(t, "")
	_, err = f.svc.Decide(context.Background(), anonymous.ID, "Bob Example", f.code(t, "Bob Example"), true)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "who asked for this call is not known")
	// Denying is always allowed.
	_, err = f.svc.Decide(context.Background(), anonymous.ID, "Bob Example", f.code(t, "Bob Example"), false)
	assert.NoError(t, err)
}
