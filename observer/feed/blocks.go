package feed

import (
	"bytes"
	"errors"
	"fmt"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/observer"
)

// Blocks reads committed blocks from a node's CometBFT block store in the
// form the record and the feed carry them (observer.RecordBlock): header,
// commit, the hashes of all the block's transactions and the election's
// accepted transactions among them.
type Blocks struct {
	node *chain.Node
}

// NewBlocks reads the blocks of node n.
func NewBlocks(n *chain.Node) *Blocks { return &Blocks{node: n} }

// ErrNotCommitted is returned for a height the node has not committed (or
// whose commit it does not hold yet).
var ErrNotCommitted = errors.New("feed: block not committed")

// Block returns block h as the record carries it for election id: st is
// committed state at or after h (to tell the election's accepted
// transactions). With light, the transactions themselves are left out:
// each tx is empty (their hashes are always there). With replaced, a ballot carries whether
// a later ballot of its voter replaced it, as st says (the record's form;
// the live feed, which cannot know the future, leaves it out).
func (b *Blocks) Block(st election.ReadStore, id election.ID, h int64, light, replaced bool) (*observer.RecordBlock, error) {
	rb, blk, err := b.header(h)
	if err != nil {
		return nil, err
	}
	txs, err := electionTxs(st, id, h, blk.Txs, replaced)
	if err != nil {
		return nil, err
	}
	if light {
		for i := range txs {
			if txs[i].Kind != election.KindValidatorUpdate.String() { // the verifier needs these to follow the validators
				txs[i].Tx = observer.Bytes{} // "tx": "" (docs/spec/feed.md, the light form)
			}
		}
	}
	if txs != nil {
		rb.Txs = txs
	}
	if err := b.attachState(rb, id); err != nil {
		return nil, err
	}
	return rb, nil
}

// attachState sets rb.State if the election's state changed in the block
// before: its commitment and proof, which rb's header's app hash commits
// to.
func (b *Blocks) attachState(rb *observer.RecordBlock, id election.ID) error {
	store := b.node.App().Store()
	changed, err := store.CommitmentChanged(id, rb.Height-1)
	if err != nil || !changed {
		return err
	}
	c, p, err := store.StateProof(rb.Height-1, id)
	if err != nil {
		return fmt.Errorf("feed: state of election %v after block %d: %w", id, rb.Height-1, err)
	}
	rb.State, err = observer.NewRecordState(c, p)
	return err
}

// Header returns block h with its header, commit and transaction hashes
// only (no transactions: Txs is empty).
func (b *Blocks) Header(h int64) (*observer.RecordBlock, error) {
	rb, _, err := b.header(h)
	return rb, err
}

func (b *Blocks) header(h int64) (*observer.RecordBlock, *cmttypes.Block, error) {
	bs := b.node.CometBFT().BlockStore()
	if h < 1 || h > bs.Height() {
		return nil, nil, fmt.Errorf("%w: block %d (the block store is at %d)", ErrNotCommitted, h, bs.Height())
	}
	blk := bs.LoadBlock(h)
	if blk == nil {
		return nil, nil, fmt.Errorf("feed: block %d is not in the block store", h)
	}
	commit := bs.LoadBlockCommit(h)
	if commit == nil {
		commit = bs.LoadSeenCommit(h)
	}
	if commit == nil {
		return nil, nil, fmt.Errorf("%w: no commit for block %d in the block store", ErrNotCommitted, h)
	}
	hj, err := cmtjson.Marshal(&blk.Header)
	if err != nil {
		return nil, nil, err
	}
	cj, err := cmtjson.Marshal(commit)
	if err != nil {
		return nil, nil, err
	}
	rb := &observer.RecordBlock{Height: h, Header: hj, Commit: cj, TxHashes: txHashes(blk.Txs), Txs: []observer.RecordTx{}}
	return rb, blk, nil
}

// electionTxs picks the election's transactions, and the chain's validator
// updates, that the state recorded as accepted in block h and, for ballots if replaced, whether a later ballot
// replaced them.
func electionTxs(st election.ReadStore, id election.ID, h int64, txs cmttypes.Txs, replaced bool) ([]observer.RecordTx, error) {
	var out []observer.RecordTx
	for i, raw := range txs {
		tx, err := election.DecodeTx(raw)
		if err != nil {
			continue
		}
		chainTx := tx.Kind == election.KindValidatorUpdate // of the chain, in every election's blocks
		if !chainTx && tx.Kind != election.KindCreateElection && (len(tx.Body) < election.IDSize || !bytes.Equal(tx.Body[:election.IDSize], id[:])) {
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
		if !chainTx && info.Election != id || info.Height != h {
			continue // another election's, or a copy rejected as a duplicate
		}
		rt := observer.RecordTx{Index: i, Kind: tx.Kind.String(), Tx: observer.Bytes(raw)}
		if replaced && tx.Kind == election.KindBallot {
			vs, err := election.QueryVoter(st, id, tx.Signer)
			if err != nil {
				return nil, err
			}
			r := vs.TxHash == nil || *vs.TxHash != hash
			rt.Replaced = &r
		}
		out = append(out, rt)
	}
	return out, nil
}

// txHashes are the SHA-256 hashes of a block's transactions, in order.
func txHashes(txs cmttypes.Txs) []observer.Bytes {
	out := make([]observer.Bytes, len(txs))
	for i, t := range txs {
		out[i] = t.Hash()
	}
	return out
}
