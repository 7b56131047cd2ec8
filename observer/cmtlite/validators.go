package cmtlite

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"sort"
)

// Validator is an ed25519 validator and its voting power.
type Validator struct {
	PubKey [32]byte
	Power  int64
}

// Address is the validator's address: the first 20 bytes of the SHA-256 of
// its public key.
func (v Validator) Address() []byte {
	h := sha256.Sum256(v.PubKey[:])
	return h[:AddressSize]
}

// encode is tendermint.types.SimpleValidator {pub_key = 1
// (tendermint.crypto.PublicKey {ed25519 = 1}), voting_power = 2}.
func (v Validator) encode() []byte {
	pk := appendBytesField(nil, 1, v.PubKey[:])
	b := appendMessageField(nil, 1, pk)
	return appendVarintField(b, 2, uint64(v.Power))
}

// MaxTotalVotingPower is CometBFT's bound on a validator set's total power.
const MaxTotalVotingPower = math.MaxInt64 / 8

// ErrValidators is returned by NewValidatorSet for a set CometBFT would
// not make.
var ErrValidators = errors.New("cmtlite: bad validator set")

// ValidatorSet is a fixed set of validators in CometBFT's order.
type ValidatorSet struct {
	vals  []Validator
	addrs [][]byte // the validators' addresses
	total int64
	hash  []byte
}

// NewValidatorSet orders vals as CometBFT's NewValidatorSet does (by
// voting power, greatest first, then by address) and fails where it
// panics or where ValidateBasic fails: no validators, a power not
// positive, two validators of one address, or a total power above
// MaxTotalVotingPower.
func NewValidatorSet(vals []Validator) (*ValidatorSet, error) {
	if len(vals) == 0 {
		return nil, fmt.Errorf("%w: no validators", ErrValidators)
	}
	s := &ValidatorSet{vals: append([]Validator(nil), vals...)}
	for i, v := range s.vals {
		if v.Power <= 0 || v.Power > MaxTotalVotingPower {
			return nil, fmt.Errorf("%w: validator %d of power %d", ErrValidators, i, v.Power)
		}
		s.total += v.Power
		if s.total > MaxTotalVotingPower {
			return nil, fmt.Errorf("%w: total power above %d", ErrValidators, int64(MaxTotalVotingPower))
		}
	}
	s.addrs = make([][]byte, len(s.vals))
	for i, v := range s.vals {
		s.addrs[i] = v.Address()
	}
	sort.Sort(byPower{s})
	leaves := make([][]byte, len(s.vals))
	for i, v := range s.vals {
		if i > 0 && bytes.Equal(s.addrs[i], s.addrs[i-1]) {
			return nil, fmt.Errorf("%w: two validators of address %X", ErrValidators, s.addrs[i])
		}
		leaves[i] = v.encode()
	}
	s.hash = MerkleRoot(leaves)
	return s, nil
}

// byPower orders a set's validators as CometBFT's ValidatorsByVotingPower:
// by power, greatest first, then by address.
type byPower struct{ s *ValidatorSet }

func (b byPower) Len() int { return len(b.s.vals) }

func (b byPower) Less(i, j int) bool {
	if b.s.vals[i].Power != b.s.vals[j].Power {
		return b.s.vals[i].Power > b.s.vals[j].Power
	}
	return bytes.Compare(b.s.addrs[i], b.s.addrs[j]) < 0
}

func (b byPower) Swap(i, j int) {
	b.s.vals[i], b.s.vals[j] = b.s.vals[j], b.s.vals[i]
	b.s.addrs[i], b.s.addrs[j] = b.s.addrs[j], b.s.addrs[i]
}

// Size is the number of validators.
func (s *ValidatorSet) Size() int { return len(s.vals) }

// Validators are the validators, in the set's order.
func (s *ValidatorSet) Validators() []Validator { return append([]Validator(nil), s.vals...) }

// TotalVotingPower is the sum of the validators' powers.
func (s *ValidatorSet) TotalVotingPower() int64 { return s.total }

// Hash is the set's hash, as CometBFT's ValidatorSet.Hash: the Merkle root
// of each validator's SimpleValidator encoding, in the set's order.
func (s *ValidatorSet) Hash() []byte { return bytes.Clone(s.hash) }

// Why VerifyCommitLightAllSignatures refuses a commit; its errors wrap
// one of these.
var (
	ErrSignatureCount  = errors.New("cmtlite: not one signature per validator")
	ErrCommitHeight    = errors.New("cmtlite: commit of another height")
	ErrCommitBlockID   = errors.New("cmtlite: commit of another block")
	ErrValidatorAddr   = errors.New("cmtlite: signature of another validator")
	ErrSignature       = errors.New("cmtlite: wrong signature")
	ErrNotEnoughSigned = errors.New("cmtlite: not more than 2/3 of the voting power signed")
)

// VerifyCommitLightAllSignatures checks that commit commits the block
// blockID at height of chain chainID, as CometBFT's
// ValidatorSet.VerifyCommitLightAllSignatures (v0.38) does: the commit has
// one signature per validator, is of that height and block id; every
// signature for the block (flag BlockIDFlagCommit) is of the validator at
// its index and verifies over its VoteSignBytes; and their validators hold
// more than 2/3 of the total voting power. Like CometBFT's, it checks
// nothing of the absent signatures and of the votes for nil.
func (s *ValidatorSet) VerifyCommitLightAllSignatures(chainID string, blockID BlockID, height int64, commit *Commit) error {
	if s == nil || commit == nil {
		return errors.New("cmtlite: no validator set or no commit")
	}
	if len(commit.Signatures) != len(s.vals) {
		return fmt.Errorf("%w: %d signatures for %d validators", ErrSignatureCount, len(commit.Signatures), len(s.vals))
	}
	if commit.Height != height {
		return fmt.Errorf("%w: %d, not %d", ErrCommitHeight, commit.Height, height)
	}
	if !blockID.Equal(commit.BlockID) {
		return fmt.Errorf("%w: %X, not %X", ErrCommitBlockID, commit.BlockID.Hash, blockID.Hash)
	}
	needed := s.total * 2 / 3
	var tallied int64
	for i, sig := range commit.Signatures {
		if sig.BlockIDFlag != BlockIDFlagCommit {
			continue
		}
		if !bytes.Equal(sig.ValidatorAddress, s.addrs[i]) {
			return fmt.Errorf("%w: at index %d, %X, not %X", ErrValidatorAddr, i, sig.ValidatorAddress, s.addrs[i])
		}
		if err := sig.validate(); err != nil {
			return fmt.Errorf("%w: at index %d: %v", ErrSignature, i, err)
		}
		msg, err := commit.VoteSignBytes(chainID, i)
		if err != nil {
			return fmt.Errorf("%w: at index %d: %v", ErrSignature, i, err)
		}
		if !verifyZIP215(s.vals[i].PubKey[:], msg, sig.Signature) {
			return fmt.Errorf("%w: at index %d", ErrSignature, i)
		}
		tallied += s.vals[i].Power
	}
	if tallied <= needed {
		return fmt.Errorf("%w: %d of %d, %d needed", ErrNotEnoughSigned, tallied, s.total, needed+1)
	}
	return nil
}
