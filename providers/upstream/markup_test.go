package upstream

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestPageTitle: the title, else the first heading, else the start of the
// visible text; character references decoded, script and style never read.
func TestPageTitle(t *testing.T) {
	for page, want := range map[string]string{
		"<html><head><title>502 Bad Gateway</title><style>body{font-family:sans-serif}</style></head><body><h1>x</h1></body></html>": "502 Bad Gateway",
		"<title>Maintenance &amp; upgrades &mdash; back at 10:00 &#8212; caf&eacute;</title>":                                        "Maintenance & upgrades — back at 10:00 — café",
		"<script>var t = '<title>not this</title>';</script><body><h2>Service   Unavailable</h2><h1>later</h1></body>":               "Service Unavailable",
		"<body><style>p{}</style><p>Access\n denied &lt;here&gt;</p></body>":                                                         "Access denied <here>",
		"<title>a\x00b</title>": "a\uFFFDb",
	} {
		assert.Equal(t, want, pageTitle([]byte(page)), "%q", page)
	}
}
