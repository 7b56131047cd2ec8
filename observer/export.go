package observer

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
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

func export(ctx context.Context, n *chain.Node, meta chain.Meta, st election.ReadStore, id election.ID, w io.Writer, progress func(ExportProgress)) error {
	detail, err := election.QueryElection(st, id)
	if err != nil {
		return err
	}
	man, err := detail.Manifest.MarshalBinary()
	if err != nil {
		return err
	}
	gen := n.CometBFT().GenesisDoc()
	head := &RecordHead{ChainID: gen.ChainID, Election: id, Manifest: man,
		Genesis: RecordGenesis{AppState: gen.AppState}}
	for _, v := range gen.Validators {
		head.Genesis.Validators = append(head.Genesis.Validators, RecordValidator{PubKey: v.PubKey.Bytes(), Power: v.Power})
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
	rw, err := NewRecordWriter(w, head)
	if err != nil {
		return err
	}
	bs := n.CometBFT().BlockStore()
	pr := ExportProgress{LastHeight: last}
	emit := func(h int64, blk *cmttypes.Block, txs []RecordTx) error {
		commit := bs.LoadBlockCommit(h)
		if commit == nil {
			commit = bs.LoadSeenCommit(h)
		}
		if commit == nil {
			return fmt.Errorf("observer: no commit for block %d in the block store", h)
		}
		hj, err := cmtjson.Marshal(&blk.Header)
		if err != nil {
			return err
		}
		cj, err := cmtjson.Marshal(commit)
		if err != nil {
			return err
		}
		if txs == nil {
			txs = []RecordTx{}
		}
		if err := rw.WriteBlock(&RecordBlock{Height: h, Header: hj, Commit: cj, TxHashes: txHashes(blk.Txs), Txs: txs}); err != nil {
			return err
		}
		pr.Height, pr.Blocks, pr.Txs = h, pr.Blocks+1, pr.Txs+len(txs)
		if progress != nil {
			progress(pr)
		}
		return nil
	}
	if first > 1 {
		// The chain's first block anchors the genesis: its header's app hash
		// commits to the app state (the authorities).
		blk := bs.LoadBlock(1)
		if blk == nil {
			return errors.New("observer: block 1 is not in the block store")
		}
		if err := emit(1, blk, nil); err != nil {
			return err
		}
	}
	for h := first; h <= last; h++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		blk := bs.LoadBlock(h)
		if blk == nil {
			return fmt.Errorf("observer: block %d is not in the block store", h)
		}
		txs, err := electionTxs(st, id, h, blk.Txs)
		if err != nil {
			return err
		}
		if len(txs) == 0 && !phaseAt[h] && h != 1 {
			continue
		}
		if err := emit(h, blk, txs); err != nil {
			return err
		}
	}
	claims, err := Claims(st, id)
	if err != nil {
		return err
	}
	return rw.Close(claims)
}

// electionTxs picks the election's transactions that the state recorded as
// accepted in block h, with their proofs and, for ballots, whether a later
// ballot replaced them.
func electionTxs(st election.ReadStore, id election.ID, h int64, txs cmttypes.Txs) ([]RecordTx, error) {
	var out []RecordTx
	for i, raw := range txs {
		tx, err := election.DecodeTx(raw)
		if err != nil {
			continue
		}
		if tx.Kind != election.KindCreateElection && (len(tx.Body) < election.IDSize || !bytes.Equal(tx.Body[:election.IDSize], id[:])) {
			continue
		}
		hash := election.Hash(raw)
		info, err := election.QueryTx(st, hash)
		if errors.Is(err, election.ErrNotFound) {
			continue // rejected
		}
		if err != nil {
			return nil, err
		}
		if info.Election != id || info.Height != h {
			continue // another election's, or a copy rejected as a duplicate
		}
		rt := RecordTx{Index: i, Kind: tx.Kind.String(), Tx: Bytes(raw)}
		if tx.Kind == election.KindBallot {
			vs, err := election.QueryVoter(st, id, tx.Signer)
			if err != nil {
				return nil, err
			}
			replaced := vs.TxHash == nil || *vs.TxHash != hash
			rt.Replaced = &replaced
		}
		out = append(out, rt)
	}
	return out, nil
}

// txHashes are the SHA-256 hashes of a block's transactions, in order.
func txHashes(txs cmttypes.Txs) []Bytes {
	out := make([]Bytes, len(txs))
	for i, t := range txs {
		out[i] = t.Hash()
	}
	return out
}

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
