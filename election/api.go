package election

import "time"

// This file is the contract between the election state machine and the
// polling node that runs it (package chain): the storage it runs on, what it
// learns about a block, and the outcome of a transaction.

// ReadStore is read access to the election state.
type ReadStore interface {
	// Get returns the value at key, or nil and no error if there is none.
	Get(key []byte) ([]byte, error)
	// Iterate calls fn for every key that starts with prefix, in ascending
	// byte order, until fn returns an error (which Iterate returns). fn must
	// not write to the store.
	Iterate(prefix []byte, fn func(key, value []byte) error) error
}

// Store is the election state: an ordered key-value map. The node backs it
// with SQLite; reads see the writes made earlier in the same block. Every
// write is part of the state the app hash commits to.
type Store interface {
	ReadStore
	// Set writes value at key. A nil or empty value is stored as empty.
	Set(key, value []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(key []byte) error
}

// Block is all the state machine knows of the block it executes in, besides
// the store and the transactions: time comes only from the header.
type Block struct {
	ChainID string
	Height  int64
	Time    time.Time // the block header's (BFT) time
}

// Result is the outcome of a transaction: a stable code and a message for
// people. A rejection is a Result, never a Go error; Go errors from the
// machine are node faults (a failing store).
type Result struct {
	Code Code
	Log  string
	// Events are key-value attributes for indexing and receipts (for
	// example "election" and "voter"), in a fixed order.
	Events []Attribute
}

// Attribute is one indexed key-value pair of a Result.
type Attribute struct {
	Key, Value string
}

// OK reports whether the transaction was accepted.
func (r Result) OK() bool { return r.Code == CodeOK }

// Code is a transaction's result code. Codes are stable: a code's number
// and meaning never change once released (docs/spec/codes.md).
type Code uint32

// CodeOK means the transaction was accepted.
const CodeOK Code = 0

// BlockExec is a block under way: Machine.BeginBlock returns it, the node
// delivers the block's transactions to it in order and then ends it. It
// holds the block's running state (the running sums of the aggregates);
// the machine keeps none between blocks. Only one goroutine uses it.
type BlockExec interface {
	// Deliver executes one transaction of the block. prechecked says that
	// the node holds Precheck's CodeOK for these bytes, so the signature
	// and proofs need not be verified again. A rejected transaction writes
	// nothing. A Go error is a node fault (the store failed, or holds
	// corrupted state): the node must stop.
	Deliver(tx []byte, prechecked bool) (Result, error)
	// End ends the block; its writes are part of the block. A Go error is
	// a node fault.
	End() error
}
