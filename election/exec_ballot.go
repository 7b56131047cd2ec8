package election

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/evote/evote/tally"
)

// execBallot counts a ballot: from a voter on the roll, while the election
// is open, once per voter or, with revoting, replacing the voter's earlier
// ballot if its sequence number is larger. The ballot's ciphertexts, scaled
// by the voter's weight, are added to the aggregates; a replaced ballot's
// are subtracted.
func (m *Machine) execBallot(s *stage, b Block, t *txCtx, body *BallotBody) (Result, error) {
	st, err := loadStatus(s, t.id)
	if err != nil {
		return Result{}, err
	}
	switch {
	case st.Phase < PhaseOpen:
		return reject(CodeNotOpen, "election %v is %v", t.id, st.Phase), nil
	case st.Phase > PhaseOpen:
		return reject(CodeClosed, "election %v is %v", t.id, st.Phase), nil
	}
	voter := t.tx.Signer
	rv, err := s.Get(keyRoll(t.id, voter))
	if err != nil {
		return Result{}, err
	}
	if rv == nil {
		return reject(CodeNotOnRoll, "%v is not on the roll of %v", voter, t.id), nil
	}
	weight, _, err := decodeRollValue(rv)
	if err != nil {
		return Result{}, err
	}
	var prev *ballotRecord
	if pv, err := s.Get(keyBallot(t.id, voter)); err != nil {
		return Result{}, err
	} else if pv != nil {
		if !t.man.Revoting {
			return reject(CodeAlreadyVoted, "%v has voted and election %v does not allow revoting", voter, t.id), nil
		}
		if prev, err = decodeBallotRecord(pv); err != nil {
			return Result{}, err
		}
		if body.Seq <= prev.Seq {
			return reject(CodeStaleSequence, "sequence number %d is not above the current ballot's %d", body.Seq, prev.Seq), nil
		}
	}
	if t.admitting() {
		// Admission ends here: the contests were verified by Precheck, and
		// updating the aggregates is the block's work.
		return Result{Log: fmt.Sprintf("ballot %d of %v admissible", body.Seq, voter)}, nil
	}

	// The ballot's ciphertexts, in aggregate order.
	var cts [][]byte
	for i, enc := range body.Contests {
		c, err := tally.ContestCiphertextBytes(t.man.Contests[i].Rules(), enc)
		if err != nil {
			return reject(CodeBallotMismatch, "contest %d: %v", i, err), nil
		}
		cts = append(cts, c...)
	}
	sums, err := t.opts.blk.sumsOf(s, t.id)
	if err != nil {
		return Result{}, err
	}
	if sums.Len() != len(cts) {
		return Result{}, stateErr("aggregates", fmt.Errorf("%d aggregates, the ballot has %d ciphertexts", sums.Len(), len(cts)))
	}
	var replaced [][]byte
	if prev != nil {
		if len(prev.Ciphertexts) != len(cts) {
			return Result{}, stateErr("ballot", fmt.Errorf("%d ciphertexts, the election has %d aggregates", len(prev.Ciphertexts), len(cts)))
		}
		replaced = prev.Ciphertexts
	}
	// The last check: Update changes nothing unless every ciphertext
	// decodes, and nothing after it can reject the ballot.
	if err := sums.Update(cts, replaced, uint64(weight)); err != nil {
		if errors.Is(err, tally.ErrReplaced) {
			return Result{}, stateErr("ballot", err)
		}
		return reject(CodeBallotMismatch, "%v", err), nil
	}
	// The block writes the sums in End.
	rec := &ballotRecord{Seq: body.Seq, TxHash: t.hash, Height: b.Height, Ciphertexts: cts}
	if err := s.Set(keyBallot(t.id, voter), rec.encode()); err != nil {
		return Result{}, err
	}
	counted, err := NewCountedSet(st.CountedHash)
	if err != nil {
		return Result{}, err
	}
	if prev != nil {
		counted.Remove(voter, prev.TxHash)
	}
	counted.Add(voter, t.hash)
	st.CountedHash = counted.Bytes()
	st.Ballots++
	if prev == nil {
		st.Voters++
		st.WeightCast += uint64(weight)
	}
	if err := saveStatus(s, t.id, st); err != nil {
		return Result{}, err
	}
	return Result{
		Log: fmt.Sprintf("ballot %d of %v counted", body.Seq, voter),
		Events: []Attribute{
			{Key: "voter", Value: voter.String()},
			{Key: "seq", Value: strconv.FormatUint(body.Seq, 10)},
			{Key: "replaced", Value: strconv.FormatBool(prev != nil)},
		},
	}, nil
}
