package observer

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/evote/evote/election"
	"github.com/evote/evote/observer/cmtlite"
)

// The validators the verifier follows (docs/spec/record.md, "Validator
// changes"). It starts from the genesis validators and applies every
// validator-update transaction the record carries, each in a block whose
// commit the set in force at that block signed, with the rules the chain
// applies (election.ApplyValidatorUpdate); the new set is in force from
// two blocks after the change (election.ValidatorDelay), as CometBFT
// applies it. Every header must name the set in force at its height and
// every commit carry the signatures of more than 2/3 of that set's power:
// a record that leaves out a change, adds one the chain refused, or
// carries a commit of a retired set fails.

// pendingValidators is a set that comes into force at a height.
type pendingValidators struct {
	from int64
	set  *cmtlite.ValidatorSet
}

// valTracker is the verifier's view of the validators.
type valTracker struct {
	set     []election.Validator  // as the accepted changes leave it, ascending by key
	vals    *cmtlite.ValidatorSet // in force at the last block checked
	pending []pendingValidators
	last    int64 // the block of the last change, 0 if none
	changes int
}

func newValTracker(vals []cmtlite.Validator) (*valTracker, error) {
	s, err := cmtlite.NewValidatorSet(vals)
	if err != nil {
		return nil, err
	}
	vt := &valTracker{vals: s}
	for _, v := range vals {
		vt.set = append(vt.set, election.Validator{Key: election.PublicKey(v.PubKey), Power: uint64(v.Power)})
	}
	return vt, nil
}

// at returns the set in force at height h, which must not be below the
// height of the last call.
func (vt *valTracker) at(h int64) *cmtlite.ValidatorSet {
	for len(vt.pending) > 0 && vt.pending[0].from <= h {
		vt.vals = vt.pending[0].set
		vt.pending = vt.pending[1:]
	}
	return vt.vals
}

// errValidatorRules is the error of a validator update the chain's rules
// refuse.
var errValidatorRules = errors.New("the chain's rules refuse this validator update")

// applyValidatorTx checks a validator-update transaction of block h (its
// inclusion is checked) and schedules the set it makes.
func (v *verifier) applyValidatorTx(h int64, t *vtx) (VerifyCode, election.Code, error) {
	vt := v.valTracker
	if !t.tx.Verify(v.chainID) {
		return CodeBadTxSignature, 0, fmt.Errorf("the signature of %v does not verify", t.tx.Signer)
	}
	auth := false
	for _, a := range v.gen.Authorities {
		auth = auth || a.Key() == t.tx.Signer
	}
	if !auth {
		return CodeValidatorSet, election.CodeUnauthorized, fmt.Errorf("%w: %v is not an authority of the genesis", errValidatorRules, t.tx.Signer)
	}
	u := t.body.(*election.ValidatorUpdateBody)
	if _, err := election.PublicKeyFromBytes(u.Validator[:]); err != nil {
		return CodeValidatorSet, election.CodeInvalidKey, fmt.Errorf("%w: validator %v: %v", errValidatorRules, u.Validator, err)
	}
	if vt.last > 0 && h < vt.last+election.ValidatorDelay {
		return CodeValidatorSet, election.CodeValidatorChangePending, fmt.Errorf("%w: the change of block %d is not in force yet", errValidatorRules, vt.last)
	}
	next, err := election.ApplyValidatorUpdate(vt.set, election.Validator{Key: u.Validator, Power: u.Power})
	if err != nil {
		return CodeValidatorSet, election.CodeBadValidatorUpdate, fmt.Errorf("%w: %v", errValidatorRules, err)
	}
	cv := make([]cmtlite.Validator, len(next))
	for i, x := range next {
		cv[i] = cmtlite.Validator{PubKey: x.Key, Power: int64(x.Power)}
	}
	s, err := cmtlite.NewValidatorSet(cv)
	if err != nil {
		return CodeValidatorSet, election.CodeBadValidatorUpdate, fmt.Errorf("%w: %v", errValidatorRules, err)
	}
	vt.set, vt.last = next, h
	vt.pending = append(vt.pending, pendingValidators{from: h + election.ValidatorDelay, set: s})
	vt.changes++
	return "", 0, nil
}

// checkValidators checks that header h names the set in force at its
// height.
func (v *verifier) checkValidators(height int64, validatorsHash []byte) error {
	s := v.valTracker.at(height)
	if bytes.Equal(validatorsHash, s.Hash()) {
		return nil
	}
	if v.valTracker.changes == 0 {
		return errors.New("the header names other validators than the genesis")
	}
	return fmt.Errorf("the header names other validators than the set in force at height %d (the genesis's after the %d validator changes the record carries before it)", height, v.valTracker.changes)
}

// replayValidatorTxs notes block vb's validator updates, checked and
// applied when the block was checked: the election must not be open, or
// closed without its result (the chain refuses any change then), and the
// journal keeps them for a resumed follower.
func (v *verifier) replayValidatorTxs(vb *vblock) error {
	for _, t := range vb.valTxs {
		if c := v.current; c != nil && (c.Phase == election.PhaseOpen || c.Phase == election.PhaseClosed) {
			return &VerifyError{Item: t.item(), Code: CodeValidatorSet, Rule: election.CodeElectionRunning,
				Err: fmt.Errorf("%w: the election is %v", errValidatorRules, c.Phase)}
		}
		v.journalTx(t.raw)
		v.sum.ValidatorChanges++
	}
	return nil
}
