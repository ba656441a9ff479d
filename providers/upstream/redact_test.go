package upstream

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostilePasswords are credentials whose characters every escaping changes,
// and a long plain one an excerpt could cut in half.
var hostilePasswords = []string{
	`Zq9"kL&m<x>\w7'`,
	`pa%ss+w/rd?=&é`,
	"Xk29vLq0Pz7Rt4Wn8Bc3Md6Fg1Hj5Ys",
}

// runs6 returns every run of six characters of s: none may survive.
func runs6(s string) []string {
	r := []rune(s)
	var out []string
	for i := 0; i+6 <= len(r); i++ {
		out = append(out, string(r[i:i+6]))
	}
	return out
}

func assertNoRun(t *testing.T, secret, text string) {
	t.Helper()
	for _, run := range runs6(secret) {
		if strings.Contains(text, run) {
			t.Errorf("%q from the secret survives in %q", run, text)
		}
	}
}

func TestRedactorEveryForm(t *testing.T) {
	for _, secret := range hostilePasswords {
		r := NewRedactor(BasicAuthSecrets("merchant", secret)...)
		jsonHTML, _ := json.Marshal(secret)
		basic := base64.StdEncoding.EncodeToString([]byte("merchant:" + secret))
		forms := map[string]string{
			"raw":             secret,
			"JSON":            string(jsonHTML),
			"JSON, no HTML":   strings.NewReplacer(`\u0026`, "&", `\u003c`, "<", `\u003e`, ">").Replace(string(jsonHTML)),
			"Go-quoted":       strconv.Quote(secret),
			"Go-quoted JSON":  strconv.Quote(string(jsonHTML)),
			"query-escaped":   url.QueryEscape(secret),
			"path-escaped":    url.PathEscape(secret),
			"lower-hex query": strings.ToLower(url.QueryEscape(secret)),
			"HTML-escaped":    html.EscapeString(secret),
			"Basic":           "Authorization: Basic " + basic,
			"Basic unpadded":  strings.TrimRight(basic, "="),
		}
		for name, form := range forms {
			t.Run(fmt.Sprintf("%s/%s", secret[:4], name), func(t *testing.T) {
				text := "before " + form + " after"
				if name == "lower-hex query" {
					// Lower-casing the whole form changed the secret's own
					// letters too; only the escapes' hex digits vary in
					// practice, so build that form properly.
					text = "before " + lowerHexEscapes(url.QueryEscape(secret)) + " after"
				}
				got := r.Redact(text)
				assert.Contains(t, got, Redacted)
				assert.True(t, strings.HasPrefix(got, "before ") && strings.HasSuffix(got, " after"), got)
				assertNoRun(t, secret, got)
				assert.False(t, r.Contains(got))
				assert.Equal(t, got, string(r.RedactBytes([]byte(text))))
			})
		}
	}
}

func TestRedactorAddIsShared(t *testing.T) {
	r := NewRedactor()
	assert.Equal(t, "key-one-secret", r.Redact("key-one-secret"))
	r.Add("key-one-secret")
	assert.Equal(t, Redacted, r.Redact("key-one-secret"))
	assert.Equal(t, "abc", r.Redact("abc"), "values under four bytes are not secrets")
	var nilRedactor *Redactor
	assert.Equal(t, "x", nilRedactor.Redact("x"))
}

// TestAnswersAreRedactedBeforeAnyTransformation: an upstream that echoes a
// hostile password — JSON-escaped in JSON, inside markup, at the edge of
// the excerpt — never gets a run of six of its characters into the error.
func TestAnswersAreRedactedBeforeAnyTransformation(t *testing.T) {
	for _, secret := range hostilePasswords {
		jsonSecret, _ := json.Marshal(secret)
		bodies := map[string]struct{ contentType, body string }{
			"JSON message":   {"application/json", `{"message":"bad password ` + string(jsonSecret[1:len(jsonSecret)-1]) + `"}`},
			"truncated JSON": {"application/json", `{"message":"bad password ` + string(jsonSecret[1:len(jsonSecret)-1])},
			"HTML":           {"text/html", "<html><body><p>bad <b>" + secret + "</b> and " + html.EscapeString(secret) + "</p></body></html>"},
			"HTML title":     {"text/html", "<html><head><title>Denied " + html.EscapeString(secret) + "</title></head></html>"},
			"text at the excerpt's edge": {"text/plain",
				strings.Repeat("x", excerptLen-9) + " " + secret + " tail"},
			"XML": {"text/xml", "<error><message>" + html.EscapeString(secret) + "</message></error>"},
		}
		for name, b := range bodies {
			for _, status := range []int{http.StatusOK, http.StatusBadRequest} {
				t.Run(fmt.Sprintf("%s/%s/%d", secret[:4], name, status), func(t *testing.T) {
					c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
						w.Header().Set("Content-Type", b.contentType)
						w.WriteHeader(status)
						_, _ = io.WriteString(w, b.body)
					}), func(cfg *Config) { cfg.Secrets = BasicAuthSecrets("merchant", secret) })
					err := c.Do(context.Background(), Request{Effect: Read, Method: http.MethodGet, Path: "p"}, &struct{}{})
					if status == http.StatusOK && (name == "JSON message") {
						return // a good answer; nothing is shown
					}
					require.Error(t, err)
					assertNoRun(t, secret, err.Error())
					ue, _ := AsError(err)
					assertNoRun(t, secret, strconv.Quote(ue.Message))
				})
			}
		}
	}
}

func TestLowerHexEscapes(t *testing.T) {
	assert.Equal(t, "a%2fb%3d%c3%a9+%25", lowerHexEscapes("a%2Fb%3D%C3%A9+%25"))
	assert.Equal(t, "ABC%", lowerHexEscapes("ABC%"))
	assert.Equal(t, "%4", lowerHexEscapes("%4"))
	assert.Equal(t, "x%ab", lowerHexEscapes("x%AB"))
}
