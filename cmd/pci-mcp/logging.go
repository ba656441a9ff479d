package main

import (
	"context"
	"io"
	"log/slog"
	"os"

	"github.com/lmittmann/tint"

	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// newLogger returns the process logger: stderr only (stdout is the protocol
// channel on stdio), tint text with colour only on a terminal, or JSON; every
// message and string attribute passes through the redactor.
func newLogger(w io.Writer, format string, level slog.Level, redactor *upstream.Redactor) *slog.Logger {
	replace := func(_ []string, a slog.Attr) slog.Attr {
		switch a.Value.Kind() {
		case slog.KindString:
			if s := a.Value.String(); redactor.Contains(s) {
				return slog.String(a.Key, redactor.Redact(s))
			}
		case slog.KindAny:
			if err, ok := a.Value.Any().(error); ok {
				return slog.String(a.Key, redactor.Redact(err.Error()))
			}
		}
		return a
	}
	var h slog.Handler
	if format == "json" {
		h = slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: replace})
	} else {
		h = tint.NewTextHandler(w, &tint.Options{Level: level, ReplaceAttr: replace, NoColor: !isTerminal(w), TimeFormat: "15:04:05.000"})
	}
	return slog.New(&redactingHandler{Handler: h, redactor: redactor})
}

// redactingHandler scrubs the message itself; attributes are scrubbed by the
// inner handler's ReplaceAttr.
type redactingHandler struct {
	slog.Handler
	redactor *upstream.Redactor
}

func (h *redactingHandler) Handle(ctx context.Context, r slog.Record) error {
	if h.redactor.Contains(r.Message) {
		r.Message = h.redactor.Redact(r.Message)
	}
	return h.Handler.Handle(ctx, r)
}

func (h *redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &redactingHandler{Handler: h.Handler.WithAttrs(attrs), redactor: h.redactor}
}

func (h *redactingHandler) WithGroup(name string) slog.Handler {
	return &redactingHandler{Handler: h.Handler.WithGroup(name), redactor: h.redactor}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
