//go:build !unix

package dirlock

import "os"

// lockFile does nothing where flock does not exist.
func lockFile(*os.File, bool) error { return nil }

func unlockFile(*os.File) error { return nil }
