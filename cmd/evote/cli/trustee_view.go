package cli

import (
	"context"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/trustee"
)

// trusteeNode is a trustee's one contact with the node: what the chain
// shows of the election, fetched into a trustee.View, and the submission
// of the trustee's transactions. Every HTTP call of `evote trustee run` is
// in this file.
type trusteeNode struct {
	api     *api.Client
	id      election.ID
	chainID string
	man     *election.Manifest // from the first look
}

func newTrusteeNode(url string, id election.ID) (*trusteeNode, error) {
	c, err := newNodeClient(url)
	if err != nil {
		return nil, err
	}
	return &trusteeNode{api: c, id: id}, nil
}

// view fetches the election's detail, and what else tr wants for its
// phase: the ceremony's messages, the aggregates, the result. The manifest
// comes from .../dkg (checked against the election id by the client) at
// the first look and with every fetch of the messages.
func (n *trusteeNode) view(ctx context.Context, tr *trustee.Trustee) (*trustee.View, error) {
	if n.man == nil {
		st, err := n.api.Status(ctx)
		if err != nil {
			return nil, err
		}
		m, err := n.api.DKG(ctx, n.id)
		if err != nil {
			return nil, err
		}
		n.chainID, n.man = st.ChainID, m.Manifest.Manifest
	}
	d, err := n.api.Election(ctx, n.id)
	if err != nil {
		return nil, err
	}
	v := &trustee.View{ChainID: n.chainID, Election: n.id, Manifest: n.man, Phase: d.Phase, Failure: d.Failure,
		Deadline: d.Deadline, JointKey: d.JointKey}
	for _, t := range d.Trustees {
		v.Trustees = append(v.Trustees, trustee.Posted{Dealt: t.Dealt, ComplaintsPosted: t.ComplaintsPosted, SharesPosted: t.SharesPosted})
	}
	want := tr.Wants(v)
	if want.Messages {
		// The detail and the messages are two reads: take the messages
		// after the detail, so that they hold at least what it counts.
		m, err := n.api.DKG(ctx, n.id)
		if err != nil {
			return nil, err
		}
		v.Manifest = m.Manifest.Manifest
		if v.Messages, err = trustee.MessagesOf(m.Messages()); err != nil {
			return nil, err
		}
	}
	if want.Aggregates {
		t, err := n.api.Tally(ctx, n.id)
		if err != nil {
			return nil, err
		}
		v.Tally = &trustee.Tally{Phase: t.Phase, Voters: t.Voters, Aggregates: t.Aggregates()}
	}
	if want.Result {
		res, err := n.api.Result(ctx, n.id)
		if err != nil {
			return nil, err
		}
		v.Result = &trustee.Result{Height: res.Height, Trustees: res.Trustees}
	}
	return v, nil
}

// submit posts a trustee's transaction and waits for its commit.
func (n *trusteeNode) submit(ctx context.Context, s *trustee.Submission) (*api.Committed, error) {
	return commitTx(ctx, n.api, s.What, s.Tx)
}
