package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestWalletConcurrentEdits: evote processes that add keys to one keystore
// at the same time each read, change and write it under the keystore's
// lock, so no key is lost.
func TestWalletConcurrentEdits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.keystore")
	t.Setenv("EVOTE_WALLET", path)
	t.Setenv("EVOTE_PASSPHRASE", "pass")
	const n = 12
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			mustCLI(t, "wallet", "new", fmt.Sprintf("k%d", i), "--kdf-time", "1", "--kdf-memory", "64")
		})
	}
	wg.Wait()
	out := mustCLI(t, "wallet", "list")
	for i := range n {
		if !strings.Contains(out, fmt.Sprintf("k%d ", i)) {
			t.Errorf("key k%d lost:\n%s", i, out)
		}
	}
}
