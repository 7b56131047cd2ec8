//go:build !unix

package fileutil

import "os"

// Lock opens path; this system has no flock, so two processes are not
// kept apart.
func Lock(path string, wait bool) (*os.File, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
}
