package main

import (
	"io"
	"log/slog"
	"os"

	"github.com/lmittmann/tint"

	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// newLogger returns the process logger: stderr only (stdout is the protocol
// channel on stdio), tint text with colour only on a terminal, or JSON.
// Every line passes through the redactor as the bytes it will be written as,
// so a secret is caught however it got into the record — message, attribute,
// error, a Stringer, a group — and in whatever escaping the handler gave it.
func newLogger(w io.Writer, format string, level slog.Level, redactor *upstream.Redactor) *slog.Logger {
	out := &redactingWriter{w: w, redactor: redactor}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: level}))
	}
	return slog.New(tint.NewTextHandler(out, &tint.Options{Level: level, NoColor: !isTerminal(w), TimeFormat: "15:04:05.000"}))
}

// redactingWriter scrubs each write. slog's handlers write one whole record
// per call, so a secret is never split across two writes.
type redactingWriter struct {
	w        io.Writer
	redactor *upstream.Redactor
}

func (rw *redactingWriter) Write(p []byte) (int, error) {
	if _, err := rw.w.Write(rw.redactor.RedactBytes(p)); err != nil {
		return 0, err
	}
	return len(p), nil
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
