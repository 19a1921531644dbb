package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// noteHandler is the slog.Handler of the command line's library logs: each
// record of level warning and up becomes one plain line, "warning: the
// dataset has no test split (dir=data/checkpoints/cnn)", a message to the
// user beside the command's own, without a time stamp or slog's key=value
// layout of the message. (serve keeps JSON logs, crawl -v a full log.)
type noteHandler struct {
	mu    *sync.Mutex
	w     io.Writer
	attrs []slog.Attr // from WithAttrs
	group string      // from WithGroup, as a key prefix
}

func newNoteHandler(w io.Writer) *noteHandler { return &noteHandler{mu: &sync.Mutex{}, w: w} }

func (h *noteHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *noteHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	if r.Level < slog.LevelError {
		b.WriteString("warning: ")
	} else {
		b.WriteString("error: ")
	}
	b.WriteString(r.Message)
	var details []string
	for _, a := range h.attrs { // their keys have the groups of their time
		details = append(details, a.Key+"="+a.Value.Resolve().String())
	}
	r.Attrs(func(a slog.Attr) bool {
		if !a.Equal(slog.Attr{}) {
			details = append(details, h.group+a.Key+"="+a.Value.Resolve().String())
		}
		return true
	})
	if len(details) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(details, ", "))
	}
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *noteHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append([]slog.Attr(nil), h.attrs...)
	for _, a := range attrs {
		if !a.Equal(slog.Attr{}) {
			a.Key = h.group + a.Key
			c.attrs = append(c.attrs, a)
		}
	}
	return &c
}

func (h *noteHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.group += name + "."
	return &c
}
