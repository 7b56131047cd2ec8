// Package election is the election as a deterministic state machine, the
// "contract" that every polling node runs: the manifest and the election id
// derived from it, the voter roll, the signed transactions and their
// canonical encoding, the validation rules with their stable result codes,
// the phases of an election and the running encrypted tally.
//
// The package is pure: time comes only from the block header, orderings are
// explicit, no map is iterated into state, and it performs no I/O. It builds
// on tally and the standard library. It must not import net/http,
// database/sql, github.com/spf13/... (cobra, viper),
// github.com/cometbft/..., or any evote package other than tally;
// test/deps_test.go fails if it does.
//
// The state machine is built in a later milestone; today the package holds
// only this description.
package election
