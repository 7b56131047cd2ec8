// Package harness runs whole elections in process: every role (the
// election authority, the trustees, the voters) over one Submitter, which
// is the state machine on a memory store (Memory), a chain.Node in this
// process (Node) or a node's HTTP API (API).
//
// The roles call the same code as the binary: the officials' transactions
// of package election, the trustees' protocol of package trustee (Step and
// Advance, as `evote trustee run` does) and the voters' ballots of package
// wallet. The harness adds no rule of its own; it is the fixture of tests,
// of `evote sample`, the demo and the load generator.
//
// It may import chain, api, trustee, wallet, election and tally; none of
// those imports it (test/deps_test.go).
package harness
