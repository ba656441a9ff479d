package upstream

import (
	"bytes"
	"encoding/xml"
	"io"
	"mime"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// A gateway or maintenance page is summarised, never quoted: what kind of
// page it is and its title or first heading. Quoting its text raw gave
// people a wall of inline CSS and script ("502 Bad Gateway body{font-family:
// sans-serif}..."), and a page is no API message anyway.

// markupKind names the kind of page an answer is ("HTML", "XML"), or ""
// when it is neither.
func markupKind(contentType string, body []byte) string {
	media, _, _ := mime.ParseMediaType(contentType)
	switch {
	case strings.Contains(media, "html"):
		return "HTML"
	case strings.Contains(media, "xml"):
		return "XML"
	}
	head := bytes.TrimSpace(body)
	switch {
	case len(head) == 0 || head[0] != '<':
		return ""
	case bytes.HasPrefix(head, []byte("<?xml")):
		return "XML"
	}
	lower := bytes.ToLower(head[:min(len(head), 512)])
	if bytes.Contains(lower, []byte("<html")) || bytes.Contains(lower, []byte("<!doctype html")) || bytes.Contains(lower, []byte("<body")) {
		return "HTML"
	}
	return "XML"
}

// pageTitle returns an HTML page's <title>, else its first h1–h3, else the
// start of its visible text, with whitespace collapsed; script and style
// content is never read as text.
func pageTitle(body []byte) string {
	z := html.NewTokenizer(bytes.NewReader(body))
	var heading string
	var in atom.Atom // the element whose text is being collected
	var text, visible strings.Builder
	for {
		switch z.Next() {
		case html.ErrorToken:
			if heading != "" {
				return heading
			}
			return oneLine(visible.String())
		case html.StartTagToken:
			name, _ := z.TagName()
			switch a := atom.Lookup(name); a {
			case atom.Script, atom.Style:
				// The tokenizer returns their content as one raw text token;
				// skip it.
				z.Next()
			case atom.Title, atom.H1, atom.H2, atom.H3:
				if in == 0 && (a == atom.Title || heading == "") {
					in = a
					text.Reset()
				}
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if a := atom.Lookup(name); a != 0 && a == in {
				in = 0
				t := oneLine(text.String())
				if a == atom.Title && t != "" {
					return t
				}
				if heading == "" {
					heading = t
				}
				text.Reset()
			}
		case html.TextToken:
			t := z.Text()
			if in != 0 {
				text.Write(t)
			}
			if visible.Len() < 2*excerptLen {
				visible.Write(t)
				visible.WriteByte(' ')
			}
		}
	}
}

// xmlMessageElements are the elements an XML error body says what went
// wrong in, by the names gateways and SOAP-style services use.
var xmlMessageElements = map[string]bool{
	"message": true, "errormessage": true, "error_message": true, "faultstring": true,
	"title": true, "reason": true, "text": true, "description": true,
}

// xmlMessage returns the text of an XML body's first message-like element,
// else the name of its root element.
func xmlMessage(body []byte) string {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = false
	var root, in string
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF || err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = t.Name.Local
			}
			if in == "" && xmlMessageElements[strings.ToLower(t.Name.Local)] {
				in = t.Name.Local
				text.Reset()
			}
		case xml.CharData:
			if in != "" {
				text.Write(t)
			}
		case xml.EndElement:
			if in != "" && t.Name.Local == in {
				if s := oneLine(text.String()); s != "" {
					return s
				}
				in = ""
			}
		}
	}
	if root != "" {
		return "<" + root + ">"
	}
	return ""
}

// pageSummary is what a person is told of a markup answer: its title,
// heading or message, bounded to one line.
func pageSummary(kind string, body []byte) string {
	var s string
	if kind == "HTML" {
		s = pageTitle(body)
	} else {
		s = xmlMessage(body)
	}
	return trimMessage(s)
}

// oneLine collapses runs of whitespace to single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
