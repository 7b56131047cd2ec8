package observer

import (
	"encoding/hex"

	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
)

// Claims reads what the state says the election came to.
func Claims(st election.ReadStore, id election.ID) (*RecordClaims, error) {
	d, err := election.QueryElection(st, id)
	if err != nil {
		return nil, err
	}
	c := &RecordClaims{
		Phase: d.Phase.String(), Failure: d.Failure, JointKey: keyHex(d.JointKey),
		Qualified: []uint32{}, ShareSets: []uint32{}, Aggregates: []string{},
		RollSize: d.Counts.RollSize, Ballots: d.Counts.Ballots, Voters: d.Counts.Voters, WeightCast: d.Counts.WeightCast,
	}
	for _, t := range d.Trustees {
		if t.Qualified {
			c.Qualified = append(c.Qualified, t.Index)
		}
		if t.SharesPosted {
			c.ShareSets = append(c.ShareSets, t.Index)
		}
	}
	if d.JointKey != nil {
		aggs, err := election.Aggregates(st, id)
		if err != nil {
			return nil, err
		}
		for _, a := range aggs {
			c.Aggregates = append(c.Aggregates, hex.EncodeToString(a.Bytes()))
		}
	}
	if d.Phase == election.PhaseTallied {
		r, err := election.QueryResult(st, id)
		if err != nil {
			return nil, err
		}
		c.Result = &RecordResult{Trustees: append([]uint32{}, r.Trustees...)}
		for _, ct := range r.Contests {
			c.Result.Totals = append(c.Result.Totals, append([]uint64{}, ct.Totals...))
		}
	}
	return c, nil
}

// keyHex is the record's form of a key: its hex, "" for none.
func keyHex(k *tally.PublicKey) string {
	if k == nil {
		return ""
	}
	return hex.EncodeToString(k.Bytes())
}
