// Package trustee is the trustee's side of an election: its sealed state
// (long-term keys, and per election its deal, the dealer's polynomial and
// its secret share; docs/spec/trustee-state.md) and its part in the key
// ceremony and the decryption as a pure state machine, in the style of
// etcd raft's Ready/Advance.
//
// The caller shows a Trustee what the chain holds (a View: the manifest,
// the phase, the trustees' statuses, the ceremony's messages, the
// aggregates), and Step returns a Ready: the state to seal and persist, then
// the signed transaction to submit, in that order. The caller persists,
// submits, and calls Advance with the chain's answer. A secret is always in
// a Ready's State before any transaction that depends on it is submitted, so
// that a trustee restarted from its persisted state posts the deal it kept,
// never a second one.
//
// The trustee trusts no node: it refuses a manifest that does not hash to
// the election id, an election that does not name it (or names it with
// another encryption key), a deal of its own on the chain that is not the
// one it sealed, a joint key the ceremony's messages do not give, and a
// node whose story goes back. It decrypts only the aggregates its caller's
// verifier recomputed from the chain (View.Verified: the observer's engine
// over the feed from block 1, every commit checked against the genesis
// validators), anchored on the genesis it pinned for the election, and
// refuses a node that serves other aggregates to decrypt.
//
// trustee does no I/O: no files, no network, no clock (the view carries
// what it needs of time), and its randomness is an io.Reader it is given.
// The same state, views, outcomes and randomness give the same Readys. It
// imports only the standard library's pure packages, tally, election and
// wallet (for the passphrase sealing); never os, net, a database, viper or
// CometBFT (test/deps_test.go checks it). The CLI (`evote trustee run`)
// and the tests are its callers.
package trustee
