package crawl

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/animalcnn/animalcnn/mlpkg/internal/dirent"
)

// claims records, across the classes one client crawls (one Run), which
// class took each photo id and each file content, so that no photo gets two
// labels: the first class to meet a photo in its search results, or to hold
// it in its folder, keeps it.
type claims struct {
	ids    map[string]string   // photo id → class
	hashes map[string]keptFile // SHA-256 → a kept photo's file
}

// keptFile is a kept photo's class and file name.
type keptFile struct{ class, file string }

// newClaims returns claims with nothing claimed yet.
func newClaims() claims {
	return claims{ids: map[string]string{}, hashes: map[string]keptFile{}}
}

// scan records the photos kept (listed, and their file present) in every
// class folder under imagesDir; Run calls it once, before the first class.
func (cl *claims) scan(imagesDir string) error {
	ents, err := os.ReadDir(imagesDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list class folders: %w", err)
	}
	for _, e := range ents {
		if !dirent.IsDir(imagesDir, e) {
			continue
		}
		if err := cl.scanClass(filepath.Join(imagesDir, e.Name()), e.Name()); err != nil {
			return err
		}
	}
	return nil
}

// scanClass records the photos kept in one class folder.
func (cl *claims) scanClass(dir, class string) error {
	kept, err := keptEntries(dir)
	if err != nil {
		return fmt.Errorf("check the photos of class %s: %w", class, err)
	}
	for _, e := range kept {
		if _, ok := cl.ids[e.ID]; !ok {
			cl.ids[e.ID] = class
		}
		if _, ok := cl.hashes[e.SHA256]; !ok && e.SHA256 != "" {
			cl.hashes[e.SHA256] = keptFile{class, e.File}
		}
	}
	return nil
}

// claimID gives photo id to class unless another class has it, and returns
// the class that has it.
func (cl *claims) claimID(id, class string) string {
	if owner, ok := cl.ids[id]; ok {
		return owner
	}
	cl.ids[id] = class
	return class
}

// byHash returns the class and file of a photo kept with this SHA-256.
func (cl *claims) byHash(sha string) (keptFile, bool) {
	k, ok := cl.hashes[sha]
	return k, ok
}

// keep records a photo kept in class as file.
func (cl *claims) keep(id, sha, class, file string) {
	if _, ok := cl.ids[id]; !ok {
		cl.ids[id] = class
	}
	if _, ok := cl.hashes[sha]; !ok {
		cl.hashes[sha] = keptFile{class, file}
	}
}

// release gives photo id back when class claimed it but did not keep it (a
// failed or discarded download): another class may then keep it.
func (cl *claims) release(id, class string) {
	if cl.ids[id] == class {
		delete(cl.ids, id)
	}
}
