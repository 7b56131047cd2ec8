package election

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// Validator changes (docs/spec/transactions.md, "validator-update"). The
// chain's validators are fixed by its genesis and changed only by an
// authority's validator-update transaction, one validator at a time,
// between elections. The node hands each accepted change to CometBFT, which
// applies a change returned by block H from block H+ValidatorDelay on.

// ValidatorDelay is how many blocks after the block that accepts a
// validator update the new set signs: CometBFT applies the validator
// updates of block H to the validators of block H+2.
const ValidatorDelay = 2

// MaxValidatorPower bounds one validator's voting power (CometBFT allows
// a total up to 2^63/8; this keeps any sum of a set far below it).
const MaxValidatorPower = 1 << 40

// Validator is one validator of the chain: its Ed25519 consensus key and
// its voting power.
type Validator struct {
	Key   PublicKey
	Power uint64
}

// ValidatorUpdateBody adds a validator, changes its voting power, or
// retires it (power 0). The signer must be an authority of the genesis.
//
//	body = validator[32] (Ed25519 consensus key) || u64 power
type ValidatorUpdateBody struct {
	Validator PublicKey
	Power     uint64
}

func (*ValidatorUpdateBody) Kind() Kind { return KindValidatorUpdate }

func (b *ValidatorUpdateBody) MarshalBinary() ([]byte, error) {
	e := encoderOn(make([]byte, 0, PublicKeySize+8))
	e.Raw(b.Validator[:])
	e.U64(b.Power)
	return e.B, nil
}

func decodeValidatorUpdate(d *decoder) *ValidatorUpdateBody {
	b := &ValidatorUpdateBody{}
	copy(b.Validator[:], d.Take(PublicKeySize, "validator"))
	b.Power = d.U64("power")
	return b
}

// NewValidatorUpdateTx signs a change of validator v's power (0 retires
// it) with an authority's key.
func NewValidatorUpdateTx(chainID string, v PublicKey, power uint64, key *PrivateKey) ([]byte, error) {
	return NewTx(chainID, &ValidatorUpdateBody{Validator: v, Power: power}, key)
}

// ErrValidatorUpdate is wrapped by ApplyValidatorUpdate's refusals.
var ErrValidatorUpdate = errors.New("election: validator update refused")

// ApplyValidatorUpdate returns the validator set after changing u.Key's
// power to u.Power (0 retires it), in ascending order of key, or an error
// wrapping ErrValidatorUpdate if the rules refuse the change:
//
//   - the power is above MaxValidatorPower;
//   - it retires a key that is not a validator, or changes nothing;
//   - it leaves no validator;
//   - the validators it does not change hold 2/3 or less of the new total
//     power: the set in force before the change, alone, must still make a
//     quorum of the new one, so that no single change hands the chain to
//     keys that did not already control it.
//
// The node and every verifier apply the same function.
func ApplyValidatorUpdate(set []Validator, u Validator) ([]Validator, error) {
	if u.Power > MaxValidatorPower {
		return nil, fmt.Errorf("%w: power %d above %d", ErrValidatorUpdate, u.Power, uint64(MaxValidatorPower))
	}
	var out []Validator
	var unchanged, total uint64
	found := false
	for _, v := range set {
		if v.Key == u.Key {
			found = true
			if v.Power == u.Power {
				return nil, fmt.Errorf("%w: validator %v has power %d already", ErrValidatorUpdate, u.Key, u.Power)
			}
			continue
		}
		unchanged += v.Power
		out = append(out, v)
	}
	if !found && u.Power == 0 {
		return nil, fmt.Errorf("%w: %v is not a validator", ErrValidatorUpdate, u.Key)
	}
	if u.Power > 0 {
		out = append(out, u)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: it would retire the last validator", ErrValidatorUpdate)
	}
	total = unchanged + u.Power
	if 3*unchanged <= 2*total {
		return nil, fmt.Errorf("%w: the validators it leaves unchanged would hold %d of %d voting power, not more than 2/3", ErrValidatorUpdate, unchanged, total)
	}
	slices.SortFunc(out, func(a, b Validator) int { return bytes.Compare(a.Key[:], b.Key[:]) })
	return out, nil
}

// Global state keys of the validators (docs/spec/state.md).
var (
	// keyValidators holds the validator set as the accepted changes leave
	// it (in force from the last change's effective height on).
	keyValidators = []byte("validators/set")
	// prefixValidatorChanges indexes the accepted changes by the height of
	// the block that accepted them.
	prefixValidatorChanges = []byte("validators/change/")
)

func keyValidatorChange(h int64) []byte {
	return append(bytes.Clone(prefixValidatorChanges), u64b(uint64(max(h, 0)))...)
}

// encodeValidators is u32 count || count × (key[32] || u64 power), in
// ascending order of key.
func encodeValidators(set []Validator) []byte {
	e := encoderOn(make([]byte, 0, 4+40*len(set)))
	e.U32(uint32(len(set)))
	for _, v := range set {
		e.Raw(v.Key[:])
		e.U64(v.Power)
	}
	return e.B
}

func decodeValidators(b []byte) ([]Validator, error) {
	d := newDecoder(b)
	n := d.Count("validators", 1<<16, PublicKeySize+8)
	out := make([]Validator, 0, n)
	for i := 0; i < n && d.Err == nil; i++ {
		var v Validator
		copy(v.Key[:], d.Take(PublicKeySize, "validator"))
		v.Power = d.U64("power")
		out = append(out, v)
	}
	return out, stateErr("validators", d.Finish())
}

// ValidatorChange is an accepted validator update: the block that accepted
// it, the height from which the new set signs, the change and the set it
// leaves.
type ValidatorChange struct {
	Height    int64       `json:"height"`
	Effective int64       `json:"effective"`
	Validator PublicKey   `json:"validator"`
	Power     uint64      `json:"power"`
	TxHash    [32]byte    `json:"-"`
	Set       []Validator `json:"-"`
}

// change value: key[32] || u64 power || u64 effective height || txhash[32]
func (c *ValidatorChange) encode() []byte {
	e := encoderOn(make([]byte, 0, 80))
	e.Raw(c.Validator[:])
	e.U64(c.Power)
	e.U64(uint64(max(c.Effective, 0)))
	e.Raw(c.TxHash[:])
	return e.B
}

// InitValidators writes the genesis validator set into the state, if the
// state holds none yet: the node calls it in the first block it executes
// after InitChain, with the genesis validators CometBFT gave InitChain, so
// the set is part of the state (and of the app hash) from the start. A
// chain whose state holds no set refuses validator updates.
func (m *Machine) InitValidators(st Store, set []Validator) error {
	old, err := st.Get(keyValidators)
	if err != nil || old != nil || len(set) == 0 {
		return err
	}
	sorted := slices.Clone(set)
	slices.SortFunc(sorted, func(a, b Validator) int { return bytes.Compare(a.Key[:], b.Key[:]) })
	return st.Set(keyValidators, encodeValidators(sorted))
}

// QueryValidators returns the validator set as the accepted changes leave
// it, or nil if the state holds none.
func QueryValidators(r ReadStore) ([]Validator, error) {
	b, err := r.Get(keyValidators)
	if err != nil || b == nil {
		return nil, err
	}
	return decodeValidators(b)
}

// QueryValidatorChanges returns the accepted validator changes of the
// blocks from from to to (inclusive), in order of height.
func QueryValidatorChanges(r ReadStore, from, to int64) ([]ValidatorChange, error) {
	var out []ValidatorChange
	err := r.Iterate(prefixValidatorChanges, func(k, v []byte) error {
		if len(k) != len(prefixValidatorChanges)+8 {
			return stateErr("validator change", errors.New("bad key"))
		}
		d := newDecoder(k[len(prefixValidatorChanges):])
		h := int64(d.U64("height"))
		if h < from || h > to {
			return nil
		}
		d = newDecoder(v)
		c := ValidatorChange{Height: h}
		copy(c.Validator[:], d.Take(PublicKeySize, "validator"))
		c.Power = d.U64("power")
		c.Effective = int64(d.U64("effective height"))
		copy(c.TxHash[:], d.Take(32, "tx hash"))
		if err := d.Finish(); err != nil {
			return stateErr("validator change", err)
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

// lastValidatorChange returns the height of the last accepted change, or 0.
func lastValidatorChange(r ReadStore) (int64, error) {
	var last int64
	err := r.Iterate(prefixValidatorChanges, func(k, _ []byte) error {
		if len(k) == len(prefixValidatorChanges)+8 {
			last = int64(newDecoder(k[len(prefixValidatorChanges):]).U64("height"))
		}
		return nil
	})
	return last, err
}

// electionBlockingValidators returns an election that is open, or closed
// without its result: while one is, the validators may not change.
func electionBlockingValidators(r ReadStore) (ID, Phase, bool, error) {
	var ids []ID
	err := r.Iterate(prefixElections, func(k, _ []byte) error {
		if len(k) == len(prefixElections)+IDSize {
			ids = append(ids, ID(k[len(prefixElections):]))
		}
		return nil
	})
	if err != nil {
		return ID{}, 0, false, err
	}
	for _, id := range ids {
		st, err := loadStatus(r, id)
		if err != nil {
			return ID{}, 0, false, err
		}
		if st.Phase == PhaseOpen || st.Phase == PhaseClosed {
			return id, st.Phase, true, nil
		}
	}
	return ID{}, 0, false, nil
}

// precheckValidatorUpdate: the signer is an authority of the genesis and
// the key a valid Ed25519 key.
func (m *Machine) precheckValidatorUpdate(t *txCtx, body *ValidatorUpdateBody) Result {
	if !m.isAuthority(t.tx.Signer) {
		return reject(CodeUnauthorized, "%v is not an authority of this chain", t.tx.Signer)
	}
	if err := body.Validator.check(); err != nil || body.Validator.IsZero() {
		return reject(CodeInvalidKey, "validator %v: not a valid Ed25519 key", body.Validator)
	}
	return Result{}
}

// execValidatorUpdate applies the stateful rules, in this order:
// ApplyValidatorUpdate's rules on the set the accepted changes leave (a
// change they refuse is refused at any time); no election open or closed
// without its result (their receipts, records and shares are signed by
// the set they started with); the previous change in force (one change
// per step).
func (m *Machine) execValidatorUpdate(s *stage, b Block, t *txCtx, body *ValidatorUpdateBody) (Result, error) {
	set, err := QueryValidators(s)
	if err != nil {
		return Result{}, err
	}
	if set == nil {
		return reject(CodeBadValidatorUpdate, "this chain's state does not hold its validator set"), nil
	}
	next, err := ApplyValidatorUpdate(set, Validator{Key: body.Validator, Power: body.Power})
	if err != nil {
		return reject(CodeBadValidatorUpdate, "%v", err), nil
	}
	if id, ph, ok, err := electionBlockingValidators(s); err != nil {
		return Result{}, err
	} else if ok {
		return reject(CodeElectionRunning, "election %v is %v: the validators change only between elections", id, ph), nil
	}
	last, err := lastValidatorChange(s)
	if err != nil {
		return Result{}, err
	}
	if last > 0 && b.Height < last+ValidatorDelay {
		return reject(CodeValidatorChangePending, "the change of block %d is in force from block %d only", last, last+ValidatorDelay), nil
	}
	if t.admitting() {
		return Result{}, nil
	}
	c := ValidatorChange{Height: b.Height, Effective: b.Height + ValidatorDelay, Validator: body.Validator, Power: body.Power, TxHash: t.hash}
	if err := s.Set(keyValidators, encodeValidators(next)); err != nil {
		return Result{}, err
	}
	if err := s.Set(keyValidatorChange(b.Height), c.encode()); err != nil {
		return Result{}, err
	}
	t.opts.blk.validatorUpdates = append(t.opts.blk.validatorUpdates, Validator{Key: body.Validator, Power: body.Power})
	eff := strconv.FormatInt(b.Height+ValidatorDelay, 10)
	return Result{
		Log: fmt.Sprintf("validator %v: power %d from block %s", body.Validator, body.Power, eff),
		Events: []Attribute{
			{Key: "validator", Value: body.Validator.String()},
			{Key: "power", Value: strconv.FormatUint(body.Power, 10)},
			{Key: "effective_height", Value: eff},
		},
	}, nil
}

// ValidatorUpdates returns the validator changes the block accepted, in
// order: the node returns them to CometBFT from FinalizeBlock.
func (x *blockExec) ValidatorUpdates() []Validator { return slices.Clone(x.validatorUpdates) }

// ValidatorUpdater is the block under way of a machine that changes
// validators (BlockExec of *Machine).
type ValidatorUpdater interface {
	ValidatorUpdates() []Validator
}
