package dirlock

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLockExcludesAndReleases(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "folder")
	unlock, err := Lock(dir, ".x.lock", "a test")
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to an open file: a second open in this process
	// conflicts like another process would.
	if _, err := Lock(dir, ".x.lock", "a test"); !errors.Is(err, ErrBusy) || !strings.HasSuffix(err.Error(), "is in use by a test in another process (it holds "+filepath.Join(dir, ".x.lock")+"): wait for it to end") {
		t.Errorf("second lock: %v, want ErrBusy saying who holds it", err)
	}
	if u, err := Lock(dir, ".other.lock", "a test"); err != nil {
		t.Errorf("another lock name in the same folder: %v", err)
	} else {
		u()
	}
	unlock()
	unlock2, err := Lock(dir, ".x.lock", "a test")
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	unlock2()
}

// Shared locks (readers) hold together, and exclude Lock (a writer), which
// excludes them.
func TestLockSharedExcludesWriters(t *testing.T) {
	dir := t.TempDir()
	r1, err := LockShared(dir, ".x.lock", "a writer")
	if err != nil {
		t.Fatal(err)
	}
	r2, err := LockShared(dir, ".x.lock", "a writer")
	if err != nil {
		t.Fatalf("second reader: %v", err)
	}
	if _, err := Lock(dir, ".x.lock", "a reader"); !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "in use by a reader") {
		t.Errorf("writer while two read: %v, want ErrBusy", err)
	}
	r1()
	if _, err := Lock(dir, ".x.lock", "a reader"); !errors.Is(err, ErrBusy) {
		t.Errorf("writer while one reads: %v, want ErrBusy", err)
	}
	r2()
	w, err := Lock(dir, ".x.lock", "a reader")
	if err != nil {
		t.Fatalf("writer once the readers are done: %v", err)
	}
	if _, err := LockShared(dir, ".x.lock", "a writer"); !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "in use by a writer") {
		t.Errorf("reader while one writes: %v, want ErrBusy", err)
	}
	w()
}

// The system drops the lock of a process that ends without unlocking.
func TestLockReleasedWhenProcessDies(t *testing.T) {
	dir := t.TempDir()
	// This test binary, run again, takes the lock, says so and sleeps.
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldLock$")
	cmd.Env = append(os.Environ(), "DIRLOCK_HOLD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("helper said %q, %v", line, err)
	}
	if _, err := Lock(dir, ".x.lock", "a test"); !errors.Is(err, ErrBusy) {
		t.Fatalf("lock held by another process: %v, want ErrBusy", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	unlock, err := Lock(dir, ".x.lock", "a test")
	if err != nil {
		t.Fatalf("lock after its holder was killed: %v", err)
	}
	unlock()
}

// TestHelperHoldLock is the process TestLockReleasedWhenProcessDies kills.
func TestHelperHoldLock(t *testing.T) {
	dir := os.Getenv("DIRLOCK_HOLD")
	if dir == "" {
		t.Skip("run by TestLockReleasedWhenProcessDies")
	}
	if _, err := Lock(dir, ".x.lock", "the helper"); err != nil {
		t.Fatal(err)
	}
	fmt.Println("locked")
	time.Sleep(time.Minute)
}

// A Lock that finds the folder busy keeps no file open: a command that
// retries, or a server that tries on every request, does not run out of
// file descriptors.
func TestBusyLockClosesItsFile(t *testing.T) {
	dir := t.TempDir()
	unlock, err := Lock(dir, ".x.lock", "a test")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	open := func() int {
		fds, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skipf("cannot count open files: %v", err)
		}
		return len(fds)
	}
	before := open()
	for range 10 {
		if _, err := Lock(dir, ".x.lock", "a test"); !errors.Is(err, ErrBusy) {
			t.Fatalf("second lock: %v, want ErrBusy", err)
		}
	}
	if after := open(); after != before {
		t.Errorf("%d files open after 10 refused locks, %d before", after, before)
	}
}

// A file where the folder should be is said in the folder's terms, not the
// lock file's.
func TestLockOnAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "afile")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(file, "sub")
	for dir, want := range map[string]string{
		file: file + " is a file, not a folder",
		sub:  "cannot make the folder " + sub + ": " + file + " is a file",
	} {
		_, err := Lock(dir, ".x.lock", "a test")
		if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), ".x.lock") {
			t.Errorf("Lock(%s): %v, want %q without the lock file", dir, err, want)
		}
	}
}

// A holder may remove the lock file (and its folder) before unlocking:
// whoever locked the removed file in the meantime does not keep a lock
// nobody else sees, and the next Lock works on a new file.
func TestLockFileRemovedByItsHolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	unlock, err := Lock(dir, ".x.lock", "a test")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, ".x.lock")
	// What a second Lock holds when it opened the file just before the
	// holder removed it.
	early, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer early.Close()
	if removed(early, path) {
		t.Fatal("removed: the file in place reported as removed")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	unlock()
	if !removed(early, path) {
		t.Error("removed: a removed file not reported")
	}
	again, err := Lock(dir, ".x.lock", "a test")
	if err != nil {
		t.Fatalf("lock after the holder removed the file: %v", err)
	}
	defer again()
	if !removed(early, path) {
		t.Error("removed: a file replaced by another at its path not reported")
	}
	if _, err := Lock(dir, ".x.lock", "a test"); !errors.Is(err, ErrBusy) {
		t.Errorf("lock of the new file while held: %v, want ErrBusy", err)
	}
}

// A Lock that opened the lock file just before its holder removed it (and
// unlocked) locks the new file at the path, not the removed one: a Lock
// after it is then refused, as it must be.
func TestLockRetriesAfterRemoval(t *testing.T) {
	dir := t.TempDir()
	holder, err := Lock(dir, ".x.lock", "a test")
	if err != nil {
		t.Fatal(err)
	}
	removals := 0
	beforeLock = func(path string) {
		if removals == 0 { // the holder finishes: removes the file, unlocks
			removals++
			if err := os.Remove(path); err != nil {
				t.Error(err)
			}
			holder()
		}
	}
	defer func() { beforeLock = nil }()
	unlock, err := Lock(dir, ".x.lock", "a test")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	beforeLock = nil
	if _, err := Lock(dir, ".x.lock", "a test"); !errors.Is(err, ErrBusy) {
		t.Errorf("a third Lock while the second holds the file at the path: %v, want ErrBusy", err)
	}
	// Removed at every try: an error, not an endless loop.
	beforeLock = func(path string) { _ = os.Remove(path) }
	if _, err := Lock(filepath.Join(dir, "other"), ".y.lock", "a test"); err == nil || !strings.Contains(err.Error(), "removed 10 times") {
		t.Errorf("a lock file removed at every try: %v, want an error", err)
	}
}
