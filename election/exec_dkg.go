package election

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/evote/evote/tally"
)

// The trustees' key ceremony on chain (docs/spec/dkg.md, "Chain
// obligations"): deals, then complaints, then responses, each admitted
// only in its round and at most once per trustee (per complaint, for
// responses); the machine runs tally.Finalize once on everything admitted.

func (m *Machine) execDeal(s *stage, b Block, t *txCtx, body *DKGDealBody) (Result, error) {
	st, err := loadStatus(s, t.id)
	if err != nil {
		return Result{}, err
	}
	if st.Phase != PhaseDKGDeals {
		return reject(CodeWrongPhase, "election %v is %v: the deal round is over", t.id, st.Phase), nil
	}
	if old, err := s.Get(keyDeal(t.id, t.trustee)); err != nil {
		return Result{}, err
	} else if old != nil {
		return reject(CodeDKGDuplicate, "trustee %d has already dealt", t.trustee), nil
	}
	enc, err := body.Deal.MarshalBinary()
	if err != nil {
		return Result{}, err
	}
	if err := s.Set(keyDeal(t.id, t.trustee), enc); err != nil {
		return Result{}, err
	}
	st.Deals++
	if err := saveStatus(s, t.id, st); err != nil {
		return Result{}, err
	}
	if int(st.Deals) == len(t.man.Trustees.Members) {
		if err := markWork(s, t.id); err != nil {
			return Result{}, err
		}
	}
	return Result{Log: fmt.Sprintf("deal of trustee %d", t.trustee), Events: trusteeEvent(t.trustee)}, nil
}

func (m *Machine) execComplaints(s *stage, b Block, t *txCtx, body *DKGComplaintsBody) (Result, error) {
	st, err := loadStatus(s, t.id)
	if err != nil {
		return Result{}, err
	}
	if st.Phase != PhaseDKGComplaints {
		return reject(CodeWrongPhase, "election %v is %v, not in the complaint round", t.id, st.Phase), nil
	}
	if old, err := s.Get(keyComplaints(t.id, t.trustee)); err != nil {
		return Result{}, err
	} else if old != nil {
		return reject(CodeDKGDuplicate, "trustee %d has already posted its complaints", t.trustee), nil
	}
	dealers := make([]uint32, 0, len(body.Complaints))
	for _, c := range body.Complaints {
		if deal, err := s.Get(keyDeal(t.id, c.Dealer)); err != nil {
			return Result{}, err
		} else if deal == nil {
			return reject(CodeBadComplaint, "complaint against trustee %d, which has no deal", c.Dealer), nil
		}
		dealers = append(dealers, c.Dealer)
	}
	if err := s.Set(keyComplaints(t.id, t.trustee), encodeComplaintSet(dealers)); err != nil {
		return Result{}, err
	}
	st.Complaints++
	st.Accusations += uint32(len(dealers))
	if err := saveStatus(s, t.id, st); err != nil {
		return Result{}, err
	}
	if int(st.Complaints) == len(t.man.Trustees.Members) {
		if err := markWork(s, t.id); err != nil {
			return Result{}, err
		}
	}
	return Result{
		Log:    fmt.Sprintf("trustee %d complains about %d dealers", t.trustee, len(dealers)),
		Events: append(trusteeEvent(t.trustee), Attribute{Key: "complaints", Value: strconv.Itoa(len(dealers))}),
	}, nil
}

func (m *Machine) execResponses(s *stage, b Block, t *txCtx, body *DKGResponsesBody) (Result, error) {
	st, err := loadStatus(s, t.id)
	if err != nil {
		return Result{}, err
	}
	if st.Phase != PhaseDKGResponses {
		return reject(CodeWrongPhase, "election %v is %v, not in the response round", t.id, st.Phase), nil
	}
	params, err := t.man.DKGParams(t.id)
	if err != nil {
		return Result{}, stateErr("manifest", err)
	}
	dealEnc, err := s.Get(keyDeal(t.id, t.trustee))
	if err != nil {
		return Result{}, err
	}
	if dealEnc == nil {
		return reject(CodeBadResponse, "trustee %d has no deal to answer for", t.trustee), nil
	}
	var deal tally.DKGDeal
	if err := deal.UnmarshalBinary(dealEnc); err != nil {
		return Result{}, stateErr("deal", err)
	}
	for _, r := range body.Responses {
		set, err := s.Get(keyComplaints(t.id, r.Complainer))
		if err != nil {
			return Result{}, err
		}
		complained := false
		if set != nil {
			dealers, err := decodeComplaintSet(set)
			if err != nil {
				return Result{}, err
			}
			for _, d := range dealers {
				complained = complained || d == t.trustee
			}
		}
		if !complained {
			return reject(CodeBadResponse, "trustee %d did not complain about dealer %d", r.Complainer, t.trustee), nil
		}
		if old, err := s.Get(keyResponse(t.id, t.trustee, r.Complainer)); err != nil {
			return Result{}, err
		} else if old != nil {
			return reject(CodeDKGDuplicate, "dealer %d has already answered trustee %d", t.trustee, r.Complainer), nil
		}
		if err := r.Verify(params, &deal); err != nil {
			return reject(CodeBadResponse, "response of dealer %d to trustee %d: %v", t.trustee, r.Complainer, err), nil
		}
	}
	for _, r := range body.Responses {
		enc, err := r.MarshalBinary()
		if err != nil {
			return Result{}, err
		}
		if err := s.Set(keyResponse(t.id, t.trustee, r.Complainer), enc); err != nil {
			return Result{}, err
		}
	}
	st.Responses += uint32(len(body.Responses))
	if err := saveStatus(s, t.id, st); err != nil {
		return Result{}, err
	}
	if st.Responses == st.Accusations {
		if err := markWork(s, t.id); err != nil {
			return Result{}, err
		}
	}
	return Result{Log: fmt.Sprintf("dealer %d answers %d complaints", t.trustee, len(body.Responses)), Events: trusteeEvent(t.trustee)}, nil
}

func trusteeEvent(i uint32) []Attribute {
	return []Attribute{{Key: "trustee", Value: strconv.FormatUint(uint64(i), 10)}}
}

// endDeals closes the deal round at block b: with fewer deals than the
// threshold the ceremony cannot succeed and is finalized at once;
// otherwise the complaint window opens.
func (m *Machine) endDeals(s *stage, b Block, id ID, man *Manifest, st *status) error {
	if st.Deals < man.Trustees.Threshold {
		return m.finalizeDKG(s, b, id, man, st)
	}
	end := uint64(max(b.Time.Unix(), 0)) + uint64(man.Schedule.DKGComplaintWindow.Seconds())
	st.Deadline = end
	if err := s.Set(keyTimer(end, id, timerComplaints), []byte{1}); err != nil {
		return err
	}
	return setPhase(s, id, st, PhaseDKGComplaints, b)
}

// endComplaints closes the complaint round: without complaints the
// ceremony is finalized at once; otherwise the response window opens.
func (m *Machine) endComplaints(s *stage, b Block, id ID, man *Manifest, st *status) error {
	if st.Accusations == 0 {
		return m.finalizeDKG(s, b, id, man, st)
	}
	end := uint64(max(b.Time.Unix(), 0)) + uint64(man.Schedule.DKGResponseWindow.Seconds())
	st.Deadline = end
	if err := s.Set(keyTimer(end, id, timerResponses), []byte{1}); err != nil {
		return err
	}
	return setPhase(s, id, st, PhaseDKGResponses, b)
}

// finalizeDKG runs tally.Finalize on every admitted message. On success it
// stores the joint key, the qualified set, the verification keys and the
// exclusions, starts every aggregate at (0, 0), and the election is ready
// (or open, if its scheduled opening has passed). Otherwise the election
// has failed.
func (m *Machine) finalizeDKG(s *stage, b Block, id ID, man *Manifest, st *status) error {
	params, err := man.DKGParams(id)
	if err != nil {
		return stateErr("manifest", err)
	}
	deals, complaints, responses, err := loadDKGMessages(s, id)
	if err != nil {
		return err
	}
	res, ferr := tally.Finalize(params, deals, complaints, responses)
	q := &qualification{}
	if res != nil {
		q.Qualified = res.Qualified
		for _, vk := range res.VerificationKeys {
			q.VerificationKeys = append(q.VerificationKeys, vk.Bytes())
		}
		q.Excluded = exclusions(res.Excluded)
	}
	var qe *tally.QualificationError
	if errors.As(ferr, &qe) {
		q.Qualified = qe.Qualified
		q.Excluded = exclusions(qe.Excluded)
	}
	if err := s.Set(keyQualification(id), q.encode()); err != nil {
		return err
	}
	if ferr != nil {
		st.Failure = "dkg-not-enough-qualified"
		if qe == nil {
			st.Failure = "dkg-" + tally.DKGErrorCode(ferr)
		}
		return setPhase(s, id, st, PhaseFailed, b)
	}
	if err := s.Set(keyJointKey(id), res.PublicKey.Bytes()); err != nil {
		return err
	}
	zero := tally.ZeroCiphertext().Bytes()
	for p := range man.TotalOptions() {
		if err := s.Set(keyAggregate(id, uint32(p)), zero); err != nil {
			return err
		}
	}
	if err := setPhase(s, id, st, PhaseReady, b); err != nil {
		return err
	}
	if st.OpenDue {
		return setPhase(s, id, st, PhaseOpen, b)
	}
	return nil
}

func exclusions(xs []*tally.DealerExcludedError) []Exclusion {
	out := make([]Exclusion, 0, len(xs))
	for _, x := range xs {
		out = append(out, Exclusion{Dealer: x.Dealer, Complainer: x.Complainer, Reason: tally.DKGErrorCode(x.Err)})
	}
	return out
}

// loadDKGMessages reads every admitted deal (ascending dealer), complaint
// (ascending complainer, then dealer) and response (ascending dealer, then
// complainer).
func loadDKGMessages(r ReadStore, id ID) ([]*tally.DKGDeal, []*tally.DKGComplaint, []*tally.DKGResponse, error) {
	var deals []*tally.DKGDeal
	var complaints []*tally.DKGComplaint
	var responses []*tally.DKGResponse
	err := r.Iterate(prefixDeals(id), func(_, v []byte) error {
		d := new(tally.DKGDeal)
		if err := d.UnmarshalBinary(v); err != nil {
			return stateErr("deal", err)
		}
		deals = append(deals, d)
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	p := prefixComplaints(id)
	err = r.Iterate(p, func(k, v []byte) error {
		by := binary.BigEndian.Uint32(k[len(p):])
		dealers, err := decodeComplaintSet(v)
		if err != nil {
			return err
		}
		for _, d := range dealers {
			complaints = append(complaints, &tally.DKGComplaint{Complainer: by, Dealer: d})
		}
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	err = r.Iterate(prefixResponses(id), func(_, v []byte) error {
		resp := new(tally.DKGResponse)
		if err := resp.UnmarshalBinary(v); err != nil {
			return stateErr("response", err)
		}
		responses = append(responses, resp)
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return deals, complaints, responses, nil
}

// DKGTranscript returns what a trustee needs to finish the ceremony on its
// machine (tally.Finalize, then DKGResult.SecretShare): the parameters and
// every deal, complaint and response the chain admitted, in ascending
// order.
func DKGTranscript(r ReadStore, id ID) (*tally.DKGParams, []*tally.DKGDeal, []*tally.DKGComplaint, []*tally.DKGResponse, error) {
	man, err := loadManifest(r, id)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if man == nil {
		return nil, nil, nil, nil, fmt.Errorf("%w: election %v", ErrNotFound, id)
	}
	params, err := man.DKGParams(id)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	deals, complaints, responses, err := loadDKGMessages(r, id)
	return params, deals, complaints, responses, err
}
