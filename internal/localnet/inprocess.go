package localnet

import (
	"crypto/rand"
	"fmt"

	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/cometconf"
)

// StartNode writes, in home, a one-validator network of chain chainID
// whose genesis names authority, on free loopback ports, and starts its
// node in this process. opts.NewMachine defaults to the election state
// machine with crypto/rand. Stop the node when done.
func StartNode(home, moniker, chainID string, authority *election.PrivateKey, opts chain.Options) (*chain.Node, error) {
	appState, err := GenesisAppState(chainID, authority)
	if err != nil {
		return nil, err
	}
	base, err := FreePortBlock(2)
	if err != nil {
		return nil, err
	}
	err = chain.Init(home, moniker, chain.InitOptions{ChainID: chainID, AppState: appState,
		P2PAddr: fmt.Sprintf("tcp://127.0.0.1:%d", base), RPCAddr: fmt.Sprintf("tcp://127.0.0.1:%d", base+1)})
	if err != nil {
		return nil, err
	}
	conf, err := cometconf.Load(home)
	if err != nil {
		return nil, err
	}
	if opts.NewMachine == nil {
		opts.NewMachine = chain.ElectionMachines(election.Options{Rand: rand.Reader})
	}
	n, err := chain.NewNode(conf, opts)
	if err != nil {
		return nil, err
	}
	if err := n.Start(); err != nil {
		n.Stop()
		return nil, err
	}
	return n, nil
}

// StartNodeWithAuthority is StartNode with a fresh election authority,
// which it returns.
func StartNodeWithAuthority(home, moniker, chainID string) (*chain.Node, *election.PrivateKey, error) {
	authority, err := election.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	n, err := StartNode(home, moniker, chainID, authority, chain.Options{})
	return n, authority, err
}
