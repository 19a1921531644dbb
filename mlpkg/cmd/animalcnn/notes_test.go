package main

import (
	"bytes"
	"errors"
	"log/slog"
	"testing"
)

// Library warnings reach the user as plain lines, details in brackets;
// information is left out.
func TestNoteHandler(t *testing.T) {
	var out bytes.Buffer
	log := slog.New(newNoteHandler(&out))
	log.Info("model ready")
	log.Warn("the dataset has no test split: the best model is not tested", "dir", "data/checkpoints/cnn")
	log.With("class", "crow").WithGroup("photo").Error("cannot save", "id", 42, "err", errors.New("disk full"))
	log.Warn("no details")
	log.WithGroup("").Warn("no group", "k", 1)
	want := "warning: the dataset has no test split: the best model is not tested (dir=data/checkpoints/cnn)\n" +
		"error: cannot save (class=crow, photo.id=42, photo.err=disk full)\n" +
		"warning: no details\n" +
		"warning: no group (k=1)\n"
	if out.String() != want {
		t.Errorf("logged:\n%s\nwant:\n%s", out.String(), want)
	}
}
