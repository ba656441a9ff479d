package accounts

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidName(t *testing.T) {
	for name, want := range map[string]bool{
		"default": true, "sandbox-eu": true, "eu1": true, "0": true, "a-": true,
		strings.Repeat("a", 32): true,
		"":                      false, strings.Repeat("a", 33): false, "-eu": false,
		"EU": false, "eu_1": false, "eu 1": false, "eü": false, "eu.1": false,
	} {
		assert.Equal(t, want, validName(name), "%q", name)
	}
}

func TestValidEnvName(t *testing.T) {
	for name, want := range map[string]bool{
		"QUALYS_PASSWORD": true, "_x": true, "a1": true, "X": true,
		"": false, "1A": false, "A-B": false, "A B": false, "A=B": false, "Ä": false,
	} {
		assert.Equal(t, want, validEnvName(name), "%q", name)
	}
}
