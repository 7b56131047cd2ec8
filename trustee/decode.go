package trustee

import (
	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
)

// MessagesOf gathers the ceremony's messages as the chain holds them
// (election.QueryDKG, or api.DKG.Messages for a node's answer) into a
// view's Messages. A deal or response that is missing or not its entry's is
// refused.
func MessagesOf(m *election.DKGMessages) (*Messages, error) {
	out := &Messages{}
	for _, d := range m.Deals {
		if d.Deal == nil || d.Deal.Dealer != d.Dealer {
			return nil, refuse(ErrBadView, "the deal listed as trustee %d's is not its", d.Dealer)
		}
		out.Deals = append(out.Deals, d.Deal)
	}
	for _, cs := range m.ComplaintSets {
		for _, dealer := range cs.Dealers {
			out.Complaints = append(out.Complaints, &tally.DKGComplaint{Complainer: cs.Complainer, Dealer: dealer})
		}
	}
	for _, rs := range m.Responses {
		if rs.Response == nil || rs.Response.Dealer != rs.Dealer {
			return nil, refuse(ErrBadView, "the response listed as trustee %d's is not its", rs.Dealer)
		}
		out.Responses = append(out.Responses, rs.Response)
	}
	return out, nil
}

// PostedOf says which messages of each trustee the detail of an election
// shows (election.QueryElection), by index less one.
func PostedOf(ts []election.TrusteeStatus) []Posted {
	out := make([]Posted, len(ts))
	for i, t := range ts {
		out[i] = Posted{Dealt: t.Dealt, ComplaintsPosted: t.ComplaintsPosted, SharesPosted: t.SharesPosted}
	}
	return out
}
