//go:build !unix

package cli

import "os"

// lockFile opens path; this system has no flock, so two processes are not
// kept apart.
func lockFile(path string, wait bool) (*os.File, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
}
