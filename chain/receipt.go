package chain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/cometbft/cometbft/crypto/merkle"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/evote/evote/election"
)

// ErrBadReceipt is wrapped by every failure of VerifyReceipt.
var ErrBadReceipt = errors.New("chain: receipt does not verify")

// Receipt proves that a transaction is in a committed block of the chain:
// the transaction and its Merkle proof against the block header's data
// hash, the header, the commit signed by the validators for that header,
// and the validator set at that height. It is given only after commit and
// is checked offline by VerifyReceipt against a trusted validator set.
//
// Code and Log are the transaction's result as the node recorded it. They
// are not covered by the proof (the result is committed only in the next
// block's header, LastResultsHash), so VerifyReceipt does not check them.
// Nor does the Merkle proof bind the number of transactions in the block
// (Proof.Proof.Total) beyond the shape of the path to the leaf.
type Receipt struct {
	ChainID      string
	TrackingCode string // the transaction hash, hex
	Height       int64
	Index        int // the transaction's position in the block
	Code         election.Code
	Log          string
	TxHash       []byte
	Proof        cmttypes.TxProof // holds the transaction itself (Proof.Data)
	Header       *cmttypes.Header
	Commit       *cmttypes.Commit
	ValidatorSet *cmttypes.ValidatorSet
}

// Tx is the transaction the receipt is for.
func (r *Receipt) Tx() []byte { return r.Proof.Data }

// VerifyReceipt checks r offline: the transaction hashes to TxHash and to
// the tracking code; the Merkle proof puts it at Index in the header's
// DataHash; the header is the one the commit signs (chain id and height
// included); every signature in the commit is valid and more than 2/3 of
// trusted's voting power signed; and the receipt's validator set is the one
// the header names. trusted must be the validator set at r.Height (the
// genesis validators: evote's set never changes).
//
// A receipt is untrusted input: VerifyReceipt returns an error wrapping
// ErrBadReceipt for anything wrong with it, and never panics.
func VerifyReceipt(r *Receipt, trusted *cmttypes.ValidatorSet, chainID string) (err error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadReceipt, fmt.Sprintf(format, args...))
	}
	defer func() {
		// CometBFT's types panic on some malformed values that their
		// ValidateBasic methods let through.
		if p := recover(); p != nil {
			err = bad("malformed: %v", p)
		}
	}()
	switch {
	case r == nil:
		return bad("no receipt")
	case trusted == nil || trusted.IsNilOrEmpty():
		return bad("no trusted validator set")
	case r.Header == nil || r.Commit == nil || r.ValidatorSet == nil:
		return bad("missing header, commit or validator set")
	}
	if r.ChainID != chainID || r.Header.ChainID != chainID {
		return bad("chain id %q (header %q), want %q", r.ChainID, r.Header.ChainID, chainID)
	}
	sum := sha256.Sum256(r.Proof.Data)
	if !bytes.Equal(r.TxHash, sum[:]) {
		return bad("the transaction does not hash to TxHash")
	}
	if r.TrackingCode != hex.EncodeToString(sum[:]) {
		return bad("tracking code %q is not the transaction hash", r.TrackingCode)
	}
	if r.Height != r.Header.Height || r.Height != r.Commit.Height {
		return bad("height %d, header %d, commit %d", r.Height, r.Header.Height, r.Commit.Height)
	}
	if int64(r.Index) != r.Proof.Proof.Index {
		return bad("index %d, proof index %d", r.Index, r.Proof.Proof.Index)
	}
	if err := r.Header.ValidateBasic(); err != nil {
		return bad("header: %v", err)
	}
	if err := r.Proof.Validate(r.Header.DataHash); err != nil {
		return bad("inclusion proof: %v", err)
	}
	if err := r.Commit.ValidateBasic(); err != nil {
		return bad("commit: %v", err)
	}
	if err := r.Commit.BlockID.ValidateBasic(); err != nil { // Commit.ValidateBasic does not
		return bad("commit block id: %v", err)
	}
	if !bytes.Equal(r.Header.Hash(), r.Commit.BlockID.Hash) {
		return bad("the commit is for another block")
	}
	if err := r.ValidatorSet.ValidateBasic(); err != nil {
		return bad("validator set: %v", err)
	}
	if !bytes.Equal(r.ValidatorSet.Hash(), r.Header.ValidatorsHash) {
		return bad("the validator set is not the header's")
	}
	if err := trusted.VerifyCommitLightAllSignatures(chainID, r.Commit.BlockID, r.Height, r.Commit); err != nil {
		return bad("commit signatures: %v", err)
	}
	return nil
}

// A receipt travels in the API's form (api.Receipt, docs/spec/wallet-receipt.md):
// its plain fields, and its proof, header, commit and validator set in
// CometBFT's JSON encoding (libs/json, which can read back public keys),
// which the API keeps raw. CometParts and SetCometParts convert those four;
// the API's edges (web, internal/receiptfile) copy the plain fields.

// CometParts are a receipt's CometBFT objects in CometBFT's JSON encoding.
type CometParts struct {
	Proof, Header, Commit, ValidatorSet json.RawMessage
}

// CometParts encodes r's CometBFT objects.
func (r *Receipt) CometParts() (CometParts, error) {
	var p CometParts
	var err error
	if p.Proof, err = cmtjson.Marshal(r.Proof); err != nil {
		return p, err
	}
	if p.Header, err = cmtjson.Marshal(r.Header); err != nil {
		return p, err
	}
	if p.Commit, err = cmtjson.Marshal(r.Commit); err != nil {
		return p, err
	}
	p.ValidatorSet, err = cmtjson.Marshal(r.ValidatorSet)
	return p, err
}

// SetCometParts decodes p into r's CometBFT objects; an absent part leaves
// its object as it is. The parts are untrusted: VerifyReceipt checks them.
func (r *Receipt) SetCometParts(p CometParts) error {
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  any
	}{
		{"proof", p.Proof, &r.Proof},
		{"header", p.Header, &r.Header},
		{"commit", p.Commit, &r.Commit},
		{"validator_set", p.ValidatorSet, &r.ValidatorSet},
	} {
		if len(f.raw) == 0 || string(f.raw) == "null" {
			continue
		}
		if err := cmtjson.Unmarshal(f.raw, f.dst); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrBadReceipt, f.name, err)
		}
	}
	return nil
}

// Receipt returns the receipt of the committed transaction with the given
// hash, or an error wrapping ErrNotFound if it is not committed (yet).
func (n *Node) Receipt(ctx context.Context, hash []byte) (*Receipt, error) {
	row, err := n.app.store.TxRow(hash)
	if err != nil {
		return nil, err
	}
	bp, err := n.blockProofs(ctx, row.Height)
	if err != nil {
		return nil, err
	}
	if row.Index < 0 || row.Index >= len(bp.txs) || !bytes.Equal(bp.txs[row.Index].Hash(), hash) {
		return nil, fmt.Errorf("chain: receipt: block %d has no transaction %x at %d", row.Height, hash, row.Index)
	}
	return &Receipt{
		ChainID:      bp.header.ChainID,
		TrackingCode: hex.EncodeToString(hash),
		Height:       row.Height,
		Index:        row.Index,
		Code:         row.Code,
		Log:          row.Log,
		TxHash:       bytes.Clone(hash),
		Proof:        cmttypes.TxProof{RootHash: bp.root, Data: bp.txs[row.Index], Proof: *bp.proofs[row.Index]},
		Header:       bp.header,
		Commit:       bp.commit,
		ValidatorSet: bp.vals,
	}, nil
}

// blockProof is what every receipt of one block shares: its header,
// transactions and their Merkle proofs, its commit and validator set.
type blockProof struct {
	header *cmttypes.Header
	txs    cmttypes.Txs
	root   []byte
	proofs []*merkle.Proof
	commit *cmttypes.Commit
	vals   *cmttypes.ValidatorSet
}

// blockProofCache keeps the blockProofs of the last few heights: every
// client waiting for a block asks for its receipt at once, and building the
// material costs a pass over the whole block. The first request for a
// height builds it; the others wait for that one.
type blockProofCache struct {
	mu      sync.Mutex
	heights map[int64]*blockProofEntry
}

type blockProofEntry struct {
	ready chan struct{} // closed once bp or err is set
	bp    *blockProof
	err   error
}

// blockProofCacheSize is how many heights the cache keeps.
const blockProofCacheSize = 8

func (n *Node) blockProofs(ctx context.Context, h int64) (*blockProof, error) {
	c := &n.proofs
	c.mu.Lock()
	if c.heights == nil {
		c.heights = make(map[int64]*blockProofEntry)
	}
	e := c.heights[h]
	if e == nil {
		if len(c.heights) >= blockProofCacheSize {
			oldest := h
			for k := range c.heights {
				oldest = min(oldest, k)
			}
			delete(c.heights, oldest)
		}
		e = &blockProofEntry{ready: make(chan struct{})}
		c.heights[h] = e
		c.mu.Unlock()
		e.bp, e.err = n.buildBlockProofs(ctx, h)
		if e.err != nil {
			// Not kept: the next request tries again.
			c.mu.Lock()
			if c.heights[h] == e {
				delete(c.heights, h)
			}
			c.mu.Unlock()
		}
		close(e.ready)
		return e.bp, e.err
	}
	c.mu.Unlock()
	select {
	case <-e.ready:
		if e.err != nil {
			return n.blockProofs(ctx, h) // the builder failed (its context ended, say): try ourselves
		}
		return e.bp, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (n *Node) buildBlockProofs(ctx context.Context, h int64) (*blockProof, error) {
	blk, err := n.rpc.Block(ctx, &h)
	if err != nil {
		return nil, fmt.Errorf("chain: receipt: block %d: %w", h, err)
	}
	if blk.Block == nil {
		return nil, fmt.Errorf("chain: receipt: block %d not in the block store", h)
	}
	cm, err := n.rpc.Commit(ctx, &h)
	if err != nil {
		return nil, fmt.Errorf("chain: receipt: commit %d: %w", h, err)
	}
	if cm == nil || cm.Commit == nil {
		return nil, fmt.Errorf("chain: receipt: no commit for block %d in the block store", h)
	}
	vals, err := n.validators(ctx, h)
	if err != nil {
		return nil, err
	}
	txs := blk.Block.Txs
	hashes := make([][]byte, len(txs))
	for i, tx := range txs {
		hashes[i] = tx.Hash()
	}
	root, proofs := merkle.ProofsFromByteSlices(hashes)
	return &blockProof{header: &blk.Block.Header, txs: txs, root: root, proofs: proofs, commit: cm.Commit, vals: vals}, nil
}

// WaitForReceipt blocks until the transaction with the given hash is
// committed, then returns its receipt; or until ctx ends. It looks once
// now and once after each commit, so that many waiting clients cost one
// indexed lookup each per block.
func (n *Node) WaitForReceipt(ctx context.Context, hash []byte) (*Receipt, error) {
	for {
		next := n.app.commitSignal()
		r, err := n.Receipt(ctx, hash)
		if !errors.Is(err, ErrNotFound) {
			return r, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-next:
		}
	}
}

// WaitForTx blocks until the transaction with the given hash is committed,
// then returns its row (height, index, result); or until ctx ends. It is
// WaitForReceipt for callers that do not need the proof.
func (n *Node) WaitForTx(ctx context.Context, hash []byte) (TxRow, error) {
	for {
		next := n.app.commitSignal()
		row, err := n.app.store.TxRow(hash)
		if !errors.Is(err, ErrNotFound) {
			return row, err
		}
		select {
		case <-ctx.Done():
			return TxRow{}, ctx.Err()
		case <-next:
		}
	}
}
