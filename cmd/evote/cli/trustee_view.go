package cli

import (
	"context"
	"fmt"

	"github.com/evote/evote/election"
	"github.com/evote/evote/trustee"
)

// trusteeNode is a trustee's one contact with the node: what the chain
// shows of the election, fetched and decoded into a trustee.View, and the
// submission of the trustee's transactions. Every HTTP call of `evote
// trustee run` is in this file.
type trusteeNode struct {
	api     *apiNode
	id      election.ID
	chainID string
	man     *election.Manifest // from the first look
}

func newTrusteeNode(url string, id election.ID) *trusteeNode {
	return &trusteeNode{api: newAPINode(url), id: id}
}

// view fetches the election's detail, and what else tr wants for its
// phase: the ceremony's messages, the aggregates, the result. The manifest
// comes from .../dkg (checked against the election id) at the first look
// and with every fetch of the messages.
func (n *trusteeNode) view(ctx context.Context, tr *trustee.Trustee) (*trustee.View, error) {
	if n.man == nil {
		st, err := n.api.status(ctx)
		if err != nil {
			return nil, err
		}
		_, man, err := n.api.dkg(ctx, n.id)
		if err != nil {
			return nil, err
		}
		n.chainID, n.man = st.ChainID, man
	}
	d, err := n.api.detail(ctx, n.id)
	if err != nil {
		return nil, err
	}
	v := &trustee.View{ChainID: n.chainID, Election: n.id, Manifest: n.man, Failure: d.Failure, Deadline: d.Deadline,
		JointKey: d.JointKey, Trustees: d.Trustees}
	if err := v.Phase.UnmarshalText([]byte(d.Phase)); err != nil {
		return nil, fmt.Errorf("election %v in unknown phase %q", n.id, d.Phase)
	}
	want := tr.Wants(v)
	if want.Messages {
		// The detail and the messages are two reads: take the messages
		// after the detail, so that they hold at least what it counts.
		m, man, err := n.api.dkg(ctx, n.id)
		if err != nil {
			return nil, err
		}
		v.Manifest = man
		if v.Messages, err = trustee.DecodeMessages(m); err != nil {
			return nil, err
		}
	}
	if want.Aggregates {
		info, aggs, err := n.api.aggregates(ctx, n.id)
		if err != nil {
			return nil, err
		}
		v.Tally = &trustee.Tally{Phase: info.Phase, Voters: info.Voters, Aggregates: aggs}
	}
	if want.Result {
		var res election.ResultInfo
		if err := n.api.get(ctx, "/api/v1/elections/"+n.id.String()+"/result", &res); err != nil {
			return nil, err
		}
		v.Result = &res
	}
	return v, nil
}

// submit posts a trustee's transaction and waits for its commit.
func (n *trusteeNode) submit(ctx context.Context, s *trustee.Submission) (*txCommitted, error) {
	return n.api.submit(ctx, s.What, s.Tx)
}
