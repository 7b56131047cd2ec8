// Package nodetest starts real single-validator polling nodes in the test's
// process, on loopback ports, for the tests of packages above chain. It is
// test support: nothing in the binary imports it.
package nodetest

import (
	"crypto/rand"
	"fmt"
	"io"
	"path/filepath"
	"testing"

	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/cometconf"
	"github.com/evote/evote/internal/localnet"
)

// Start writes a home in a temporary directory for one validator of
// chain chainID whose genesis names authority, starts the node, and stops
// it when the test ends.
func Start(t testing.TB, chainID string, authority *election.PrivateKey) *chain.Node {
	t.Helper()
	appState, err := localnet.GenesisAppState(chainID, authority)
	if err != nil {
		t.Fatal(err)
	}
	base, err := localnet.FreePortBlock(2)
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(t.TempDir(), "node")
	err = chain.Init(home, "nodetest", chain.InitOptions{ChainID: chainID, AppState: appState,
		P2PAddr: addr(base), RPCAddr: addr(base + 1)})
	if err != nil {
		t.Fatal(err)
	}
	conf, err := cometconf.Load(home)
	if err != nil {
		t.Fatal(err)
	}
	n, err := chain.NewNode(conf, chain.Options{NewMachine: chain.ElectionMachines(election.Options{Rand: rand.Reader}), LogOutput: io.Discard, LogLevel: "error"})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		n.Stop()
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	return n
}

func addr(port int) string { return fmt.Sprintf("tcp://127.0.0.1:%d", port) }
