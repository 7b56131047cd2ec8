// Package chain is the polling node: CometBFT v0.38 embedded in-process
// with a local ABCI client (Node), the ABCI 2.0 application that feeds
// transactions to the election state machine (App), the SQLite store that
// makes state durable only at Commit (Store), and the receipts (inclusion
// proof and signed commit) given to voters after commit (Receipt,
// VerifyReceipt).
//
// chain holds no election rules: it runs whatever implements StateMachine,
// the method set of *election.Machine, and uses package election only for
// the contract types (Store, ReadStore, Block, BlockExec, Result, Code) and
// for the factory of the election machine (ElectionMachines). It must not
// import observer, web or cmd; test/deps_test.go fails if it does.
//
// The design, the configuration and the crash-consistency argument are in
// docs/chain.md; the app hash is specified in docs/spec/app-hash.md.
package chain
