package election

import (
	"fmt"

	"github.com/evote/evote/tally"
)

// Decryption: after the election closes, each trustee posts one share set,
// a tally.DecryptionShare for every aggregate in aggregate order, checked in
// Precheck against its verification key with the election id as context.
// Once a threshold of share sets is in, the block's End combines them and
// solves the discrete logarithms.

func (m *Machine) execShares(s *stage, b Block, t *txCtx, body *DecryptionSharesBody) (Result, error) {
	st, err := loadStatus(s, t.id)
	if err != nil {
		return Result{}, err
	}
	switch {
	case st.Phase < PhaseClosed:
		return reject(CodeNotClosed, "election %v is %v", t.id, st.Phase), nil
	case st.Phase != PhaseClosed:
		return reject(CodeWrongPhase, "election %v is %v", t.id, st.Phase), nil
	}
	if old, err := s.Get(keyShares(t.id, t.trustee)); err != nil {
		return Result{}, err
	} else if old != nil {
		return reject(CodeDKGDuplicate, "trustee %d has already posted its decryption shares", t.trustee), nil
	}
	e := encoder{}
	e.U32(uint32(len(body.Shares)))
	for _, sh := range body.Shares {
		enc, err := sh.MarshalBinary()
		if err != nil {
			return Result{}, err
		}
		e.Raw(enc)
	}
	if err := s.Set(keyShares(t.id, t.trustee), e.B); err != nil {
		return Result{}, err
	}
	st.ShareSets++
	if err := saveStatus(s, t.id, st); err != nil {
		return Result{}, err
	}
	if st.ShareSets >= t.man.Trustees.Threshold {
		if err := markWork(s, t.id); err != nil {
			return Result{}, err
		}
	}
	return Result{Log: fmt.Sprintf("decryption shares of trustee %d", t.trustee), Events: trusteeEvent(t.trustee)}, nil
}

func decodeShareSet(b []byte) ([]*tally.DecryptionShare, error) {
	d := newDecoder(b)
	n := d.Count("shares", MaxTotalOptions, decryptionShareSz)
	out := make([]*tally.DecryptionShare, 0, n)
	for i := 0; i < n && d.Err == nil; i++ {
		sh := new(tally.DecryptionShare)
		if p := d.Take(decryptionShareSz, "share"); p != nil {
			if err := sh.UnmarshalBinary(p); err != nil {
				return nil, stateErr("decryption share", err)
			}
		}
		out = append(out, sh)
	}
	return out, stateErr("share set", d.Finish())
}

// deriveResult combines the share sets of the threshold lowest trustee
// indices and finds every total; the election is then tallied.
func (m *Machine) deriveResult(s *stage, b Block, id ID, man *Manifest, st *status) error {
	aggs, err := loadAggregates(s, id)
	if err != nil {
		return err
	}
	var batches [][]*tally.DecryptionShare
	var trustees []uint32
	err = s.Iterate(prefixShares(id), func(_, v []byte) error {
		set, err := decodeShareSet(v)
		if err != nil {
			return err
		}
		batches = append(batches, set)
		if len(set) > 0 {
			trustees = append(trustees, set[0].Index)
		}
		return nil
	})
	if err != nil {
		return err
	}
	T := int(man.Trustees.Threshold)
	Ms, err := tally.CombineAll(aggs, batches, T)
	if err != nil {
		st.Failure = "decryption-combine"
		return setPhase(s, id, st, PhaseFailed, b)
	}
	bound := max(st.WeightCast*uint64(man.MaxPerOption()), 1)
	table, err := tally.NewDlogTable(bound)
	if err != nil {
		return fmt.Errorf("election: dlog table for bound %d: %w", bound, err)
	}
	res := &resultRecord{Voters: st.Voters, WeightCast: st.WeightCast, Trustees: trustees[:min(T, len(trustees))]}
	for _, M := range Ms {
		v, err := table.Lookup(M)
		if err != nil {
			st.Failure = "decryption-out-of-range"
			return setPhase(s, id, st, PhaseFailed, b)
		}
		res.Totals = append(res.Totals, v)
	}
	if err := s.Set(keyResult(id), res.encode()); err != nil {
		return err
	}
	return setPhase(s, id, st, PhaseTallied, b)
}
