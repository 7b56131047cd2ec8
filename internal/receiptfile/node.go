package receiptfile

import (
	"bytes"
	"context"
	"errors"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
)

// A node is asked about a receipt only after it shows the trusted chain:
// its chain id and validator set must be the ones the check trusts. What
// it then says is checked like the file (chain.VerifyReceipt). node names
// the node in messages.

// CheckNodeAnchor checks that the node runs the receipt's chain with the
// trusted validators, or with a set the file's receipt leads to from them
// through its validator hops (the validators changed since the trusted
// set, as from the genesis); anchor names where the trusted set comes
// from. A node whose validators changed again after the ballot's block
// shows a set no hop of the receipt reaches, and fails the check.
func CheckNodeAnchor(ctx context.Context, c *api.Client, node string, r *File, trusted *cmttypes.ValidatorSet, anchor string) error {
	st, err := c.Status(ctx)
	if err != nil {
		return err
	}
	if st.ChainID != r.ChainID {
		return Bad("node %s runs chain %q, the ballot was cast on %q", node, st.ChainID, r.ChainID)
	}
	set, err := ValidatorSet(st.Validators)
	if err != nil {
		return Bad("node %s: %v", node, err)
	}
	if bytes.Equal(set.Hash(), trusted.Hash()) {
		return nil
	}
	if r.Receipt != nil && len(r.Receipt.ValidatorHops) > 0 {
		if rec, err := ChainReceipt(r.Receipt); err == nil && chain.VerifyReceipt(rec, trusted, r.ChainID) == nil {
			for _, s := range rec.ValidatorSets(trusted) {
				if bytes.Equal(s.Hash(), set.Hash()) {
					return nil
				}
			}
		}
	}
	return Bad("node %s shows other validators than %s (or those its validator changes lead to up to the ballot's block)", node, anchor)
}

// Complete fills in a pending receipt (cast without waiting for the
// commit, or a receipt without its result part) from the node, waiting up
// to 10 s, and checks it offline; the caller writes the file.
func Complete(ctx context.Context, c *api.Client, node string, r *File, trusted *cmttypes.ValidatorSet) error {
	code, err := api.ParseTxHash(r.TrackingCode)
	if err != nil {
		return Bad("tracking code: %v", err)
	}
	rec, err := c.Receipt(ctx, code, 10*time.Second)
	if errors.Is(err, api.ErrNotFound) {
		return Bad("node %s does not know ballot %s: it is not committed", node, r.TrackingCode)
	}
	if err != nil {
		return err
	}
	r.Receipt = rec
	_, err = r.CheckOffline(trusted)
	return err
}

// OnNode is what a node says of a checked ballot.
type OnNode struct {
	Height int64 // the block the node holds the ballot in
	// Counts: the ballot is the voter's ballot that counts. Otherwise
	// Replacement is the voter's later ballot that does.
	Counts      bool
	Replacement *api.VoterStatus
}

// CheckOnNode checks a receipt that checked offline against the node: the
// node holds the same transaction at the same height with a receipt that
// verifies against the trusted set, and counts this ballot or a later one
// of the voter.
func CheckOnNode(ctx context.Context, c *api.Client, node string, r *File, trusted *cmttypes.ValidatorSet) (*OnNode, error) {
	code, err := api.ParseTxHash(r.TrackingCode)
	if err != nil {
		return nil, Bad("tracking code: %v", err)
	}
	answer, err := c.Receipt(ctx, code, 0)
	if errors.Is(err, api.ErrNotFound) {
		return nil, Bad("node %s does not have ballot %s", node, r.TrackingCode)
	}
	if err != nil {
		return nil, err
	}
	rec, err := ChainReceipt(answer)
	if err != nil {
		return nil, Bad("node %s's receipt: %v", node, err)
	}
	mine, err := ChainReceipt(r.Receipt)
	if err != nil {
		return nil, Bad("receipt: %v", err)
	}
	if rec.Height != mine.Height || !bytes.Equal(rec.Tx(), mine.Tx()) {
		return nil, Bad("node %s has ballot %s at height %d, the receipt says %d", node, r.TrackingCode, rec.Height, r.Receipt.Height)
	}
	if err := chain.VerifyReceipt(rec, trusted, r.ChainID); err != nil {
		return nil, Bad("node %s's receipt: %v", node, err)
	}
	on := &OnNode{Height: rec.Height}
	vs, err := c.Voter(ctx, r.Election, r.Voter)
	if errors.Is(err, api.ErrNotFound) {
		vs, err = &api.VoterStatus{}, nil
	}
	if err != nil {
		return nil, err
	}
	switch {
	case !vs.Voted || vs.TxHash == nil:
		return nil, Bad("node %s counts no ballot of %s", node, r.Voter)
	case *vs.TxHash == code:
		on.Counts = true
	case vs.Seq > r.Seq:
		on.Replacement = vs
	default:
		return nil, Bad("node %s counts ballot %s (sequence number %d) of this voter, not this one", node, vs.TxHash, vs.Seq)
	}
	return on, nil
}
