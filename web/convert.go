package web

import (
	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
)

// The query results of election and chain, as the API's types. A value the
// state holds that does not decode is a fault of the node's store, answered
// 500.

func apiStatus(st chain.Status) *api.Status {
	body := &api.Status{ChainID: st.ChainID, Height: st.Height, AppHash: st.AppHash, BlockTime: st.BlockTime, Validators: []api.Validator{}}
	for _, v := range st.Validators {
		body.Validators = append(body.Validators, api.Validator{Address: v.Address, PubKey: v.PubKey, Power: v.Power})
	}
	return body
}

func apiSummaries(list []election.ElectionSummary) *api.ElectionList {
	out := &api.ElectionList{Elections: make([]api.ElectionSummary, 0, len(list))}
	for _, e := range list {
		out.Elections = append(out.Elections, api.ElectionSummary(e))
	}
	return out
}

func apiDetail(d *election.ElectionDetail) (*api.ElectionDetail, error) {
	out := &api.ElectionDetail{ID: d.ID, Manifest: d.Manifest, Phase: d.Phase, Failure: d.Failure, OpenDue: d.OpenDue,
		Deadline: d.Deadline, JointKey: d.JointKey, Counts: api.Counts(d.Counts)}
	if d.Phases != nil {
		out.Phases = make([]api.PhaseTime, 0, len(d.Phases))
		for _, p := range d.Phases {
			out.Phases = append(out.Phases, api.PhaseTime(p))
		}
	}
	if d.Trustees != nil {
		out.Trustees = make([]api.TrusteeStatus, 0, len(d.Trustees))
	}
	for _, t := range d.Trustees {
		ts := api.TrusteeStatus{Index: t.Index, Name: t.Name, Identity: t.Identity, Dealt: t.Dealt,
			ComplaintsPosted: t.ComplaintsPosted, ComplaintsAbout: t.ComplaintsAbout, Qualified: t.Qualified,
			Excluded: t.Excluded, VerificationKey: t.VerificationKey, SharesPosted: t.SharesPosted}
		out.Trustees = append(out.Trustees, ts)
	}
	return out, nil
}

func apiRoll(p *election.RollPage) *api.RollPage {
	out := &api.RollPage{Election: p.Election, Total: p.Total, Offset: p.Offset, Voters: make([]api.RollVoter, 0, len(p.Voters))}
	for _, v := range p.Voters {
		out.Voters = append(out.Voters, api.RollVoter(v))
	}
	return out
}

func apiTally(t *election.TallyInfo) (*api.Tally, error) {
	out := &api.Tally{Election: t.Election, Phase: t.Phase, RollSize: t.RollSize, Voters: t.Voters, WeightCast: t.WeightCast,
		Ballots: t.Ballots, Contests: make([]api.ContestTally, 0, len(t.Contests))}
	for _, c := range t.Contests {
		ct := api.ContestTally{Index: c.Index}
		for _, o := range c.Options {
			ct.Options = append(ct.Options, api.OptionTally{Index: o.Index, Aggregate: api.Aggregate{Ciphertext: o.Aggregate}, Ballots: o.Ballots})
		}
		out.Contests = append(out.Contests, ct)
	}
	return out, nil
}

func apiResult(r *election.ResultInfo) *api.Result {
	out := &api.Result{Election: r.Election, Height: r.Height, Time: r.Time, Voters: r.Voters, WeightCast: r.WeightCast, Trustees: r.Trustees}
	if r.Contests != nil {
		out.Contests = make([]api.ContestResult, 0, len(r.Contests))
	}
	for _, c := range r.Contests {
		out.Contests = append(out.Contests, api.ContestResult(c))
	}
	return out
}

func apiVoter(v *election.VoterStatus) (*api.VoterStatus, error) {
	out := &api.VoterStatus{Election: v.Election, Voter: v.Voter, OnRoll: v.OnRoll, Weight: v.Weight, Voted: v.Voted, Seq: v.Seq, Height: v.Height}
	if v.TxHash != nil {
		h := api.TxHash(*v.TxHash)
		out.TxHash = &h
	}
	return out, nil
}

func apiDKG(m *election.DKGMessages) *api.DKG {
	out := &api.DKG{Election: m.Election, Phase: m.Phase, Manifest: api.CanonicalManifest{Manifest: m.Manifest},
		Deals:         make([]api.DKGDeal, 0, len(m.Deals)),
		ComplaintSets: make([]api.DKGComplaintSet, 0, len(m.ComplaintSets)),
		Responses:     make([]api.DKGResponse, 0, len(m.Responses))}
	for _, d := range m.Deals {
		out.Deals = append(out.Deals, api.DKGDeal(d))
	}
	for _, c := range m.ComplaintSets {
		out.ComplaintSets = append(out.ComplaintSets, api.DKGComplaintSet(c))
	}
	for _, r := range m.Responses {
		out.Responses = append(out.Responses, api.DKGResponse(r))
	}
	return out
}

// apiReceipt is a chain receipt in the API's form: the plain fields, and
// the CometBFT parts in CometBFT's JSON encoding, which api keeps raw.
func apiReceipt(r *chain.Receipt) (*api.Receipt, error) {
	p, err := r.CometParts()
	if err != nil {
		return nil, err
	}
	state := api.ReceiptCommitted
	if r.Code != election.CodeOK {
		state = api.ReceiptRefused
	}
	out := &api.Receipt{State: state, ChainID: r.ChainID, Height: r.Height, Index: r.Index, Code: api.CodeNum(r.Code), Log: r.Log,
		TxHash: r.TxHash, Proof: p.Proof, Header: p.Header, Commit: p.Commit, ValidatorSet: p.ValidatorSet,
		NextHeader: p.NextHeader, NextCommit: p.NextCommit, Result: r.Result, ResultProof: p.ResultProof}
	for _, h := range p.Hops {
		out.ValidatorHops = append(out.ValidatorHops, api.ValidatorHop{Header: h.Header, Commit: h.Commit, ValidatorSet: h.ValidatorSet})
	}
	if err := out.TrackingCode.UnmarshalText([]byte(r.TrackingCode)); err != nil {
		return nil, err
	}
	return out, nil
}
