package chain

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// LockFile is the file in a node home's data directory that a running
// node (NewNode until Stop) and `evote node repair` hold an exclusive
// lock on (flock), so that neither runs while the other does.
const LockFile = "evote.lock"

// ErrHomeInUse means another process (or another Node of this one) holds
// the home's lock: a node runs on it, or a repair.
var ErrHomeInUse = errors.New("chain: the node home is in use")

// homeLock is a held lock on a home.
type homeLock struct{ f *os.File }

// lockHome takes the lock of home without waiting; it creates data/ and
// the lock file if needed.
func lockHome(home string) (*homeLock, error) {
	dir := filepath.Join(home, "data")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("chain: lock %s: %w", home, err)
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("chain: lock %s: %w", home, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is locked by a running node or repair; stop it first", ErrHomeInUse, path)
		}
		return nil, fmt.Errorf("chain: lock %s: %w", path, err)
	}
	return &homeLock{f: f}, nil
}

// release lets the lock go (closing the file releases the flock).
func (l *homeLock) release() {
	if l != nil && l.f != nil {
		l.f.Close()
		l.f = nil
	}
}
