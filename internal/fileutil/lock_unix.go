//go:build unix

package fileutil

import (
	"errors"
	"os"
	"syscall"
)

// Lock takes an exclusive lock on path (created if missing): at once or
// ErrLocked, or, with wait, once the holder lets go. The lock ends when
// the returned file is closed or the process ends, so a crash leaves none
// behind.
func Lock(path string, wait bool) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_EX
	if !wait {
		how |= syscall.LOCK_NB
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrLocked
		}
		return nil, err
	}
	return f, nil
}
