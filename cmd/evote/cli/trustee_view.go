package cli

import (
	"context"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/trustee"
)

// trusteeNode is a trustee's one contact with the node: what the chain
// shows of the election, fetched into a trustee.View (harness.API.View, the
// same reads as every in-process trustee over HTTP), and the submission of
// the trustee's transactions. Every HTTP call of `evote trustee run` goes
// through it.
type trusteeNode struct {
	api  *api.Client
	id   election.ID
	look *harness.API
}

func newTrusteeNode(url string, id election.ID) (*trusteeNode, error) {
	c, err := newNodeClient(url)
	if err != nil {
		return nil, err
	}
	return &trusteeNode{api: c, id: id, look: harness.NewAPI(c)}, nil
}

// view fetches the election's detail, and what else tr wants for its
// phase: the ceremony's messages, the aggregates, the result. The manifest
// comes from .../dkg (checked against the election id by the client) at
// the first look and with every fetch of the messages.
func (n *trusteeNode) view(ctx context.Context, tr *trustee.Trustee) (*trustee.View, error) {
	return n.look.View(ctx, n.id, tr.Wants)
}

// submit posts a trustee's transaction and waits for its commit.
func (n *trusteeNode) submit(ctx context.Context, s *trustee.Submission) (*api.Committed, error) {
	return commitTx(ctx, n.api, s.What, s.Tx)
}
