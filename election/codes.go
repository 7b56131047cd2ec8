package election

import (
	"fmt"
	"strconv"
	"strings"
)

// Result codes. A code's number and meaning never change once released,
// and a number is never reused (docs/spec/codes.md). CodeOK (0) is in
// api.go.
const (
	// CodeMalformed: the transaction does not decode (wrong tag, truncated,
	// non-canonical value, trailing bytes, a body that does not parse).
	CodeMalformed Code = 1
	// CodeOversized: the transaction is longer than its kind allows.
	CodeOversized Code = 2
	// CodeUnknownKind: the envelope names a kind this version does not know.
	CodeUnknownKind Code = 3
	// CodeBadSignature: the signature does not verify for the signer, the
	// chain id, the kind and the body.
	CodeBadSignature Code = 4
	// CodeUnknownElection: no election with the transaction's election id
	// exists (yet).
	CodeUnknownElection Code = 5
	// CodeElectionExists: an election with this manifest already exists.
	CodeElectionExists Code = 6
	// CodeUnauthorized: the signer may not send this transaction: not an
	// authority of the genesis, not the election's authority, or another
	// trustee than the message names.
	CodeUnauthorized Code = 7
	// CodeInvalidManifest: the manifest decodes but breaks a rule.
	CodeInvalidManifest Code = 8
	// CodeNotOnRoll: the ballot's signer is not on the election's roll.
	CodeNotOnRoll Code = 9
	// CodeNotOpen: the election is not open yet (key ceremony under way, or
	// waiting to be opened).
	CodeNotOpen Code = 10
	// CodeClosed: the election is closed (or has failed): no more ballots
	// or roll changes.
	CodeClosed Code = 11
	// CodeBadProof: a ballot's zero-knowledge proof does not verify.
	CodeBadProof Code = 12
	// CodeDuplicate: the same transaction bytes were already accepted.
	CodeDuplicate Code = 13
	// CodeAlreadyVoted: the voter has a ballot and the election does not
	// allow revoting.
	CodeAlreadyVoted Code = 14
	// CodeStaleSequence: a revote whose sequence number is not above the
	// voter's current ballot's (a replayed or reordered older ballot).
	CodeStaleSequence Code = 15
	// CodeWrongPhase: an official or key-ceremony transaction outside its
	// phase (open when not ready, close when not open, a deal after the
	// deal round, a decryption share after the result, ...).
	CodeWrongPhase Code = 16
	// CodeNotTrustee: the signer is not a trustee of the election.
	CodeNotTrustee Code = 17
	// CodeDKGDuplicate: a second deal, complaint set or response from the
	// same trustee, or a second share set.
	CodeDKGDuplicate Code = 18
	// CodeBadDeal: a deal that fails its public checks (commitment count,
	// share set, proof of knowledge).
	CodeBadDeal Code = 19
	// CodeBadComplaint: a complaint about oneself, about a dealer without a
	// deal, in the wrong order, or in another trustee's name.
	CodeBadComplaint Code = 20
	// CodeBadResponse: a response to no complaint, or one whose revealed
	// share does not match the dealer's commitments.
	CodeBadResponse Code = 21
	// CodeBadDecryptionShare: a decryption share whose proof does not
	// verify against the trustee's verification key and the aggregate.
	CodeBadDecryptionShare Code = 22
	// CodeWrongShareCount: a share set with a number of shares other than
	// the election's number of aggregates.
	CodeWrongShareCount Code = 23
	// CodeDuplicateVoter: a roll append listing a voter already on the roll.
	CodeDuplicateVoter Code = 24
	// CodeInvalidWeight: a roll entry with weight 0, or a weight other than
	// 1 in an election without weights.
	CodeInvalidWeight Code = 25
	// CodeRollLimit: the roll would outgrow what the tally can decrypt (the
	// roll's total weight times the largest per-option maximum).
	CodeRollLimit Code = 26
	// CodeBallotMismatch: a ballot that does not fit the manifest (number of
	// contests, a contest that does not decode under its rules).
	CodeBallotMismatch Code = 27
	// CodeKeyNotFixed: the election cannot open before the key ceremony has
	// fixed the joint key.
	CodeKeyNotFixed Code = 28
	// CodeNotClosed: decryption shares before the election closed.
	CodeNotClosed Code = 29
	// CodeInvalidKey: a public key in the transaction (a voter on a roll
	// append) is not a valid Ed25519 public key.
	CodeInvalidKey Code = 30
	// CodeInternal: the node's store failed while checking the transaction.
	// It says nothing about the transaction. The machine never returns it
	// (a store failure is a Go error, a node fault); the number stays
	// reserved.
	CodeInternal Code = 31
	// CodeElectionRunning: a validator update while an election is open or
	// closed without its result. The validators change only between
	// elections.
	CodeElectionRunning Code = 32
	// CodeValidatorChangePending: a validator update before the previous
	// one is in force (two blocks after the block that accepted it).
	CodeValidatorChangePending Code = 33
	// CodeBadValidatorUpdate: a validator update the rules refuse: a power
	// above the maximum, the retirement of a key that is not a validator, a
	// change to the power it has, the retirement of the last validator, or
	// a change that leaves the unchanged validators 2/3 or less of the new
	// total power (or a chain whose state holds no validator set).
	CodeBadValidatorUpdate Code = 34
)

var codeNames = [...]string{
	CodeOK:                     "ok",
	CodeMalformed:              "malformed",
	CodeOversized:              "oversized",
	CodeUnknownKind:            "unknown-kind",
	CodeBadSignature:           "bad-signature",
	CodeUnknownElection:        "unknown-election",
	CodeElectionExists:         "election-exists",
	CodeUnauthorized:           "unauthorized",
	CodeInvalidManifest:        "invalid-manifest",
	CodeNotOnRoll:              "not-on-roll",
	CodeNotOpen:                "not-open",
	CodeClosed:                 "closed",
	CodeBadProof:               "bad-proof",
	CodeDuplicate:              "duplicate",
	CodeAlreadyVoted:           "already-voted",
	CodeStaleSequence:          "stale-sequence",
	CodeWrongPhase:             "wrong-phase",
	CodeNotTrustee:             "not-trustee",
	CodeDKGDuplicate:           "dkg-duplicate",
	CodeBadDeal:                "bad-deal",
	CodeBadComplaint:           "bad-complaint",
	CodeBadResponse:            "bad-response",
	CodeBadDecryptionShare:     "bad-decryption-share",
	CodeWrongShareCount:        "wrong-share-count",
	CodeDuplicateVoter:         "duplicate-voter",
	CodeInvalidWeight:          "invalid-weight",
	CodeRollLimit:              "roll-limit",
	CodeBallotMismatch:         "ballot-mismatch",
	CodeKeyNotFixed:            "key-not-fixed",
	CodeNotClosed:              "not-closed",
	CodeInvalidKey:             "invalid-key",
	CodeInternal:               "internal",
	CodeElectionRunning:        "election-running",
	CodeValidatorChangePending: "validator-change-pending",
	CodeBadValidatorUpdate:     "bad-validator-update",
}

// Codes returns every defined code in ascending order.
func Codes() []Code {
	out := make([]Code, len(codeNames))
	for i := range codeNames {
		out[i] = Code(i)
	}
	return out
}

// String returns the code's stable name, for example "not-on-roll".
func (c Code) String() string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("code-%d", uint32(c))
}

// ParseCode returns the code with the given name, or with the form
// "code-N" that String gives a code this package does not name (the
// node's own codes).
func ParseCode(name string) (Code, error) {
	for i, n := range codeNames {
		if n == name {
			return Code(i), nil
		}
	}
	if rest, ok := strings.CutPrefix(name, "code-"); ok {
		if v, err := strconv.ParseUint(rest, 10, 32); err == nil && v >= uint64(len(codeNames)) {
			return Code(v), nil
		}
	}
	return 0, fmt.Errorf("election: unknown result code %q", name)
}

// MarshalText returns the name.
func (c Code) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText parses a name written by MarshalText.
func (c *Code) UnmarshalText(b []byte) error {
	v, err := ParseCode(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Transient reports whether a Precheck verdict with this code may change
// as the chain advances: the immutable data it needs (the election, its
// joint key, its final aggregates) does not exist yet. The node must not
// cache such a verdict by transaction hash. Every other verdict of
// Precheck depends only on the transaction and immutable data.
func (c Code) Transient() bool {
	return c == CodeUnknownElection || c == CodeNotOpen || c == CodeNotClosed || c == CodeInternal
}

func reject(c Code, format string, args ...any) Result {
	return Result{Code: c, Log: fmt.Sprintf(format, args...)}
}
