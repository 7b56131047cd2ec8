package election

import (
	"fmt"
	"math/bits"
	"strconv"
)

// MaxTallyBound bounds the largest total any option can reach: the roll's
// total weight times the largest per-option maximum. The discrete
// logarithm of every total is found below it (tally.NewDlogTable), which
// takes about √MaxTallyBound steps and 16 MiB at most.
const MaxTallyBound = 1 << 36

// execCreate creates the election: manifest, status, the phase record, the
// index entry and the timers of its schedule.
func (m *Machine) execCreate(s *stage, b Block, t *txCtx) (Result, error) {
	old, err := s.Get(keyManifest(t.id))
	if err != nil {
		return Result{}, err
	}
	if old != nil {
		return reject(CodeElectionExists, "election %v exists", t.id), nil
	}
	sch := &t.man.Schedule
	if !b.Time.Before(sch.DKGDealsBy) {
		return reject(CodeInvalidManifest, "schedule.dkg_deals_by %v is not after the block time %v", sch.DKGDealsBy, b.Time.UTC()), nil
	}
	enc := t.tx.Body // the manifest's canonical encoding, which DecodeBody checked
	st := &status{Phase: PhaseDKGDeals, Deadline: uint64(sch.DKGDealsBy.Unix())}
	for _, w := range []struct{ k, v []byte }{
		{keyManifest(t.id), enc},
		{keyStatus(t.id), st.encode()},
		{keyPhase(t.id, PhaseDKGDeals), encodePhaseEntry(b)},
		{keyElection(t.id), u64b(uint64(max(b.Height, 0)))},
		{keyTimer(uint64(sch.DKGDealsBy.Unix()), t.id, timerDeals), []byte{1}},
	} {
		if err := s.Set(w.k, w.v); err != nil {
			return Result{}, err
		}
	}
	if !sch.Open.IsZero() {
		if err := s.Set(keyTimer(uint64(sch.Open.Unix()), t.id, timerOpen), []byte{1}); err != nil {
			return Result{}, err
		}
	}
	if !sch.Close.IsZero() {
		if err := s.Set(keyTimer(uint64(sch.Close.Unix()), t.id, timerClose), []byte{1}); err != nil {
			return Result{}, err
		}
	}
	return Result{Log: fmt.Sprintf("election %v created", t.id)}, nil
}

// execAppend adds voters to the roll, before the election closes.
func (m *Machine) execAppend(s *stage, b Block, t *txCtx, body *AppendVotersBody) (Result, error) {
	st, err := loadStatus(s, t.id)
	if err != nil {
		return Result{}, err
	}
	if st.Phase >= PhaseClosed {
		return reject(CodeClosed, "election %v is %v: the roll is final", t.id, st.Phase), nil
	}
	var added uint64
	for _, v := range body.Voters {
		old, err := s.Get(keyRoll(t.id, v.Voter.Key()))
		if err != nil {
			return Result{}, err
		}
		if old != nil {
			return reject(CodeDuplicateVoter, "voter %v is already on the roll", v.Voter), nil
		}
		added += uint64(v.Weight)
	}
	weight, carry := bits.Add64(st.RollWeight, added, 0)
	if hi, lo := bits.Mul64(weight, uint64(t.man.MaxPerOption())); carry != 0 || hi != 0 || lo > MaxTallyBound {
		return reject(CodeRollLimit, "a roll weight of %d with up to %d per option could exceed the tally bound %d", weight, t.man.MaxPerOption(), uint64(MaxTallyBound)), nil
	}
	for i, v := range body.Voters {
		if err := s.Set(keyRoll(t.id, v.Voter.Key()), encodeRollValue(v.Weight, st.RollSize+uint64(i))); err != nil {
			return Result{}, err
		}
		st.RollHash = NextRollHash(st.RollHash, v.Voter.Key(), v.Weight)
	}
	st.RollSize += uint64(len(body.Voters))
	st.RollWeight = weight
	if err := saveStatus(s, t.id, st); err != nil {
		return Result{}, err
	}
	return Result{
		Log:    fmt.Sprintf("%d voters added to the roll of %v", len(body.Voters), t.id),
		Events: []Attribute{{Key: "voters", Value: strconv.Itoa(len(body.Voters))}},
	}, nil
}

// execOpen opens a ready election.
func (m *Machine) execOpen(s *stage, b Block, t *txCtx) (Result, error) {
	st, err := loadStatus(s, t.id)
	if err != nil {
		return Result{}, err
	}
	switch {
	case st.Phase.inDKG():
		return reject(CodeKeyNotFixed, "election %v cannot open: the key ceremony is in phase %v", t.id, st.Phase), nil
	case st.Phase != PhaseReady:
		return reject(CodeWrongPhase, "election %v is %v", t.id, st.Phase), nil
	}
	if err := setPhase(s, t.id, st, PhaseOpen, b); err != nil {
		return Result{}, err
	}
	return Result{Log: fmt.Sprintf("election %v opened", t.id)}, nil
}

// execClose closes an open (or ready, never opened) election.
func (m *Machine) execClose(s *stage, b Block, t *txCtx) (Result, error) {
	st, err := loadStatus(s, t.id)
	if err != nil {
		return Result{}, err
	}
	if st.Phase != PhaseOpen && st.Phase != PhaseReady {
		return reject(CodeWrongPhase, "election %v is %v", t.id, st.Phase), nil
	}
	if err := setPhase(s, t.id, st, PhaseClosed, b); err != nil {
		return Result{}, err
	}
	return Result{Log: fmt.Sprintf("election %v closed", t.id)}, nil
}

// setPhase moves the election to phase p at block b and saves the status.
func setPhase(s Store, id ID, st *status, p Phase, b Block) error {
	st.Phase = p
	if p != PhaseDKGComplaints && p != PhaseDKGResponses {
		st.Deadline = 0
	}
	if err := s.Set(keyPhase(id, p), encodePhaseEntry(b)); err != nil {
		return err
	}
	return saveStatus(s, id, st)
}
