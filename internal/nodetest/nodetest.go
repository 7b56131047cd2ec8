// Package nodetest starts real single-validator polling nodes in the test's
// process, on loopback ports, for the tests of packages above chain. It is
// test support: nothing in the binary imports it.
package nodetest

import (
	"crypto/rand"
	"io"
	"path/filepath"
	"testing"

	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/localnet"
)

// Start writes a home in a temporary directory for one validator of
// chain chainID whose genesis names authority, starts the node, and stops
// it when the test ends.
func Start(t testing.TB, chainID string, authority *election.PrivateKey) *chain.Node {
	t.Helper()
	n, err := localnet.StartNode(filepath.Join(t.TempDir(), "node"), "nodetest", chainID, authority,
		chain.Options{NewMachine: chain.ElectionMachines(election.Options{Rand: rand.Reader}), LogOutput: io.Discard, LogLevel: "error"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	return n
}
