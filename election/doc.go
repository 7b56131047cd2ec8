// Package election is the election as a deterministic state machine, the
// "contract" that every polling node runs: the manifest and the election id
// derived from it, the voter roll, the signed transactions and their
// canonical encoding, the validation rules with their stable result codes,
// the phases of an election, the trustees' key ceremony, the running
// encrypted tally and the result.
//
// The node builds a Machine (machine.go) from its genesis
// (NewMachineFromAppState) and drives it per block: BeginBlock applies the
// schedule and returns the block under way (BlockExec, block_sums.go), whose
// Deliver executes each transaction and whose End completes the steps the
// block's transactions finished. Precheck is the costly, cacheable part of
// checking a transaction (signature, proofs), PrecheckBatch the same for
// many at once, Check is mempool admission. Every verdict is a Result with
// a Code (codes.go); a Go error is a node fault (a failing store, corrupted
// state), never a verdict. The queries (query.go) serve the HTTP API, the wallet and the
// trustees' tools. MemStore is an in-memory Store.
//
// An election goes through the phases dkg-deals, dkg-complaints,
// dkg-responses (the trustees' key ceremony on chain), ready (the joint key
// is fixed), open, closed (the trustees post decryption shares) and tallied
// (the machine derived the result); or it fails. The specification is in
// docs/spec: manifest.md, transactions.md, state.md and codes.md.
//
// The package is pure: time comes only from the block header, orderings are
// explicit, no map is iterated into state, and it performs no I/O. It builds
// on tally, circl, the standard library and go.yaml.in/yaml/v3 (for
// manifests written by officials). It must not import net/http,
// database/sql, github.com/spf13/... (cobra, viper), github.com/cometbft/...,
// or any evote package other than tally; test/deps_test.go fails if it does.
package election
