//go:build unix

package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockTrusteeDir takes an exclusive lock on DIR/trustee.lock, so that two
// runs of one trustee never act on its sealed state at once (two deals
// made by two processes would leave one of them without the polynomial of
// the deal on the chain). The lock ends with the process, so a crashed run
// leaves none behind.
func lockTrusteeDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "trustee.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another evote process is using the trustee in %s", dir)
		}
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	return f, nil
}
