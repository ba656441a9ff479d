package approval

import (
	"crypto/subtle"
	"fmt"
	"net/url"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// The factors a decision can be made with, as the audit trail names them.
const (
	FactorTOTP    = "totp"
	FactorPasskey = "passkey"
)

// Issuer is the issuer of every enrolment's otpauth:// URI.
const Issuer = "pci-mcp"

// totpPeriod is RFC 6238's 30-second step.
const totpPeriod = 30 * time.Second

// totpOpts are RFC 6238's defaults, spelled out: SHA-1, 6 digits, 30 s.
var totpOpts = totp.ValidateOpts{Period: uint(totpPeriod / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// NewTOTPKey generates an authenticator key for the approver: the secret to
// store and the otpauth:// URI to show (as text and as a QR code).
func NewTOTPKey(name string) (secret, uri string, err error) {
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: Issuer, AccountName: name,
		Period: totpOpts.Period, Digits: totpOpts.Digits, Algorithm: totpOpts.Algorithm,
	})
	if err != nil {
		return "", "", fmt.Errorf("generating the authenticator key: %w", err)
	}
	return key.Secret(), key.URL(), nil
}

// TOTPURI is the otpauth:// URI of an existing key.
func TOTPURI(name, secret string) string {
	v := url.Values{"secret": {secret}, "issuer": {Issuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
	return (&url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + Issuer + ":" + name, RawQuery: v.Encode()}).String()
}

// matchTOTP returns the time step whose code equals code, allowing one step
// of clock drift either way, or -1. The step lets the caller accept each
// code once.
func matchTOTP(secret, code string, now time.Time) int64 {
	if len(code) != 6 {
		return -1
	}
	step := now.Unix() / int64(totpPeriod/time.Second)
	for _, s := range []int64{step, step - 1, step + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*int64(totpPeriod/time.Second), 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s
		}
	}
	return -1
}

// CurrentTOTP is the code for secret at t: for tests and for checking an
// enrolment.
func CurrentTOTP(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totpOpts)
}

// CheckTOTP reports whether code is valid for secret now (one step of drift
// either way). The CLI uses it to prove an enrolment worked.
func CheckTOTP(secret, code string, now time.Time) bool { return matchTOTP(secret, code, now) >= 0 }
