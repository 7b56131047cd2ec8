package receiptfile

import (
	"errors"
	"fmt"
	"strings"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
)

// ChainReceipt reads a receipt of the API as chain.Receipt, decoding its
// CometBFT parts for chain.VerifyReceipt (chain does not import api; the
// node's side of the conversion is web's).
func ChainReceipt(r *api.Receipt) (*chain.Receipt, error) {
	out := &chain.Receipt{ChainID: r.ChainID, TrackingCode: r.TrackingCode.String(), Height: r.Height, Index: r.Index,
		Code: r.Code.Code(), Log: r.Log, TxHash: r.TxHash, Result: r.Result}
	p := chain.CometParts{Proof: r.Proof, Header: r.Header, Commit: r.Commit, ValidatorSet: r.ValidatorSet,
		NextHeader: r.NextHeader, NextCommit: r.NextCommit, ResultProof: r.ResultProof}
	for _, h := range r.ValidatorHops {
		p.Hops = append(p.Hops, chain.HopParts{Header: h.Header, Commit: h.Commit, ValidatorSet: h.ValidatorSet})
	}
	if err := out.SetCometParts(p); err != nil {
		return nil, err
	}
	return out, nil
}

// MaxValidators bounds the validator sets a wallet accepts.
const MaxValidators = 1000

// ValidatorSet builds the CometBFT validator set of the API's entries,
// checking that every address is its key's.
func ValidatorSet(entries []api.Validator) (*cmttypes.ValidatorSet, error) {
	if len(entries) == 0 {
		return nil, errors.New("no validators")
	}
	if len(entries) > MaxValidators {
		return nil, fmt.Errorf("%d validators, at most %d", len(entries), MaxValidators)
	}
	var vals []*cmttypes.Validator
	for _, v := range entries {
		if len(v.PubKey) != cmted25519.PubKeySize {
			return nil, fmt.Errorf("validator %s: public key of %d bytes is not an Ed25519 key", v.Address, len(v.PubKey))
		}
		val := cmttypes.NewValidator(cmted25519.PubKey(v.PubKey), v.Power)
		if !strings.EqualFold(val.Address.String(), v.Address) {
			return nil, fmt.Errorf("validator %s: its key's address is %s", v.Address, val.Address)
		}
		vals = append(vals, val)
	}
	return NewValidatorSet(vals)
}

// NewValidatorSet is cmttypes.NewValidatorSet for untrusted input: it
// panics on duplicates and on powers out of range, which are errors here.
func NewValidatorSet(vals []*cmttypes.Validator) (set *cmttypes.ValidatorSet, err error) {
	seen := make(map[string]bool, len(vals))
	for _, v := range vals {
		if v.VotingPower <= 0 || v.VotingPower > cmttypes.MaxTotalVotingPower/int64(max(len(vals), 1)) {
			return nil, fmt.Errorf("validator %s: voting power %d out of range", v.Address, v.VotingPower)
		}
		if seen[string(v.Address)] {
			return nil, fmt.Errorf("validator %s appears twice", v.Address)
		}
		seen[string(v.Address)] = true
	}
	defer func() {
		if p := recover(); p != nil {
			set, err = nil, fmt.Errorf("validator set: %v", p)
		}
	}()
	set = cmttypes.NewValidatorSet(vals)
	if err := set.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("validator set: %w", err)
	}
	return set, nil
}

// GenesisValidators reads a CometBFT genesis file (genesis.json, a trust
// anchor obtained elsewhere than from a node): its chain id and its
// validator set.
func GenesisValidators(path string) (string, *cmttypes.ValidatorSet, error) {
	gen, err := cmttypes.GenesisDocFromFile(path)
	if err != nil {
		return "", nil, err
	}
	var vals []*cmttypes.Validator
	for _, v := range gen.Validators {
		vals = append(vals, cmttypes.NewValidator(v.PubKey, v.Power))
	}
	set, err := NewValidatorSet(vals)
	if err != nil {
		return "", nil, err
	}
	return gen.ChainID, set, nil
}
