package serve

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/imageio"
	"github.com/animalcnn/animalcnn/mlpkg/internal/dirlock"
)

// storedPrefix starts the name of every file the store writes; it only ever
// deletes files with this prefix (and, after a crash, its own temporary
// files: "." + storedPrefix + … + tmpSuffix).
const storedPrefix = "upload-"

// tmpSuffix ends the temporary name an upload is written under.
const tmpSuffix = ".tmp"

// uploadStore keeps uploads in one dedicated folder under random names,
// within a total size quota: the oldest stored uploads are deleted to make
// room for a new one.
type uploadStore struct {
	dir   string
	quota int64

	mu    sync.Mutex
	used  int64
	files []storedFile // oldest first
}

type storedFile struct {
	name string
	size int64
}

// writeUpload writes an upload's bytes to its temporary file; tests replace
// it to fail partway, as a full disk does.
var writeUpload = (*os.File).Write

// storeLockFile is the lock Serve holds in the store's folder.
const storeLockFile = ".store.lock"

// lockStore creates dir (mode 0700: uploads are private) if needed and takes
// its lock.
func lockStore(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open upload store: %w", err)
	}
	return dirlock.Lock(dir, storeLockFile, "a server")
}

// openStore creates dir (mode 0700) if needed and accounts for the uploads
// already in it.
func openStore(dir string, quota int64) (*uploadStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open upload store: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("open upload store: %w", err)
	}
	s := &uploadStore{dir: dir, quota: quota}
	type aged struct {
		storedFile
		mod time.Time
	}
	var found []aged
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasPrefix(e.Name(), "."+storedPrefix) && strings.HasSuffix(e.Name(), tmpSuffix) {
			os.Remove(filepath.Join(dir, e.Name())) // an upload being written when a run stopped
			continue
		}
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), storedPrefix) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		found = append(found, aged{storedFile{e.Name(), fi.Size()}, fi.ModTime()})
	}
	sort.Slice(found, func(i, j int) bool { return found[i].mod.Before(found[j].mod) })
	for _, f := range found {
		s.files = append(s.files, f.storedFile)
		s.used += f.size
	}
	return s, nil
}

// save writes data as a new file named from random bytes plus the sniffed
// format's extension, deleting the oldest uploads beyond the quota. It
// returns the new file's name (within the store's folder).
func (s *uploadStore) save(data []byte, format string) (string, error) {
	size := int64(len(data))
	if size > s.quota {
		return "", fmt.Errorf("store upload: %d bytes exceed the whole quota of %d", size, s.quota)
	}
	var rnd [16]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", fmt.Errorf("store upload: %w", err)
	}
	// The extension comes from a fixed list, so nothing the client sent
	// reaches the file name.
	name := storedPrefix + hex.EncodeToString(rnd[:]) + cmp.Or(imageio.Ext(format), ".bin")

	s.mu.Lock()
	defer s.mu.Unlock()
	for s.used+size > s.quota && len(s.files) > 0 {
		old := s.files[0]
		if err := os.Remove(filepath.Join(s.dir, old.name)); err != nil && !os.IsNotExist(err) {
			return "", fmt.Errorf("store upload: make room: %w", err)
		}
		s.files = s.files[1:]
		s.used -= old.size
	}
	// Written under a temporary name, then renamed: a crash, or a shutdown
	// that cannot wait for this handler, never leaves a truncated upload
	// under a stored name (openStore removes the temporary files).
	path := filepath.Join(s.dir, name)
	tmp := filepath.Join(s.dir, "."+name+tmpSuffix)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("store upload: %w", err)
	}
	_, err = writeUpload(f, data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("store upload %s: %w", name, err)
	}
	s.files = append(s.files, storedFile{name, size})
	s.used += size
	return name, nil
}
