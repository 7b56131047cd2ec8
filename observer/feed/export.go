package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/observer"
)

// ExportProgress is reported after each block written.
type ExportProgress struct {
	Height, LastHeight int64 // the block written and the last one to look at
	Blocks, Txs        int   // written so far
}

// Export writes the record of election id as the node has it: one
// committed-state snapshot of its store, and the blocks of CometBFT's block
// store from the election's creation to its result (or to the last
// committed block, for an election not yet tallied). It walks those blocks
// in order and keeps the election's accepted transactions (those the state
// records as accepted at that height), so it holds one block at a time.
// progress may be nil.
func Export(ctx context.Context, n *chain.Node, id election.ID, w io.Writer, progress func(ExportProgress)) error {
	return n.App().Store().View(ctx, func(meta chain.Meta, st election.ReadStore) error {
		return export(ctx, n, meta, st, id, w, progress)
	})
}

// Head is the record's head for election id on node n: the chain's
// genesis and the election's manifest, as st has it.
func Head(n *chain.Node, st election.ReadStore, id election.ID) (*observer.RecordHead, error) {
	detail, err := election.QueryElection(st, id)
	if err != nil {
		return nil, err
	}
	man, err := detail.Manifest.MarshalBinary()
	if err != nil {
		return nil, err
	}
	chainID, g := Genesis(n)
	return &observer.RecordHead{ChainID: chainID, Election: id, Manifest: man, Genesis: g}, nil
}

// Genesis is node n's chain id and genesis as a record's head carries
// them.
func Genesis(n *chain.Node) (string, observer.RecordGenesis) {
	gen := n.CometBFT().GenesisDoc()
	g := observer.RecordGenesis{AppState: gen.AppState}
	for _, v := range gen.Validators {
		g.Validators = append(g.Validators, observer.RecordValidator{PubKey: v.PubKey.Bytes(), Power: v.Power})
	}
	return gen.ChainID, g
}

func export(ctx context.Context, n *chain.Node, meta chain.Meta, st election.ReadStore, id election.ID, w io.Writer, progress func(ExportProgress)) error {
	detail, err := election.QueryElection(st, id)
	if err != nil {
		return err
	}
	head, err := Head(n, st, id)
	if err != nil {
		return err
	}
	phaseAt := map[int64]bool{}
	first, last := int64(0), meta.Height
	for _, p := range detail.Phases {
		phaseAt[p.Height] = true
		if first == 0 || p.Height < first {
			first = p.Height
		}
		if p.Phase == election.PhaseTallied || p.Phase == election.PhaseFailed {
			last = p.Height
		}
	}
	if first == 0 {
		return fmt.Errorf("observer: election %v has no creation block", id)
	}
	rw, err := observer.NewRecordWriter(w, head)
	if err != nil {
		return err
	}
	blocks := NewBlocks(n)
	pr := ExportProgress{LastHeight: last}
	emit := func(rb *observer.RecordBlock) error {
		if err := rw.WriteBlock(rb); err != nil {
			return err
		}
		pr.Height, pr.Blocks, pr.Txs = rb.Height, pr.Blocks+1, pr.Txs+len(rb.Txs)
		if progress != nil {
			progress(pr)
		}
		return nil
	}
	if first > 1 {
		// The chain's first block anchors the genesis: its header's app hash
		// commits to the app state (the authorities).
		rb, err := blocks.Block(st, id, 1, false, true)
		if err != nil {
			return err
		}
		rb.Txs = validatorTxs(rb.Txs)
		if err := emit(rb); err != nil {
			return err
		}
	}
	// Every validator change from block 1 on, so that the verifier follows
	// the set that signs each block (docs/spec/record.md): those before
	// the election's creation here, the others in the walk below.
	changes, err := election.QueryValidatorChanges(st, 1, meta.Height)
	if err != nil {
		return err
	}
	changeAt := map[int64]bool{}
	for _, c := range changes {
		changeAt[c.Height] = true
		if c.Height <= 1 || c.Height >= first {
			continue
		}
		rb, err := blocks.Block(st, id, c.Height, false, true)
		if err != nil {
			return err
		}
		if err := emit(rb); err != nil {
			return err
		}
	}
	changed := map[int64]bool{}
	hs, err := n.App().Store().CommitmentHeights(id, first)
	if err != nil {
		return err
	}
	for _, h := range hs {
		if h <= last {
			changed[h] = true
		}
	}
	// The state after the last block is proven by the header of the block
	// after it, which CometBFT makes right after a block that changed the
	// app hash: wait for it.
	end := last
	if changed[last] {
		end = last + 1
		if err := waitForBlock(ctx, n, end); err != nil {
			return err
		}
	}
	for h := first; h <= end; h++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		rb, err := blocks.Block(st, id, h, false, true)
		if errors.Is(err, ErrNotCommitted) {
			return fmt.Errorf("observer: block %d is not in the block store: %w", h, err)
		}
		if err != nil {
			return err
		}
		if h == end && h > last {
			rb.Txs = []observer.RecordTx{} // after the snapshot: a carrier of the state only
		}
		if len(rb.Txs) == 0 && !phaseAt[h] && h != 1 && !changed[h] && rb.State == nil && !changeAt[h] {
			continue
		}
		if err := emit(rb); err != nil {
			return err
		}
	}
	claims, err := observer.Claims(st, id)
	if err != nil {
		return err
	}
	return rw.Close(claims)
}

// waitForBlock waits until block h and its commit are in n's block store.
func waitForBlock(ctx context.Context, n *chain.Node, h int64) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		bs := n.CometBFT().BlockStore()
		if bs.Height() >= h && (bs.LoadBlockCommit(h) != nil || bs.LoadSeenCommit(h) != nil) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("observer: block %d, which proves the election's last state, did not come: %w", h, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// validatorTxs keeps the validator updates of txs.
func validatorTxs(txs []observer.RecordTx) []observer.RecordTx {
	out := []observer.RecordTx{}
	for _, t := range txs {
		if t.Kind == election.KindValidatorUpdate.String() {
			out = append(out, t)
		}
	}
	return out
}
