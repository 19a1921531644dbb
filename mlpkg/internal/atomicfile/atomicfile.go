// Package atomicfile writes files so that readers (and a later run after a
// crash or Ctrl-C) see either the old content or the new one, never a part:
// the content goes to a temporary file in the same folder, is flushed to
// disk, and only then renamed into place.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// WriteFile writes data to a temporary file in path's directory, flushes it
// to disk, renames it over path, with permissions perm, and flushes the
// directory, so that the rename too survives a power cut.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		// The rename would fail after the write, saying "file exists".
		return fmt.Errorf("write %s: %w", path, syscall.EISDIR)
	}
	tmp, err := WriteTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*", perm,
		func(w io.Writer) error { _, err := w.Write(data); return err })
	if err == nil {
		if err = os.Rename(tmp, path); err != nil {
			os.Remove(tmp)
		}
	}
	if err == nil {
		err = Sync(filepath.Dir(path))
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// WriteTemp creates a new file in dir, named from pattern as os.CreateTemp
// names it, with permissions perm (os.CreateTemp alone makes 0600 files);
// writes to it, through a buffer, what write writes; flushes it to disk and
// returns its path, for the caller to rename into place. When anything
// fails it removes the file and returns the error unwrapped: an error of
// the file system names the temporary file (*fs.PathError); one of write
// is returned as write returned it.
func WriteTemp(dir, pattern string, perm os.FileMode, write func(io.Writer) error) (string, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	err = f.Chmod(perm)
	if err == nil {
		err = write(bw)
	}
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// Sync flushes each of paths, files or folders (a folder's entries: the
// names renamed into it), to disk. A path whose file system cannot sync it
// (EINVAL or "not supported": some FUSE and network mounts, /proc) is
// skipped: there is nothing more to do for it.
func Sync(paths ...string) error {
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("sync: %w", err)
		}
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil && !errors.Is(err, os.ErrInvalid) && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, errors.ErrUnsupported) {
			return err // "sync <p>: …"
		}
	}
	return nil
}
