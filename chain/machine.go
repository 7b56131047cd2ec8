package chain

import (
	"encoding/json"

	"github.com/evote/evote/election"
)

// StateMachine is what the node runs: the election state machine, seen from
// the node. It is the method set of *election.Machine; chain depends on
// nothing else of it, so the machine plugs in without changes here.
//
// Every method answers a transaction with a Result (the verdict: accepted,
// or a rejection code) and reports a node fault (a failing store,
// corrupted state) as a Go error: the node never takes an error for a
// verdict, and stops if a block cannot be executed.
//
// Concurrency: Precheck and Check may be called from many goroutines at
// once, and concurrently with a block. BeginBlock and the block it returns
// are used from one goroutine at a time, one block at a time, in block
// order.
type StateMachine interface {
	// Precheck is the expensive, state-independent part of validation:
	// decoding, size, signature, zero-knowledge proofs. Its verdict may
	// depend only on the transaction's bytes and on election data that never
	// changes once written, because the node caches it by transaction hash
	// and reuses it at any later height, and nodes that reuse it and nodes
	// that compute it afresh must execute a block alike: a "not yet"
	// rejection belongs in Check or Deliver. st is committed state.
	Precheck(st election.ReadStore, tx []byte) (election.Result, error)
	// Check is mempool admission against committed state. b is the block the
	// transaction would be proposed for at the earliest. prechecked says
	// that Precheck accepted tx, so Check may skip that work.
	Check(st election.ReadStore, b election.Block, tx []byte, prechecked bool) (election.Result, error)
	// BeginBlock starts block b on st; its writes are part of the block.
	// The BlockExec it returns delivers the block's transactions (a
	// rejected one writes nothing, and the node also rolls back anything
	// it wrote) and ends the block.
	BeginBlock(st election.Store, b election.Block) (election.BlockExec, error)
}

// ElectionMachines is the factory of the election state machine
// (election.NewMachineFromAppState) with opts; the node passes crypto/rand
// as opts.Rand.
func ElectionMachines(opts election.Options) MachineFactory {
	return func(appState json.RawMessage, chainID string) (StateMachine, error) {
		m, err := election.NewMachineFromAppState(appState, chainID, opts)
		if err != nil {
			return nil, err
		}
		return m, nil
	}
}

var (
	_ StateMachine    = (*election.Machine)(nil)
	_ BatchPrechecker = (*election.Machine)(nil)
)

// MachineFactory builds the state machine from the genesis: appState is the
// app_state of the CometBFT genesis document (the JSON of election.Genesis),
// chainID its chain id. It is called at InitChain and again at every start
// of a node that has been initialised, with the same arguments.
type MachineFactory func(appState json.RawMessage, chainID string) (StateMachine, error)
