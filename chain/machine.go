package chain

import (
	"encoding/json"

	"github.com/evote/evote/election"
)

// StateMachine is what the node runs: the election state machine, seen from
// the node. It is the method set of *election.Machine; chain depends on
// nothing else of it, so the machine plugs in without changes here.
//
// Concurrency: Precheck and Check may be called from many goroutines at
// once, and concurrently with the block methods. BeginBlock, Deliver and
// EndBlock are called from one goroutine at a time, in block order.
type StateMachine interface {
	// Precheck is the expensive, state-independent part of validation:
	// decoding, size, signature, zero-knowledge proofs. Its verdict may
	// depend only on the transaction's bytes and on election data that never
	// changes once written, because the node caches it by transaction hash
	// and reuses it at any later height, and nodes that reuse it and nodes
	// that compute it afresh must execute a block alike: a "not yet"
	// rejection belongs in Check or Deliver. st is committed state.
	Precheck(st election.ReadStore, tx []byte) election.Result
	// Check is mempool admission against committed state. b is the block the
	// transaction would be proposed for at the earliest. prechecked says
	// that Precheck accepted tx, so Check may skip that work.
	Check(st election.ReadStore, b election.Block, tx []byte, prechecked bool) election.Result
	// BeginBlock starts block b; its writes are part of the block.
	BeginBlock(st election.Store, b election.Block) error
	// Deliver executes tx in block b. On rejection it writes nothing (the
	// node also rolls back anything a rejected Deliver wrote).
	Deliver(st election.Store, b election.Block, tx []byte, prechecked bool) election.Result
	// EndBlock ends block b; its writes are part of the block.
	EndBlock(st election.Store, b election.Block) error
}

// MachineFactory builds the state machine from the genesis: appState is the
// app_state of the CometBFT genesis document (the JSON of election.Genesis),
// chainID its chain id. It is called at InitChain and again at every start
// of a node that has been initialised, with the same arguments.
type MachineFactory func(appState json.RawMessage, chainID string) (StateMachine, error)
