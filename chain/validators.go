package chain

import (
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/evote/evote/election"
)

// Validator changes (docs/spec/transactions.md, validator-update): the
// state holds the validator set, written from the genesis validators in
// the first block after InitChain, so that it is in the app hash from the
// start; each accepted validator-update transaction changes it, and
// FinalizeBlock hands the change to CometBFT, which applies it from two
// blocks on.

// ValidatorKeeper is a state machine that keeps the validator set
// (*election.Machine).
type ValidatorKeeper interface {
	InitValidators(st election.Store, set []election.Validator) error
}

var _ ValidatorKeeper = (*election.Machine)(nil)

// genesisValidators converts InitChain's validators; only Ed25519 keys
// are valid.
func validatorsOfInitChain(vs []abci.ValidatorUpdate) ([]election.Validator, error) {
	var out []election.Validator
	for i, v := range vs {
		k := v.PubKey.GetEd25519()
		if len(k) != election.PublicKeySize || v.Power <= 0 {
			return nil, fmt.Errorf("chain: genesis validator %d: not an Ed25519 key of positive power", i)
		}
		out = append(out, election.Validator{Key: election.PublicKey(k), Power: uint64(v.Power)})
	}
	return out, nil
}

// initValidators writes the genesis validators into the state in the
// first block after InitChain (the machine writes them only once).
func (a *App) initValidators(m StateMachine, b *Block) error {
	k, ok := m.(ValidatorKeeper)
	if !ok || a.genesisVals == nil {
		return nil
	}
	if err := k.InitValidators(b, a.genesisVals); err != nil {
		return fmt.Errorf("genesis validators: %w", err)
	}
	return nil
}

// validatorUpdates are the block's validator changes in CometBFT's form.
func validatorUpdates(exec election.BlockExec) []abci.ValidatorUpdate {
	u, ok := exec.(election.ValidatorUpdater)
	if !ok {
		return nil
	}
	var out []abci.ValidatorUpdate
	for _, v := range u.ValidatorUpdates() {
		out = append(out, abci.UpdateValidator(v.Key[:], int64(v.Power), "ed25519"))
	}
	return out
}
