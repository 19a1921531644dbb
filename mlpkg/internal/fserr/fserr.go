// Package fserr shapes file system errors for messages that name their
// path themselves.
package fserr

import (
	"errors"
	"io/fs"
)

// WithoutPath returns what err's *fs.PathError wraps (e.g. syscall.ENOENT,
// still fs.ErrNotExist for errors.Is), for a message that names the path
// itself: "<path>: no such file or directory", not "<path>: open <path>: no
// such file or directory". Any other error comes back as it is.
func WithoutPath(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}
