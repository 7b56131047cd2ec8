// Package chain is the polling node: CometBFT embedded in-process with a
// local ABCI client, the ABCI adapter that feeds transactions to the election
// state machine, the SQLite store that makes state durable at Commit, and the
// receipts (inclusion proof and signed commit) given to voters after commit.
//
// chain holds no election rules: it asks package election. It must not import
// observer, web or cmd.
//
// The node is built in the ballot-chain milestone; today the package holds
// only this description.
package chain
