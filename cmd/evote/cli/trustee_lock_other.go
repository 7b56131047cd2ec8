//go:build !unix

package cli

import (
	"os"
	"path/filepath"
)

// lockTrusteeDir opens DIR/trustee.lock; this system has no flock, so two
// runs of one trustee are not kept apart.
func lockTrusteeDir(dir string) (*os.File, error) {
	return os.OpenFile(filepath.Join(dir, "trustee.lock"), os.O_CREATE|os.O_RDWR, 0o600)
}
