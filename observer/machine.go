package observer

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
)

// machineEngine applies the rules by running package election's Machine,
// the code every node runs, over a fresh in-memory store. The verifier
// uses the independent rulesEngine; the tests run both on the same records
// and require the same verdicts and outcomes.
type machineEngine struct {
	id      election.ID
	machine *election.Machine
	store   *election.MemStore
	blk     election.BlockExec // the block under way
}

// newMachineEngine builds the machine from the record's genesis, as a
// node does. It never batches, so it needs no randomness.
func newMachineEngine(appState json.RawMessage, chainID string, id election.ID) (*machineEngine, error) {
	m, err := election.NewMachineFromAppState(appState, chainID, election.Options{})
	if err != nil {
		return nil, err
	}
	return &machineEngine{id: id, machine: m, store: election.NewMemStore()}, nil
}

func (e *machineEngine) beginBlock(b election.Block) error {
	blk, err := e.machine.BeginBlock(e.store, b)
	e.blk = blk
	return err
}

func (e *machineEngine) endBlock(election.Block) error {
	if e.blk == nil {
		return errors.New("observer: end of a block that did not begin")
	}
	err := e.blk.End()
	e.blk = nil
	return err
}

func (e *machineEngine) deliver(_ election.Block, t *vtx) error {
	if e.blk == nil {
		return errors.New("observer: a transaction outside a block")
	}
	// A ballot whose signature and proofs the verifier checked is
	// delivered as prechecked; everything else the machine checks in full.
	_, isBallot := t.body.(*election.BallotBody)
	res, err := e.blk.Deliver(t.raw, isBallot && t.checked)
	if err != nil {
		return err
	}
	if !res.OK() {
		return &rejection{code: res.Code, msg: res.Log}
	}
	return nil
}

func (e *machineEngine) jointKey() *tally.PublicKey {
	k, err := election.JointKey(e.store, e.id)
	if err != nil {
		return nil
	}
	return k
}

func (e *machineEngine) commitment() (*election.StateCommitment, error) {
	c, err := election.Commitment(e.store, e.id)
	if err != nil {
		if _, err2 := election.QueryElection(e.store, e.id); errors.Is(err2, election.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	return c, nil
}

func (e *machineEngine) outcome() (*outcome, error) {
	d, err := election.QueryElection(e.store, e.id)
	if errors.Is(err, election.ErrNotFound) {
		return &outcome{}, nil
	}
	if err != nil {
		return nil, err
	}
	o := &outcome{created: true, phase: d.Phase, failure: d.Failure, jointKey: keyHex(d.JointKey),
		rollSize: d.Counts.RollSize, ballots: d.Counts.Ballots, voters: d.Counts.Voters, weightCast: d.Counts.WeightCast}
	for _, t := range d.Trustees {
		if t.Qualified {
			o.qualified = append(o.qualified, t.Index)
		}
		if t.SharesPosted {
			o.shareSets = append(o.shareSets, t.Index)
		}
	}
	aggs, err := election.Aggregates(e.store, e.id)
	if err != nil {
		return nil, err
	}
	for _, a := range aggs {
		o.aggregates = append(o.aggregates, hex.EncodeToString(a.Bytes()))
	}
	r, err := election.QueryResult(e.store, e.id)
	switch {
	case errors.Is(err, election.ErrNotFound):
	case err != nil:
		return nil, fmt.Errorf("result: %w", err)
	default:
		o.result = &RecordResult{Trustees: r.Trustees}
		for _, c := range r.Contests {
			o.result.Totals = append(o.result.Totals, c.Totals)
		}
	}
	return o, nil
}
