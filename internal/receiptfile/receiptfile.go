// Package receiptfile is the wallet's receipt file
// (docs/spec/wallet-receipt.md): what the voter's wallet keeps of a cast
// ballot, where it keeps it, and its offline check against the validators
// it trusts (chain.VerifyReceipt, then the ballot's own checks). It also
// holds the conversions at the edge between the API's JSON and CometBFT's
// types that the check needs: api.Receipt to chain.Receipt and
// []api.Validator to a CometBFT validator set. It links CometBFT, so it is
// not part of package wallet, which builds for the browser.
package receiptfile

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/fileutil"
	"github.com/evote/evote/internal/receiptlite"
	"github.com/evote/evote/wallet"
)

// Tag is the version of the wallet's receipt files: a file of this
// version proves that the ballot was accepted (its receipt has the result
// part), and its receipt may carry validator hops (the changes of the
// validator set from the genesis to its block). TagV2 is the version
// before hops: the same file, whose receipt has none; it still reads and
// checks. TagV1 is the earliest version, whose receipts prove inclusion in
// a block only; such files still read and check, for what they prove.
const (
	Tag   = receiptlite.Tag
	TagV2 = receiptlite.TagV2
	TagV1 = receiptlite.TagV1
)

// MaxFile bounds a receipt file: the ballot and a block's commit signed by
// up to a few hundred validators, and a few validator hops (a header, its
// commit and a set each).
const MaxFile = 8 << 20

// ErrBad wraps every failure of a receipt file's checks: the same error
// as the browser's check (receiptlite.ErrBad), so that both are one to
// their callers.
var ErrBad = receiptlite.ErrBad

// ErrIncomplete is a file of version Tag (or TagV2) whose receipt does not have its
// result part yet (the next block was not committed within the node's
// wait): it wraps ErrBad, and the file is completed from a node.
var ErrIncomplete = receiptlite.ErrIncomplete

// RejectedError is the failure of the check of a ballot the state machine
// rejected in its block: its result code, proven by the receipt's result
// part or (Proven false) as the node recorded it. It wraps ErrBad.
type RejectedError = receiptlite.RejectedError

// File is what the wallet keeps of a cast ballot: where and by whom it was
// cast, the validator set the wallet trusted when it cast it, and the
// chain's receipt (nil while the ballot is not known committed).
type File struct {
	Version      string                `json:"version"`
	Node         string                `json:"node"`
	ChainID      string                `json:"chain_id"`
	Election     election.ID           `json:"election"`
	Voter        wallet.VoterPublicKey `json:"voter"` // "evote-voter:..." (or "ed25519:..."); another role's key is refused
	KeyName      string                `json:"key_name"`
	Seq          uint64                `json:"seq"`
	TrackingCode string                `json:"tracking_code"`
	CastAt       time.Time             `json:"cast_at"`
	Validators   []api.Validator       `json:"trusted_validators"`
	Receipt      *api.Receipt          `json:"receipt"`
	// Ballot is the signed ballot transaction while the receipt is
	// pending, so that it can be submitted again; dropped once the receipt
	// is complete (its proof holds the same bytes).
	Ballot []byte `json:"ballot,omitempty"`
}

// Bad is an ErrBad with a message.
func Bad(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBad, fmt.Sprintf(format, args...))
}

// Read reads and parses a receipt file of at most MaxFile bytes.
func Read(path string) (*File, error) {
	raw, err := fileutil.ReadFileMax(path, MaxFile)
	if err != nil {
		return nil, err
	}
	return Parse(raw)
}

// Parse decodes a receipt file and checks its form: the version, a
// voter's key, a tracking code of 64 hex digits. Unknown fields are
// refused.
func Parse(raw []byte) (*File, error) {
	var r File
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: not a receipt file: %v", ErrBad, err)
	}
	if r.Version != Tag && r.Version != TagV2 && r.Version != TagV1 {
		return nil, fmt.Errorf("%w: version %q, want %q (or %q, %q)", ErrBad, r.Version, Tag, TagV2, TagV1)
	}
	if r.Version != Tag && r.Receipt != nil && len(r.Receipt.ValidatorHops) > 0 {
		return nil, fmt.Errorf("%w: a file of version %q has no validator hops (they came with %q)", ErrBad, r.Version, Tag)
	}
	if r.Voter.IsZero() {
		return nil, fmt.Errorf("%w: no voter", ErrBad)
	}
	if b, err := hex.DecodeString(r.TrackingCode); err != nil || len(b) != 32 {
		return nil, fmt.Errorf("%w: tracking code %q is not 64 hex digits", ErrBad, r.TrackingCode)
	}
	return &r, nil
}

// Path is where the receipt of a ballot is kept in dir (the wallet's
// receipts folder): the election id's first 12 hex digits and the
// tracking code's first 16.
func Path(dir string, r *File) string {
	return filepath.Join(dir, fmt.Sprintf("%s-%s.json", r.Election.String()[:12], r.TrackingCode[:16]))
}

// Write replaces the file at path atomically with r, indented JSON.
func Write(path string, r *File) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return fileutil.WriteFileAtomic(path, 0o600, append(b, '\n'))
}

// Trusted is the validator set the file recorded when the ballot was cast.
func (r *File) Trusted() (*cmttypes.ValidatorSet, error) {
	set, err := ValidatorSet(r.Validators)
	if err != nil {
		return nil, Bad("trusted validators: %v", err)
	}
	return set, nil
}

// ProvesAcceptance says whether the file's receipt has the result part,
// so that a successful CheckOffline proved that the state machine accepted
// the ballot (code 0), not only that it is in a block. A file of version
// TagV1 does not: its check proves inclusion only.
func (r *File) ProvesAcceptance() bool {
	return r.Receipt != nil && (r.Receipt.NextHeader != nil || r.Receipt.NextCommit != nil || r.Receipt.Result != nil || r.Receipt.ResultProof != nil)
}

// CheckOffline verifies the receipt with nothing but the file (and, if
// given, a trusted validator set from elsewhere, such as a genesis file):
// the chain's receipt verifies against the trusted set (chain.VerifyReceipt:
// Merkle proof, header, commit signatures of more than 2/3 of the power,
// and the result part: next header, its commit, the result's proof), its
// transaction is this voter's ballot in this election with this sequence
// number and tracking code, and its result code is 0. It returns the
// ballot's body. Every failure is ErrBad; a rejected ballot's is a
// *RejectedError naming the code, and a file of version Tag or TagV2 whose
// receipt lacks the result part fails with ErrIncomplete. A file of
// version TagV1 passes without the result part (ProvesAcceptance says so).
//
// The trusted set may be the genesis validators or any set in force on
// the way from the genesis to the ballot's block (the file's own, the set
// the node showed when the ballot was cast): the receipt's validator hops
// lead from it to the set that signed the block (chain.VerifyReceipt).
func (r *File) CheckOffline(trusted *cmttypes.ValidatorSet) (*election.BallotBody, error) {
	if r.Receipt == nil {
		return nil, Bad("the ballot's commit is not recorded yet (pending): check it with --node")
	}
	if trusted == nil {
		set, err := r.Trusted()
		if err != nil {
			return nil, err
		}
		trusted = set
	}
	rec, err := ChainReceipt(r.Receipt)
	if err != nil {
		return nil, Bad("%v", err)
	}
	if err := chain.VerifyReceipt(rec, trusted, r.ChainID); err != nil {
		return nil, Bad("%v", err)
	}
	if rec.TrackingCode != r.TrackingCode {
		return nil, Bad("the chain's receipt is for %s, the ballot is %s", rec.TrackingCode, r.TrackingCode)
	}
	env, err := election.DecodeTx(rec.Tx())
	if err != nil {
		return nil, Bad("the transaction: %v", err)
	}
	if env.Kind != election.KindBallot || env.Signer != r.Voter.Key() || !env.Verify(r.ChainID) {
		return nil, Bad("the transaction is not a ballot signed by %s", r.Voter)
	}
	body, err := election.DecodeBody(env.Kind, env.Body)
	if err != nil {
		return nil, Bad("the ballot: %v", err)
	}
	bb := body.(*election.BallotBody)
	if bb.Election != r.Election || bb.Seq != r.Seq {
		return nil, Bad("the ballot is for election %s with sequence number %d, the file says %s and %d", bb.Election, bb.Seq, r.Election, r.Seq)
	}
	if rec.Code != election.CodeOK {
		return nil, &RejectedError{Code: rec.Code, Log: rec.Log, Proven: rec.Proven()}
	}
	if !rec.Proven() && r.Version != TagV1 {
		return nil, ErrIncomplete
	}
	return bb, nil
}
