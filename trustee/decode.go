package trustee

import (
	"encoding/hex"
	"fmt"

	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
)

// DecodeMessages decodes the ceremony's messages as a node serves them
// (election.QueryDKG, GET /api/v1/elections/ID/dkg) into a view's Messages.
func DecodeMessages(m *election.DKGMessages) (*Messages, error) {
	out := &Messages{}
	for _, d := range m.Deals {
		b, err := hex.DecodeString(d.Deal)
		if err != nil {
			return nil, fmt.Errorf("deal of trustee %d: %w", d.Dealer, err)
		}
		deal := new(tally.DKGDeal)
		if err := deal.UnmarshalBinary(b); err != nil || deal.Dealer != d.Dealer {
			return nil, fmt.Errorf("deal of trustee %d does not decode: %v", d.Dealer, err)
		}
		out.Deals = append(out.Deals, deal)
	}
	for _, cs := range m.ComplaintSets {
		for _, dealer := range cs.Dealers {
			out.Complaints = append(out.Complaints, &tally.DKGComplaint{Complainer: cs.Complainer, Dealer: dealer})
		}
	}
	for _, rs := range m.Responses {
		b, err := hex.DecodeString(rs.Response)
		if err != nil {
			return nil, fmt.Errorf("response: %w", err)
		}
		resp := new(tally.DKGResponse)
		if err := resp.UnmarshalBinary(b); err != nil {
			return nil, fmt.Errorf("response of trustee %d: %w", rs.Dealer, err)
		}
		out.Responses = append(out.Responses, resp)
	}
	return out, nil
}

// DecodeTally decodes the running tally as a node serves it
// (election.QueryTally, GET /api/v1/elections/ID/tally).
func DecodeTally(t *election.TallyInfo) (*Tally, error) {
	out := &Tally{Phase: t.Phase, Voters: t.Voters}
	for _, c := range t.Contests {
		for _, o := range c.Options {
			b, err := hex.DecodeString(o.Aggregate)
			if err != nil {
				return nil, fmt.Errorf("aggregate: %w", err)
			}
			ct, err := election.ParseAggregate(b)
			if err != nil {
				return nil, err
			}
			out.Aggregates = append(out.Aggregates, ct)
		}
	}
	return out, nil
}
