// Package observer lets anyone re-check an election without trusting any
// node. It owns the election record (docs/spec/record.md): its streamed
// JSON format (RecordWriter, RecordReader), its export from a node's block
// store and committed state (package feed: Export), and the verifier (Verify,
// docs/verifier.md), which checks every header against the validators'
// commit signatures, every transaction against its block's data hash,
// every signature and proof (ballot proofs in batches on all cores), and
// replays the election rules with its own statement of them (rules.go);
// the state machine of package election can stand in for them
// (VerifyOptions.Machine), and the tests hold the two to the same verdicts.
//
// The synthetic records of its tests and benchmarks are built by
// internal/harness/synthetic; observer imports no role's package (wallet,
// trustee).
//
// Planned: the feed hub (committed blocks to many clients, never blocking
// consensus) and the live verifying follower.
//
// observer must not import web or cmd.
package observer
