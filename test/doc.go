// Package test holds evote's tests that cross package boundaries. Nothing
// imports it.
//
// Today it holds the dependency guard (deps_test.go), which checks that tally
// and election keep to the imports the design allows; the spec checks
// (spec_test.go), which re-derive the byte layouts and transcripts of
// docs/spec from the text and compare them with tally; the checks of the
// election spec's tables of result codes and transaction kinds
// (election_spec_test.go); and the check of election's list of small-order
// Ed25519 keys against edwards25519 (keys_test.go); and the process-level
// fault-injection tests (cluster_test.go), which build the evote binary and
// run networks of its nodes on 127.0.0.1, killing validators with SIGKILL
// under a ballot load and restarting them (harness_test.go runs the
// processes, testnet_test.go the networks, elections and ballots); and the
// system tests (system_test.go holds what they share), which run one
// validator as an evote node process and play every role as evote
// processes: the demo (demo_test.go), trustees against a restarted node, a
// failed ceremony and a lying node (trustee_test.go), hostile ballots
// (attacks_test.go), a record exported, verified and tampered with
// (record_test.go, with the record's schema in record_schema_test.go) and
// the voter's commands checked against what the node counts
// (vote_test.go). Browser tests join it in a later milestone.
package test
