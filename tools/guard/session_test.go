package guard

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSessionIDsVerifyOnlyForTheirMinterAndPrincipal(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	a, err := NewSessions(key)
	require.NoError(t, err)
	replica, err := NewSessions(key)
	require.NoError(t, err)
	other, err := NewSessions([]byte(strings.Repeat("o", 32)))
	require.NoError(t, err)

	id := a.Mint("bearer:alice", true, Elicitation{Form: true})
	got, err := replica.Verify(id, "bearer:alice")
	require.NoError(t, err, "a replica sharing the state key accepts it")
	assert.Equal(t, Session{ID: id, KnowsCapabilities: true, Elicitation: Elicitation{Form: true}}, got)
	assert.NotContains(t, id, "alice", "the id says nothing about its principal")
	assert.NotEqual(t, id, a.Mint("bearer:alice", true, Elicitation{Form: true}), "every id is new")

	body := strings.TrimPrefix(id, sessionIDPrefix)
	flipped := []byte(body)
	flipped[0] ^= 1
	for name, forged := range map[string]string{
		"another principal":    "",
		"altered":              sessionIDPrefix + string(flipped),
		"another key":          other.Mint("bearer:alice", true, Elicitation{Form: true}),
		"mcp-go's own form":    "mcp-session-6f1c2a3e-6a8e-4f55-9d8c-2f0b3c1d4e5f",
		"empty":                "",
		"prefix only":          sessionIDPrefix,
		"signature only":       sessionIDPrefix + "." + strings.SplitN(body, ".", 2)[1],
		"unsigned flags":       sessionIDPrefix + "Bw." + strings.SplitN(body, ".", 2)[1],
		"a confirmation token": "pcimcp1.eyJwIjoidG9rZW4ifQ.c2ln",
	} {
		principal := "bearer:alice"
		if name == "another principal" {
			forged, principal = id, "bearer:mallory"
		}
		_, err := a.Verify(forged, principal)
		assert.ErrorIs(t, err, ErrUnknownSession, name)
	}
	_, err = a.Verify(id, "")
	assert.ErrorIs(t, err, ErrUnknownSession, "a bearer-bound id is not valid without one")
}

func TestSessionIDsCarryTheDeclaration(t *testing.T) {
	s, err := NewSessions(nil)
	require.NoError(t, err)
	for _, tt := range []struct {
		known bool
		e     Elicitation
	}{
		{true, Elicitation{}}, {true, Elicitation{Form: true}}, {true, Elicitation{URL: true}},
		{true, Elicitation{Form: true, URL: true}}, {false, Elicitation{}},
	} {
		got, err := s.Verify(s.Mint("", tt.known, tt.e), "")
		require.NoError(t, err)
		assert.Equal(t, tt.known, got.KnowsCapabilities)
		assert.Equal(t, tt.e, got.Elicitation)
	}
	// Unknown means unknown: a declaration passed with known=false is not
	// recorded, so nobody reads one that was never made.
	got, err := s.Verify(s.Mint("", false, Elicitation{Form: true}), "")
	require.NoError(t, err)
	assert.False(t, got.Elicitation.Declared())
}

func TestCallerTagIsKeyedAndStable(t *testing.T) {
	a, _ := NewSessions([]byte(strings.Repeat("k", 32)))
	b, _ := NewSessions([]byte(strings.Repeat("k", 32)))
	c, _ := NewSessions([]byte(strings.Repeat("c", 32)))
	assert.Equal(t, a.CallerTag("bearer:x"), b.CallerTag("bearer:x"))
	assert.NotEqual(t, a.CallerTag("bearer:x"), a.CallerTag("bearer:y"))
	assert.NotEqual(t, a.CallerTag("bearer:x"), c.CallerTag("bearer:x"))
	assert.Empty(t, a.CallerTag(""))
}
