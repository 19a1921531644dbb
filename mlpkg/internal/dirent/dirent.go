// Package dirent answers questions about directory entries that
// fs.DirEntry leaves to the caller.
package dirent

import (
	"io/fs"
	"os"
	"path/filepath"
)

// IsDir reports whether the entry e of the folder dir is a folder, following
// a symbolic link (fs.DirEntry.IsDir does not): a class folder may be a link
// to photos kept elsewhere.
func IsDir(dir string, e fs.DirEntry) bool {
	if e.Type()&fs.ModeSymlink == 0 {
		return e.IsDir()
	}
	st, err := os.Stat(filepath.Join(dir, e.Name()))
	return err == nil && st.IsDir()
}
