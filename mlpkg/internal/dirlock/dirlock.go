// Package dirlock keeps two processes from writing one folder at once: an
// advisory lock (flock) on a file in the folder, which the system releases
// when the process ends, however it ends (a crash, kill -9), so that a lock
// is never left behind.
package dirlock

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ErrBusy matches (errors.Is) the error of Lock when another process holds
// the lock.
var ErrBusy = errors.New("in use by another process")

// Lock creates dir if needed and takes the exclusive lock of dir/name
// without waiting; what names the work for the error message ("a prepare").
// The lock file is normally left in place; name it with a leading dot so
// that it stays out of listings. The holder of the lock may remove it (and
// its folder) before unlocking: a Lock that meanwhile locked the removed
// file notices and locks the new one instead. unlock releases the lock. On
// systems without flock, Lock only creates dir and the file.
func Lock(dir, name, what string) (unlock func(), err error) {
	return lock(dir, name, what, false)
}

// LockShared is Lock for a process that only reads dir: any number of them
// hold the lock at once, while Lock fails with ErrBusy; LockShared fails
// with ErrBusy while a Lock holds it.
func LockShared(dir, name, what string) (unlock func(), err error) {
	return lock(dir, name, what, true)
}

func lock(dir, name, what string, shared bool) (unlock func(), err error) {
	path := filepath.Join(dir, name)
	for try := 1; ; try++ {
		// Each retry follows a holder that removed the file (or its
		// folder) as we came: a few at most, unless something removes
		// them on purpose, which a bound turns into an error.
		again := try < maxTries
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, cannotWrite(dir, err)
		}
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if errors.Is(err, fs.ErrNotExist) && again {
			continue // the folder was removed after MkdirAll
		}
		if err != nil {
			return nil, cannotWrite(dir, err)
		}
		if beforeLock != nil {
			beforeLock(path)
		}
		switch err := lockFile(f, shared); {
		case errors.Is(err, ErrBusy):
			f.Close()
			return nil, busyError(fmt.Sprintf("%s is in use by %s in another process (it holds %s): wait for it to end", dir, what, path))
		case err != nil:
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !removed(f, path) {
			return func() {
				_ = unlockFile(f)
				f.Close()
			}, nil
		}
		// The previous holder removed the file between our open and our
		// lock: the lock is on a file nobody else will see. Again, on the
		// file now at path.
		_ = unlockFile(f)
		f.Close()
		if !again {
			return nil, fmt.Errorf("lock %s: removed %d times as it was being locked", path, try)
		}
	}
}

// busyError is Lock's error when another process holds the lock: it says
// so in full and matches ErrBusy, without repeating ErrBusy's text.
type busyError string

func (e busyError) Error() string        { return string(e) }
func (e busyError) Is(target error) bool { return target == ErrBusy }

// maxTries bounds Lock's attempts.
const maxTries = 10

// beforeLock, when set (by tests), is called between Lock's open of the
// lock file and its lock: where another holder's removal of the file races.
var beforeLock func(path string)

// removed reports whether the open file f is no longer the file at path.
func removed(f *os.File, path string) bool {
	held, err := f.Stat()
	if err != nil {
		return true
	}
	now, err := os.Stat(path)
	return err != nil || !os.SameFile(held, now)
}

// cannotWrite is the error of a folder Lock cannot create, or write its
// lock file in, in the user's terms: the folder named, not the lock file
// (e.g. "cannot write in out: read-only file system", "out is a file, not
// a folder"). It wraps the system's error (errors.Is(err, fs.ErrPermission)).
func cannotWrite(dir string, err error) error {
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		return fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	switch {
	case errors.Is(pe.Err, syscall.ENOTDIR) && filepath.Clean(pe.Path) != filepath.Clean(dir):
		return fmt.Errorf("cannot make the folder %s: %s is a file: %w", dir, pe.Path, pe.Err)
	case errors.Is(pe.Err, syscall.ENOTDIR):
		return fmt.Errorf("%s is a file, not a folder: %w", dir, pe.Err)
	}
	return fmt.Errorf("cannot write in %s: %w", dir, pe.Err)
}
